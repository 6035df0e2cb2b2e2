"""The project's own spec lint: the rules of ``specs/CONVENTIONS.md`` that a validator cannot see.

>>> from specs import load_spec
>>> from specs.lint import lint_spec
>>> lint_spec(load_spec("curaeai"), "curaeai")
[]
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from openapi_schema_validator import OAS30Validator
from openapi_schema_validator._format import oas30_format_checker

from specs.errors import SpecError
from specs.lifecycle import HTTP_METHODS, Lifecycle


@dataclass(frozen=True)
class LintProblem:
    """One broken rule, with where it is (a JSON-pointer-like location) and what is wrong."""

    rule: str
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: [{self.rule}] {self.message}"


def resolve(spec: Mapping[str, Any], node: Any, _seen: frozenset[str] = frozenset()) -> Any:
    """``node`` with every local ``$ref`` replaced by its target (the specs are not recursive)."""
    if isinstance(node, Mapping):
        ref = node.get("$ref")
        if isinstance(ref, str):
            if ref in _seen or not ref.startswith("#/"):
                raise SpecError(f"unsupported or recursive $ref {ref!r}")
            target: Any = spec
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            return resolve(spec, target, _seen | {ref})
        return {k: resolve(spec, v, _seen) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(spec, v, _seen) for v in node]
    return node


def operations(spec: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """Every (path, method, operation) of the spec."""
    for path, item in (spec.get("paths") or {}).items():
        for method, op in item.items():
            if method in HTTP_METHODS and isinstance(op, Mapping):
                yield path, method, op


def _examples(content: Mapping[str, Any]) -> list[Any]:
    found = [content["example"]] if "example" in content else []
    found += [e.get("value") for e in (content.get("examples") or {}).values() if isinstance(e, Mapping)]
    return found


def _properties(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Members a schema declares, its ``allOf`` parts included (a later part narrows an earlier one)."""
    merged: dict[str, Any] = {}
    for part in schema.get("allOf") or []:
        merged.update(_properties(part))
    merged.update(schema.get("properties") or {})
    return merged


def _schema_at(schema: Mapping[str, Any], pointer: str) -> Mapping[str, Any] | None:
    for part in pointer.strip("/").split("/"):
        props = _properties(schema)
        if part not in props:
            return None
        schema = props[part]
    return schema


class _Linter:
    def __init__(self, spec: Mapping[str, Any], api: str) -> None:
        self.spec = spec
        self.api = api
        self.problems: list[LintProblem] = []

    def add(self, rule: str, location: str, message: str) -> None:
        self.problems.append(LintProblem(rule, location, message))

    def run(self) -> list[LintProblem]:
        try:
            lifecycle: Lifecycle | None = Lifecycle.from_spec(self.spec, self.api)
        except SpecError as exc:
            self.add("lifecycle", "x-lifecycle", str(exc))
            lifecycle = None
        self.servers()
        tags = {t.get("name") for t in self.spec.get("tags") or []}
        for path, method, op in operations(self.spec):
            where = f"paths.{path}.{method}"
            for member in ("operationId", "summary"):
                if not op.get(member):
                    self.add("operation-metadata", where, f"has no {member}")
            if not op.get("tags"):
                self.add("operation-metadata", where, "has no tag")
            for tag in op.get("tags") or []:
                if tag not in tags:
                    self.add("operation-metadata", where, f"tag {tag!r} is not declared in the root tags")
            self.request_body(where, op)
            for status, response in (op.get("responses") or {}).items():
                self.response(f"{where}.responses.{status}", str(status), resolve(self.spec, response), lifecycle)
        if lifecycle is not None:
            self.links(lifecycle)
            self.rejections(lifecycle)
        return self.problems

    def rejections(self, lifecycle: Lifecycle) -> None:
        by_id = {op.get("operationId"): op for _, _, op in operations(self.spec)}
        for op_id, statuses in lifecycle.schema_valid_rejections.items():
            documented = {str(s) for s in (by_id.get(op_id, {}).get("responses") or {})}
            for status in statuses:
                if str(status) not in documented:
                    self.add("schema-valid-rejections", f"x-lifecycle.schemaValidRejections.{op_id}",
                             f"{status} is not documented on {op_id}")  # fmt: skip

    def servers(self) -> None:
        urls = [s.get("url", "") for s in self.spec.get("servers") or []]
        if not any(u.startswith("https://") for u in urls):
            self.add("servers", "servers", "no public https:// vendor base URL")
        if not any(u.startswith("http://127.0.0.1") for u in urls):
            self.add("servers", "servers", "no local mock URL (http://127.0.0.1:...)")

    def validate_examples(self, where: str, content: Mapping[str, Any], *, required: bool) -> None:
        for media_type, media in content.items():
            media = resolve(self.spec, media)
            examples = _examples(media)
            if required and not examples:
                self.add("examples", f"{where}.{media_type}", "has no example")
            schema = media.get("schema")
            if schema is None:
                continue
            validator = OAS30Validator(schema, format_checker=oas30_format_checker)
            for example in examples:
                for error in validator.iter_errors(example):
                    path = "/".join(str(p) for p in error.absolute_path)
                    self.add("examples", f"{where}.{media_type}", f"example invalid at /{path}: {error.message}")

    def request_body(self, where: str, op: Mapping[str, Any]) -> None:
        body = op.get("requestBody")
        if body is not None:
            self.validate_examples(f"{where}.requestBody", resolve(self.spec, body).get("content") or {}, required=True)

    def response(self, where: str, status: str, response: Mapping[str, Any], lifecycle: Lifecycle | None) -> None:
        content = response.get("content") or {}
        self.validate_examples(where, content, required=True)
        if lifecycle is None or status[:1] not in ("4", "5"):
            return
        envelope = lifecycle.errors
        if int(status) in envelope.empty_body_statuses:
            if content:
                self.add("error-envelope", where, "is documented with an empty body but declares content")
            return
        if list(content) != [envelope.media_type]:
            self.add("error-envelope", where, f"media types {list(content)} are not [{envelope.media_type!r}]")
            return
        schema = content[envelope.media_type].get("schema") or {}
        pinned = (("codePointer", envelope.code_pointer, True), ("statusPointer", envelope.status_pointer, False))
        for name, pointer, wants_enum in pinned:
            if pointer is None:
                continue
            member = _schema_at(schema, pointer)
            if member is None:
                self.add("error-envelope", where, f"schema has no member at {name} {pointer}")
            elif wants_enum and not member.get("enum"):
                self.add("error-envelope", where, f"error code at {pointer} is not pinned with an enum")
            elif not wants_enum and member.get("enum") != [int(status)]:
                self.add("error-envelope", where, f"body status at {pointer} is not pinned to [{status}]")
        if envelope.request_id_pointer and _schema_at(schema, envelope.request_id_pointer) is None:
            self.add("error-envelope", where, f"schema has no request id at {envelope.request_id_pointer}")

    def links(self, lifecycle: Lifecycle) -> None:
        by_id = {op.get("operationId"): (path, method, op) for path, method, op in operations(self.spec)}
        chain = [(lifecycle.operations.create, lifecycle.operations.status)]
        if lifecycle.operations.download != lifecycle.operations.status:
            chain.append((lifecycle.operations.status, lifecycle.operations.download))
        for source, target in chain:
            path, method, op = by_id[source]
            targets = {
                resolve(self.spec, link).get("operationId")
                for response in (op.get("responses") or {}).values()
                for link in (resolve(self.spec, response).get("links") or {}).values()
            }
            if target not in targets:
                self.add("links", f"paths.{path}.{method}", f"no OpenAPI link from {source} to {target}")


def lint_spec(spec: Mapping[str, Any], api: str) -> list[LintProblem]:
    """Every broken project rule in ``spec``; an empty list means it passes."""
    return _Linter(spec, api).run()
