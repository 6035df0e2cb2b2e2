"""The ``x-lifecycle`` extension as typed, validated data (see ``specs/LIFECYCLE.md``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from specs.errors import LifecycleError

DOWNLOAD_STYLES = ("json", "redirect", "member")
SIGNATURE_STYLES = ("s3-sigv4", "gcs-v4")
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


@dataclass(frozen=True)
class Refusal:
    """What download answers in a state that is not downloadable."""

    status: int
    code: str | None = None
    absent: bool = False  # member style: the URL member is simply absent


@dataclass(frozen=True)
class Lifetime:
    seconds: int
    min: int
    max: int


@dataclass(frozen=True)
class Download:
    style: str
    lifetime: Lifetime
    signature: str
    refused: Mapping[str, Refusal]
    url_pointer: str | None = None
    expires_in_pointer: str | None = None
    expires_at_pointer: str | None = None
    fresh_each_call: bool = False
    content_type: str | None = None
    filename: str | None = None


@dataclass(frozen=True)
class Operations:
    create: str
    status: str
    download: str
    list: str | None = None
    delete: str | None = None
    execute: str | None = None


@dataclass(frozen=True)
class Artifact:
    sha256_pointer: str | None = None
    byte_size_pointer: str | None = None


@dataclass(frozen=True)
class ErrorEnvelope:
    media_type: str
    code_pointer: str | None = None
    status_pointer: str | None = None
    request_id_pointer: str | None = None
    request_id_header: str | None = None
    empty_body_statuses: tuple[int, ...] = ()


@dataclass(frozen=True)
class Lifecycle:
    """One API's state machine and the way a client walks it."""

    api: str
    resource: str
    id_type: str
    state_schema: str | None
    states: tuple[str, ...]
    initial: str
    path: tuple[str, ...]
    transitions: Mapping[str, tuple[str, ...]]
    terminal: tuple[str, ...]
    failed: str | None
    expired: str | None
    retention_seconds: int | None
    downloadable: tuple[str, ...]
    operations: Operations
    id_pointer: str
    resource_pointer: str
    state_pointer: str | None
    download: Download
    errors: ErrorEnvelope
    not_found: Refusal
    artifact: Artifact = field(default_factory=Artifact)
    state_members: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    timestamps: tuple[str, ...] = ()
    rules: Mapping[str, Any] = field(default_factory=dict)
    durations: Mapping[str, float] = field(default_factory=dict)
    # operationId -> statuses a schema-valid request may still get (rules JSON Schema cannot state)
    schema_valid_rejections: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    @property
    def ready(self) -> str:
        """The last state of the success path (where the artifact becomes available)."""
        return self.path[-1]

    def allows(self, before: str, after: str) -> bool:
        """True if a poll may see ``before`` and then ``after`` (staying put, or any chain of transitions)."""
        return after in self.reachable(before)

    def reachable(self, state: str) -> frozenset[str]:
        seen = {state}
        frontier = [state]
        while frontier:
            for nxt in self.transitions.get(frontier.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    frontier.append(nxt)
        return frozenset(seen)

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], api: str | None = None) -> Lifecycle:
        """Read and validate ``x-lifecycle`` of a loaded spec; raises ``LifecycleError``."""
        name = api or str(spec.get("info", {}).get("title", "?"))
        raw = spec.get("x-lifecycle")
        if not isinstance(raw, Mapping):
            raise LifecycleError(name, "", "the spec has no x-lifecycle mapping")
        reader = _Reader(name, raw)
        lifecycle = reader.build()
        _check(lifecycle, spec)
        return lifecycle


class _Reader:
    def __init__(self, api: str, raw: Mapping[str, Any]) -> None:
        self.api = api
        self.raw = raw

    def fail(self, member: str, problem: str) -> LifecycleError:
        return LifecycleError(self.api, member, problem)

    def get(self, member: str, kind: type | tuple[type, ...], *, required: bool = True, where: Any = None) -> Any:
        source = self.raw if where is None else where
        value = source.get(member.rsplit(".", 1)[-1])
        if value is None:
            if required:
                raise self.fail(member, "is required")
            return None
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
            raise self.fail(member, f"must be {getattr(kind, '__name__', kind)}, got {type(value).__name__}")
        return value

    def names(self, member: str, where: Any = None, *, required: bool = True) -> tuple[str, ...]:
        value = self.get(member, list, required=required, where=where)
        if value is None:
            return ()
        if not all(isinstance(v, str) for v in value):
            raise self.fail(member, "must be a list of state names")
        return tuple(value)

    def refusal(self, member: str, value: Any) -> Refusal:
        if not isinstance(value, Mapping) or not isinstance(value.get("status"), int):
            raise self.fail(member, "must be a mapping with an integer status")
        return Refusal(int(value["status"]), value.get("code"), bool(value.get("absent", False)))

    def build(self) -> Lifecycle:
        get = self.get
        ops = get("operations", Mapping)
        dl = get("download", Mapping)
        lifetime = get("download.lifetime", Mapping, where=dl)
        errors = get("errors", Mapping)
        tenancy = get("tenancy", Mapping)
        artifact = get("artifact", Mapping, required=False) or {}
        mock = get("mock", Mapping, required=False) or {}
        transitions = get("transitions", Mapping)
        refused = get("download.refused", Mapping, where=dl)
        try:
            life = Lifetime(int(lifetime["seconds"]), int(lifetime["min"]), int(lifetime["max"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise self.fail("download.lifetime", "needs integer seconds, min and max") from exc
        return Lifecycle(
            api=self.api,
            resource=get("resource", str),
            id_type=get("idType", str),
            state_schema=get("stateSchema", str, required=False),
            states=self.names("states"),
            initial=get("initial", str),
            path=self.names("path"),
            transitions={str(k): self.names(f"transitions.{k}", transitions) for k in transitions},
            terminal=self.names("terminal", required=False),
            failed=get("failed", str, required=False),
            expired=get("expired", str, required=False),
            retention_seconds=get("retentionSeconds", int, required=False),
            downloadable=self.names("downloadable"),
            operations=Operations(
                create=get("operations.create", str, where=ops),
                status=get("operations.status", str, where=ops),
                download=get("operations.download", str, where=ops),
                list=get("operations.list", str, required=False, where=ops),
                delete=get("operations.delete", str, required=False, where=ops),
                execute=get("operations.execute", str, required=False, where=ops),
            ),
            id_pointer=get("idPointer", str),
            resource_pointer=get("resourcePointer", str),
            state_pointer=get("statePointer", str, required=False),
            download=Download(
                style=get("download.style", str, where=dl),
                lifetime=life,
                signature=get("download.signature", str, where=dl),
                refused={str(k): self.refusal(f"download.refused.{k}", v) for k, v in refused.items()},
                url_pointer=get("download.urlPointer", str, required=False, where=dl),
                expires_in_pointer=get("download.expiresInPointer", str, required=False, where=dl),
                expires_at_pointer=get("download.expiresAtPointer", str, required=False, where=dl),
                fresh_each_call=bool(dl.get("freshEachCall", False)),
                content_type=get("download.contentType", str, required=False, where=dl),
                filename=get("download.filename", str, required=False, where=dl),
            ),
            errors=ErrorEnvelope(
                media_type=get("errors.mediaType", str, where=errors),
                code_pointer=get("errors.codePointer", str, required=False, where=errors),
                status_pointer=get("errors.statusPointer", str, required=False, where=errors),
                request_id_pointer=get("errors.requestIdPointer", str, required=False, where=errors),
                request_id_header=get("errors.requestIdHeader", str, required=False, where=errors),
                empty_body_statuses=tuple(int(s) for s in errors.get("emptyBodyStatuses") or ()),
            ),
            not_found=self.refusal("tenancy.notFound", tenancy.get("notFound")),
            artifact=Artifact(
                sha256_pointer=artifact.get("sha256Pointer"),
                byte_size_pointer=artifact.get("byteSizePointer"),
            ),
            state_members={
                str(k): self.names(f"stateMembers.{k}", self.raw["stateMembers"])
                for k in (get("stateMembers", Mapping, required=False) or {})
            },
            timestamps=self.names("timestamps", required=False),
            rules=dict(get("rules", Mapping, required=False) or {}),
            durations={str(k): float(v) for k, v in (mock.get("durations") or {}).items()},
            schema_valid_rejections=self.rejections(),
        )

    def rejections(self) -> dict[str, tuple[int, ...]]:
        raw = self.get("schemaValidRejections", Mapping, required=False) or {}
        found: dict[str, tuple[int, ...]] = {}
        for op_id, statuses in raw.items():
            if not isinstance(statuses, list) or not all(isinstance(s, int) and 400 <= s < 600 for s in statuses):
                raise self.fail(f"schemaValidRejections.{op_id}", "must be a list of 4xx/5xx statuses")
            found[str(op_id)] = tuple(statuses)
        return found


def _operation_ids(spec: Mapping[str, Any]) -> set[str]:
    found: set[str] = set()
    for item in (spec.get("paths") or {}).values():
        for method, op in item.items():
            if method in HTTP_METHODS and isinstance(op, Mapping) and "operationId" in op:
                found.add(str(op["operationId"]))
    return found


def _check(lc: Lifecycle, spec: Mapping[str, Any]) -> None:
    def fail(member: str, problem: str) -> LifecycleError:
        return LifecycleError(lc.api, member, problem)

    known = set(lc.states)
    if len(known) != len(lc.states):
        raise fail("states", "lists a state twice")
    named: list[tuple[str, tuple[str, ...]]] = [
        ("initial", (lc.initial,)),
        ("path", lc.path),
        ("terminal", lc.terminal),
        ("downloadable", lc.downloadable),
        ("failed", (lc.failed,) if lc.failed else ()),
        ("expired", (lc.expired,) if lc.expired else ()),
        ("download.refused", tuple(lc.download.refused)),
        ("mock.durations", tuple(lc.durations)),
    ]
    named += [(f"transitions.{k}", (k, *v)) for k, v in lc.transitions.items()]
    named += [(f"stateMembers.{k}", v) for k, v in lc.state_members.items()]
    for member, states in named:
        unknown = [s for s in states if s not in known]
        if unknown:
            raise fail(member, f"names unknown state(s) {unknown}; states are {list(lc.states)}")
    if not lc.path or lc.path[0] != lc.initial:
        raise fail("path", f"must start at initial state {lc.initial!r}")
    for before, after in zip(lc.path, lc.path[1:], strict=False):
        if after not in lc.transitions.get(before, ()):
            raise fail("path", f"step {before} -> {after} is not in transitions")
    for state in lc.terminal:
        if lc.transitions.get(state):
            raise fail("terminal", f"terminal state {state!r} has outgoing transitions")
    missing = [s for s in lc.states if s not in lc.downloadable and s not in lc.download.refused]
    if missing:
        raise fail("download.refused", f"no entry for non-downloadable state(s) {missing}")
    if lc.download.style not in DOWNLOAD_STYLES:
        raise fail("download.style", f"must be one of {DOWNLOAD_STYLES}")
    if lc.download.signature not in SIGNATURE_STYLES:
        raise fail("download.signature", f"must be one of {SIGNATURE_STYLES}")
    if lc.download.style != "redirect" and not lc.download.url_pointer:
        raise fail("download.urlPointer", f"is required for style {lc.download.style!r}")
    life = lc.download.lifetime
    if not 0 < life.min <= life.seconds <= life.max:
        raise fail("download.lifetime", "needs 0 < min <= seconds <= max")
    if lc.id_type not in ("uuid", "integer"):
        raise fail("idType", "must be uuid or integer")
    ops = _operation_ids(spec)
    for op_id in lc.schema_valid_rejections:
        if op_id not in ops:
            raise fail(f"schemaValidRejections.{op_id}", "is not an operationId of the spec")
    for role in ("create", "status", "download", "list", "delete", "execute"):
        op_id = getattr(lc.operations, role)
        if op_id is not None and op_id not in ops:
            raise fail(f"operations.{role}", f"operationId {op_id!r} is not in the spec")
    if lc.state_schema is not None:
        schema = (spec.get("components") or {}).get("schemas", {}).get(lc.state_schema)
        if not isinstance(schema, Mapping):
            raise fail("stateSchema", f"components.schemas.{lc.state_schema} does not exist")
        if tuple(schema.get("enum") or ()) != lc.states:
            raise fail("states", f"must equal the enum of {lc.state_schema}: {schema.get('enum')}")
