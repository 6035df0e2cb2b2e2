"""Is an error answer in the vendor's envelope? (``x-lifecycle.errors`` and the documented schema)

An answer of 400 or more passes when:

- its status is listed in ``errors.emptyBodyStatuses`` and its body is empty (webadmit's 401), or
- its media type is ``errors.mediaType``, its body is JSON, the member at ``codePointer`` is a
  non-empty string, the member at ``statusPointer`` equals the HTTP status, and, where the
  operation documents that status, the body is valid against the documented schema.

A 5xx fails unless it is one the spec documents for a condition a client can meet
(``DOCUMENTED_SERVER_ERRORS``) and is itself in the envelope.

    >>> judge = EnvelopeJudge(load_spec("curaeai"), "curaeai")                      # doctest: +SKIP
    >>> judge.problems("GET", "/api/sdk/v1/records/exports/{exportId}", 404,
    ...                "application/problem+json", b'{"code": "NOT_FOUND", "status": 404}')  # doctest: +SKIP
    []
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from openapi_schema_validator import OAS30Validator

from reliability.recipes import MISSING, pointer
from specs import Lifecycle

# (api, operationId) -> 5xx statuses the spec documents for a state a client can reach: carevalidate's
# missing bucket object (Download File page). Anything else 5xx is a crash.
DOCUMENTED_SERVER_ERRORS: Mapping[tuple[str, str], frozenset[int]] = {
    ("carevalidate", "downloadFile"): frozenset({500}),
}


def media_type(content_type: str | None) -> str:
    """``application/json; charset=utf-8`` -> ``application/json``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


class EnvelopeJudge:
    """Judges the answers of one API against its error envelope."""

    def __init__(self, spec: Mapping[str, Any], api: str) -> None:
        self.spec = spec
        self.api = api
        self.envelope = Lifecycle.from_spec(spec, api).errors
        self._operations: dict[tuple[str, str], Mapping[str, Any]] = {}
        self._validators: dict[tuple[str, str, int], OAS30Validator | None] = {}
        for path, item in (spec.get("paths") or {}).items():
            for method, op in item.items():
                if isinstance(op, Mapping) and "responses" in op:
                    self._operations[(method.upper(), str(path))] = op

    def operation_id(self, method: str, path_template: str) -> str | None:
        op = self._operations.get((method.upper(), path_template))
        return str(op.get("operationId")) if op else None

    def documented_schema(self, method: str, path_template: str, status: int) -> Mapping[str, Any] | None:
        """The schema the operation documents for ``status`` in the error media type, if any."""
        op = self._operations.get((method.upper(), path_template))
        if op is None:
            return None
        responses = op.get("responses") or {}
        response = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
        if isinstance(response, Mapping) and "$ref" in response:
            response = pointer(self.spec, str(response["$ref"])[1:])
        if not isinstance(response, Mapping):
            return None
        content = (response.get("content") or {}).get(self.envelope.media_type) or {}
        schema = content.get("schema")
        return schema if isinstance(schema, Mapping) else None

    def problems(
        self, method: str, path_template: str, status: int, content_type: str | None, body: bytes
    ) -> list[str]:
        """Everything wrong with one answer (empty when it is fine, or not an error at all)."""
        if status < 400:
            return []
        found: list[str] = []
        if status >= 500:
            op_id = self.operation_id(method, path_template) or ""
            if status not in DOCUMENTED_SERVER_ERRORS.get((self.api, op_id), frozenset()):
                found.append(f"server error {status}")
        if method.upper() == "HEAD":  # an answer to HEAD has no body by definition: only its media type
            if media_type(content_type) not in ("", self.envelope.media_type):
                found.append(f"media type {content_type!r}, expected {self.envelope.media_type}")
            return found
        if status in self.envelope.empty_body_statuses:
            if body.strip():
                found.append(f"{status} must have an empty body, got {body[:120]!r}")
            return found
        if media_type(content_type) != self.envelope.media_type:
            found.append(f"media type {content_type!r}, expected {self.envelope.media_type}")
        try:
            document = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return [*found, f"body is not JSON: {body[:120]!r}"]
        code = pointer(document, self.envelope.code_pointer) if self.envelope.code_pointer else MISSING
        if self.envelope.code_pointer and not (isinstance(code, str) and code):
            found.append(f"no code at {self.envelope.code_pointer}: {body[:160]!r}")
        if self.envelope.status_pointer:
            stated = pointer(document, self.envelope.status_pointer)
            if stated != status:
                found.append(f"{self.envelope.status_pointer} is {stated!r}, the HTTP status is {status}")
        if not self.envelope.code_pointer and not (isinstance(document, Mapping) and document):
            found.append(f"error body is not a non-empty JSON object: {body[:120]!r}")
        validator = self._validator(method, path_template, status)
        if validator is not None:
            found += self._schema_problems(validator, document)
        return found

    def _validator(self, method: str, path_template: str, status: int) -> OAS30Validator | None:
        key = (method.upper(), path_template, status)
        if key not in self._validators:
            schema = self.documented_schema(method, path_template, status)
            # The spec's components travel with the schema so its $refs resolve; OAS30Validator knows
            # OpenAPI 3.0's own keywords (nullable), which plain JSON Schema would misread.
            wrapped = {**schema, "components": self.spec.get("components") or {}} if schema is not None else None
            self._validators[key] = OAS30Validator(wrapped) if wrapped is not None else None
        return self._validators[key]

    @staticmethod
    def _schema_problems(validator: OAS30Validator, document: Any) -> list[str]:
        return [
            f"not the documented schema: {error.message[:160]} at /{'/'.join(map(str, error.absolute_path))}"
            for error in validator.iter_errors(document)
        ][:3]
