"""Who Schemathesis sends requests as, and which of its auth checks can run with those identities.

``object_level_authorization`` (ST402) replays a read one tenant made of its own object as every
other tenant and fails when another tenant gets the same object. Schemathesis runs it only with a
Web Fuzzing Commons (WFC) auth document listing the identities and an ``[auth.wfc]`` section
naming them ``peers``; ``[auth.wfc]`` cannot be combined with ``[auth.openapi]``, so when it runs
every request of the run is authenticated through the WFC document:

- each tenant becomes a WFC user whose ``fixedHeaders`` are its credentials, placed as the
  spec's security schemes say (http bearer -> ``Authorization: Bearer …``, header apiKey -> its
  header);
- ``user`` (``primary``) sends every generated request; all tenants are ``peers``.

The user's fixtures named like a member of the create operation's JSON body or like one of its
parameters are pinned to the user's value (``fixture_pins``): otherwise every generated create
names a foreign connection, chain or identity, is refused, and no object is ever read back.

The WFC document holds credentials, so it lives in a private temporary folder for the length of
the run (``wfc_auth``) and is removed afterwards; nothing is written to the working directory.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contract_tests.errors import NotCovered

if TYPE_CHECKING:
    from contract_tests.session import Session

OBJECT_LEVEL_AUTHORIZATION = "object_level_authorization"
DEFAULT_USER = "primary"
# Tenant names a target has by convention; a provider-state URL hands out their credentials.
CONVENTIONAL_TENANTS = ("primary", "secondary")
AUTH_FILE = "wfc-auth.json"
NO_SECOND_IDENTITY = (
    "the target gives no second identity: object_level_authorization replays one tenant's reads "
    "as another, so it needs two tenants with credentials (e.g. primary and secondary)"
)
NOTHING_REPLAYED = (
    "no generated read of an object the user owns could be replayed as another tenant "
    "(Schemathesis' stateful phase got no object of its own to read back)"
)


@dataclass(frozen=True)
class FuzzIdentities:
    """Who Schemathesis sends requests as: ``user`` sends them all, every tenant is a peer.

    ``tenants`` maps a tenant name to its credentials, keyed by the spec's security scheme names;
    ``fixtures`` are the user's values that its create requests need (``connectionId``, ...).

    >>> FuzzIdentities({"secondary": {"apiKey": "k2"}, "primary": {"apiKey": "k1"}}).peers
    ('primary', 'secondary')
    """

    tenants: Mapping[str, Mapping[str, str]] = field(repr=False)
    user: str = DEFAULT_USER
    fixtures: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def peers(self) -> tuple[str, ...]:
        """Every tenant with credentials, the user first."""
        named = [name for name, creds in self.tenants.items() if creds]
        return tuple(sorted(named, key=lambda name: name != self.user))

    @classmethod
    def from_session(cls, session: Session, *, user: str = DEFAULT_USER) -> FuzzIdentities:
        """Every tenant whose credentials the session can get (the target's, primary, secondary).

        A tenant whose credentials cannot be had (``NotCovered``) is left out.
        """
        tenants: dict[str, dict[str, str]] = {}
        fixtures: dict[str, Any] = {}
        for name in dict.fromkeys([user, *CONVENTIONAL_TENANTS, *session.target.tenants]):
            try:
                tenants[name], found = session.identity(name)
            except NotCovered:
                continue
            if name == user:
                fixtures = found
        return cls(tenants, user=user, fixtures=fixtures)


def not_runnable_reason(spec: Mapping[str, Any], identities: FuzzIdentities | None) -> str | None:
    """Why ``object_level_authorization`` cannot run with these identities, or None when it can."""
    if identities is None:
        return "no tenant identities were given to this Schemathesis run, so it has no second identity"
    if len(identities.peers) < 2:
        return NO_SECOND_IDENTITY
    if identities.user not in identities.peers:
        return f"the tenant {identities.user!r} that would send the requests has no credentials"
    seen: dict[tuple[tuple[str, str], ...], str] = {}
    for name in identities.peers:
        key = tuple(sorted(identities.tenants[name].items()))
        if key in seen:
            return f"tenants {seen[key]!r} and {name!r} have the same credentials: one identity, not two"
        seen[key] = name
    schemes = (spec.get("components") or {}).get("securitySchemes") or {}
    for name in identities.peers:
        for scheme in identities.tenants[name]:
            if _header(schemes.get(scheme), "") is None:
                return (
                    f"tenants.{name}.credentials.{scheme} cannot be sent as a fixed header "
                    "(only http bearer and header apiKey security schemes can)"
                )
    return None


def inapplicable(
    spec: Mapping[str, Any], checks: tuple[str, ...], identities: FuzzIdentities | None = None
) -> dict[str, str]:
    """Auth checks among ``checks`` that the spec or the identities at hand rule out, with the reason."""
    found: dict[str, str] = {}
    reason = not_runnable_reason(spec, identities) if OBJECT_LEVEL_AUTHORIZATION in checks else None
    if reason:
        found[OBJECT_LEVEL_AUTHORIZATION] = reason
    if "ignored_auth" in checks:
        root = spec.get("security") or []
        for path, item in (spec.get("paths") or {}).items():
            for method, op in (item or {}).items():
                if not isinstance(op, Mapping) or "responses" not in op:
                    continue
                responses = op.get("responses") or {}
                if op.get("security", root) and "401" not in responses and "403" not in responses:
                    found["ignored_auth"] = (
                        f"not applicable: {method.upper()} {path} documents no 401/403 for missing credentials "
                        "(ignored_auth expects one); the domain check `auth` judges it against the spec"
                    )
    return found


def auth_section(
    spec: Mapping[str, Any], credentials: Mapping[str, str], wfc: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Schemathesis' ``[auth]``: ``[auth.wfc]`` when given, else ``credentials`` per security scheme.

    Never both: Schemathesis takes one authentication method only. Empty without credentials.
    """
    if wfc is not None:
        return {"wfc": dict(wfc)}
    schemes = (spec.get("components") or {}).get("securitySchemes") or {}
    auth: dict[str, Any] = {}
    for name, value in credentials.items():
        scheme = schemes.get(name) or {}
        if scheme.get("type") == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
            auth[name] = {"bearer": value}
        elif scheme.get("type") == "apiKey":
            auth[name] = {"api_key": value}
    return {"openapi": auth} if auth else {}


def wfc_document(spec: Mapping[str, Any], identities: FuzzIdentities) -> dict[str, Any]:
    """The WFC auth document: one user per peer, its credentials as fixed headers."""
    schemes = (spec.get("components") or {}).get("securitySchemes") or {}
    users = []
    for name in identities.peers:
        headers = [_header(schemes.get(scheme), value) for scheme, value in identities.tenants[name].items()]
        users.append({"name": name, "fixedHeaders": [header for header in headers if header is not None]})
    return {"auth": users}


@contextmanager
def wfc_auth(spec: Mapping[str, Any], identities: FuzzIdentities | None) -> Iterator[dict[str, Any] | None]:
    """Yield the ``[auth.wfc]`` section, its document written to a private temporary folder.

    The folder (mode 0700, in the system's temporary directory) is removed on exit, also when the
    run fails. Yields None, writing nothing, when ``identities`` is None.
    """
    if identities is None:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="exportkit-wfc-") as folder:
        path = Path(folder) / AUTH_FILE
        path.write_text(json.dumps(wfc_document(spec, identities)), encoding="utf-8")
        path.chmod(0o600)
        yield {"path": str(path), "user": identities.user, "peers": list(identities.peers)}


def fixture_pins(spec: Mapping[str, Any], fixtures: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``{create operationId: {"body.connectionId": …}}``: the fixtures named like a JSON body member
    or a parameter of the create operation (``x-lifecycle.operations.create``).
    """
    create = ((spec.get("x-lifecycle") or {}).get("operations") or {}).get("create")
    found = [
        (item, op)
        for item in (spec.get("paths") or {}).values()
        if isinstance(item, Mapping)
        for op in item.values()
        if isinstance(op, Mapping) and create is not None and op.get("operationId") == create
    ]
    if not found or not fixtures:
        return {}
    item, op = found[0]
    locations: dict[str, str] = {}
    for parameter in [*(item.get("parameters") or ()), *(op.get("parameters") or ())]:
        resolved = _resolve(spec, parameter)
        locations[str(resolved.get("name"))] = str(resolved.get("in"))
    members: set[str] = set()
    for media_type, content in (_resolve(spec, op.get("requestBody") or {}).get("content") or {}).items():
        if "json" in media_type and isinstance(content, Mapping):
            members |= _properties(spec, content.get("schema") or {})
    pins: dict[str, Any] = {}
    for key, value in fixtures.items():
        if key in members:
            pins[f"body.{key}"] = value
        if key in locations:
            pins[f"{locations[key]}.{key}"] = value
    return {str(create): pins} if pins else {}


def peer_replays(recorder: Any) -> int:
    """Reads of one Schemathesis scenario that a check resent, to the same operation, as another identity.

    ``object_level_authorization`` sends those (the owner's read as a peer) and compares the
    answers; its other requests (the peer's copy of a list, the read without credentials) compare
    nothing on their own. Their number tells whether the check really compared two tenants.
    """
    cases = recorder.cases
    count = 0
    for node in cases.values():
        parent = cases.get(node.parent_id) if node.parent_id is not None else None
        if parent is None or node.value.auth_identity in (None, parent.value.auth_identity):
            continue
        if node.value.operation.label == parent.value.operation.label:
            count += 1
    return count


def _header(scheme: Any, value: str) -> dict[str, str] | None:
    """A credential as the header its security scheme names; None for schemes not sent in a header."""
    if not isinstance(scheme, Mapping):
        return None
    if scheme.get("type") == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
        return {"name": "Authorization", "value": f"Bearer {value}"}
    if scheme.get("type") == "apiKey" and scheme.get("in") == "header" and scheme.get("name"):
        return {"name": str(scheme["name"]), "value": value}
    return None


def _properties(spec: Mapping[str, Any], schema: Any) -> set[str]:
    schema = _resolve(spec, schema)
    found = {str(name) for name in schema.get("properties") or {}}
    for part in schema.get("allOf") or ():
        found |= _properties(spec, part)
    return found


def _resolve(spec: Mapping[str, Any], node: Any) -> Mapping[str, Any]:
    """Follow local ``$ref``s; anything unresolvable is an empty node (it then pins nothing)."""
    seen: set[str] = set()
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and node["$ref"] not in seen:
        seen.add(node["$ref"])
        target: Any = spec if node["$ref"].startswith("#/") else None
        for part in str(node["$ref"])[2:].split("/"):
            target = target.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(target, Mapping) else None
        node = target
    return node if isinstance(node, Mapping) and "$ref" not in node else {}


__all__ = [
    "CONVENTIONAL_TENANTS",
    "NOTHING_REPLAYED",
    "NO_SECOND_IDENTITY",
    "OBJECT_LEVEL_AUTHORIZATION",
    "FuzzIdentities",
    "auth_section",
    "fixture_pins",
    "inapplicable",
    "not_runnable_reason",
    "peer_replays",
    "wfc_auth",
    "wfc_document",
]
