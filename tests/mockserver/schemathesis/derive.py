"""The Schemathesis CLI configuration of one API, derived from its spec and a target description.

Nothing per vendor is kept by hand but ``EXCLUSIONS`` (each explained in ``README.md`` beside this file):

- **credentials**: every tenant of the target becomes a Web Fuzzing Commons user whose fixed
  headers are its credentials, placed as the spec's security schemes say (http bearer ->
  ``Authorization: Bearer …``, apiKey -> its header). One tenant (``primary``) sends every request;
  all tenants are ``peers``, so ``object_level_authorization`` replays one tenant's reads as another.
- **fixtures**: a fixture named like a member of the create operation's request body (or like one of
  its parameters) is pinned to the tenant's value, or every create is refused (a foreign connection,
  chain or identity) and the stateful phase never reaches a job.
- **x-lifecycle.schemaValidRejections**: statuses a schema-valid request may still get join
  ``positive_data_acceptance``'s expected statuses of that operation.
- **checks**: all of them (``ALL_CHECKS``, what ``--checks all`` selects), less ``EXCLUSIONS``.

From the command line (``run.sh`` does this)::

    python -m tests.mockserver.schemathesis.derive --target http://127.0.0.1:8080/_control/curaeai/target \\
        --out /tmp/st-curaeai          # prints the file to pass to `schemathesis --config-file`
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from specs import Lifecycle, SpecError, load_spec
from tests.mockserver.schemathesis.toml_writer import to_toml

DEFAULT_USER = "primary"
CONFIG_FILE = "schemathesis.toml"
AUTH_FILE = "auth.json"
# Schemathesis' own default for positive_data_acceptance; an operation's list replaces it, so it is repeated.
POSITIVE_DATA_ACCEPTANCE_DEFAULT = ("2xx", "3xx", "401", "403", "404", "409", "429", "5xx")
# Every check, as `--checks all` selects them, but in the file: a check named on the command line
# overrides an operation's `enabled = false`, so EXCLUSIONS could not apply. `--checks all` also runs
# max_response_time, with Schemathesis' default limit.
ALL_CHECKS: dict[str, Any] = {"enabled": True, "max_response_time": 10.0}
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

MISSING_KEY_ANSWERED_400 = (
    "CareValidate documents a missing cv-api-key as 400 VALIDATION_ERROR (seed 002, Authentication "
    "Overview), and these operations need no bearer token that would answer 401 first; ignored_auth "
    "accepts only 401/403. tests/mockserver/vendors/test_carevalidate.py pins the documented 400."
)


@dataclass
class DerivationError(Exception):
    """The spec and the target do not make a usable configuration; ``member`` names what is wrong."""

    api: str
    member: str
    problem: str

    def __str__(self) -> str:
        return f"{self.api}: {self.member}: {self.problem}"


@dataclass(frozen=True)
class Exclusion:
    """One Schemathesis check turned off on one operation, because a faithful mock cannot pass it."""

    api: str
    operation_id: str
    check: str
    reason: str


EXCLUSIONS: tuple[Exclusion, ...] = (
    Exclusion("carevalidate", "sendOtp", "ignored_auth", MISSING_KEY_ANSWERED_400),
    Exclusion("carevalidate", "verifyOtp", "ignored_auth", MISSING_KEY_ANSWERED_400),
)


@dataclass(frozen=True)
class DerivedConfig:
    """A Schemathesis configuration and the Web Fuzzing Commons auth document it points at."""

    api: str
    config: dict[str, Any]  # schemathesis.toml, less auth.wfc.path (known once written)
    users: dict[str, Any] = field(repr=False)  # the WFC document: credentials, kept out of reprs

    def toml(self, auth_path: Path) -> str:
        """The configuration file's text, its ``[auth.wfc]`` reading ``auth_path``."""
        document = dict(self.config)
        document["auth"] = {"wfc": {"path": str(auth_path), **self.config["auth"]["wfc"]}}
        return to_toml(document)

    def write(self, folder: Path) -> Path:
        """Write both files into ``folder``; returns the configuration file for ``--config-file``."""
        folder.mkdir(parents=True, exist_ok=True)
        auth_path = (folder / AUTH_FILE).resolve()
        auth_path.write_text(json.dumps(self.users, indent=2) + "\n", encoding="utf-8")
        config_path = folder / CONFIG_FILE
        config_path.write_text(self.toml(auth_path), encoding="utf-8")
        return config_path


def derive_config(spec: Mapping[str, Any], target: Mapping[str, Any], *, user: str = DEFAULT_USER) -> DerivedConfig:
    """The configuration of ``target["api"]``: ``user`` sends the requests, every tenant is a peer."""
    api = str(target.get("api") or "?")
    tenants = target.get("tenants")
    if not isinstance(tenants, Mapping) or not tenants:
        raise DerivationError(api, "tenants", "the target describes no tenant")
    if user not in tenants:
        raise DerivationError(api, "tenants", f"no tenant {user!r}; the target has {sorted(tenants)}")
    users = [
        {"name": str(name), "fixedHeaders": credential_headers(spec, api, str(name), t)} for name, t in tenants.items()
    ]
    try:
        lifecycle = Lifecycle.from_spec(spec, api)
    except SpecError as exc:
        raise DerivationError(api, "x-lifecycle", str(exc)) from exc
    fixtures = tenants[user].get("fixtures") or {}
    if not isinstance(fixtures, Mapping):
        raise DerivationError(api, f"tenants.{user}.fixtures", "must be a mapping")
    wfc: dict[str, Any] = {"user": user}
    if len(tenants) >= 2:  # object_level_authorization needs a second identity; Schemathesis refuses one peer
        wfc["peers"] = [str(name) for name in tenants]
    config: dict[str, Any] = {"auth": {"wfc": wfc}, "checks": dict(ALL_CHECKS)}
    overrides = operation_overrides(spec, lifecycle, fixtures, api)
    if overrides:
        config["operations"] = overrides
    return DerivedConfig(api=api, config=config, users={"auth": users})


def credential_headers(spec: Mapping[str, Any], api: str, tenant: str, description: Any) -> list[dict[str, str]]:
    """A tenant's credentials as the headers its security schemes name (WFC ``fixedHeaders``)."""
    credentials = description.get("credentials") if isinstance(description, Mapping) else None
    if not isinstance(credentials, Mapping):
        raise DerivationError(api, f"tenants.{tenant}.credentials", "is missing or not a mapping")
    schemes = (spec.get("components") or {}).get("securitySchemes") or {}
    headers: list[dict[str, str]] = []
    for name, value in credentials.items():
        member = f"tenants.{tenant}.credentials.{name}"
        scheme = schemes.get(name)
        if not isinstance(scheme, Mapping):
            raise DerivationError(api, member, f"names no security scheme of the spec; it has {sorted(schemes)}")
        if not isinstance(value, str) or not value:
            raise DerivationError(api, member, "must be a non-empty string")
        if scheme.get("type") == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
            headers.append({"name": "Authorization", "value": f"Bearer {value}"})
        elif scheme.get("type") == "apiKey" and scheme.get("in") == "header" and scheme.get("name"):
            headers.append({"name": str(scheme["name"]), "value": value})
        else:
            raise DerivationError(
                api, f"components.securitySchemes.{name}", "only http bearer and header apiKey schemes can be sent"
            )
    for label, requirements in security_requirements(spec):
        if requirements and not any(set(requirement) <= set(credentials) for requirement in requirements):
            needed = " or ".join("+".join(sorted(r)) for r in requirements)
            raise DerivationError(api, f"tenants.{tenant}.credentials", f"{label} needs {needed}; none given")
    return headers


def operation_overrides(
    spec: Mapping[str, Any], lifecycle: Lifecycle, fixtures: Mapping[str, Any], api: str
) -> list[dict[str, Any]]:
    """One ``[[operations]]`` entry per operation that needs one: pins, expected statuses, exclusions."""
    entries: dict[str, dict[str, Any]] = {}

    def entry(operation_id: str) -> dict[str, Any]:
        return entries.setdefault(operation_id, {"include-operation-id": operation_id})

    pins = fixture_pins(spec, lifecycle.operations.create, fixtures, api)
    if pins:
        entry(lifecycle.operations.create)["parameters"] = pins
    for operation_id, statuses in lifecycle.schema_valid_rejections.items():
        expected = [*POSITIVE_DATA_ACCEPTANCE_DEFAULT, *(str(s) for s in statuses)]
        entry(operation_id).setdefault("checks", {})["positive_data_acceptance"] = {"expected-statuses": expected}
    known = {operation_id for operation_id, *_ in operations(spec)}
    for exclusion in EXCLUSIONS:
        if exclusion.api != api:
            continue
        if exclusion.operation_id not in known:
            raise DerivationError(api, f"EXCLUSIONS {exclusion.operation_id}", "is no operationId of the spec")
        entry(exclusion.operation_id).setdefault("checks", {})[exclusion.check] = {"enabled": False}
    return list(entries.values())


def fixture_pins(spec: Mapping[str, Any], operation_id: str, fixtures: Mapping[str, Any], api: str) -> dict[str, Any]:
    """``{"body.connectionId": …}``: fixtures named like a body member or a parameter of the operation."""
    found = [(item, op) for op_id, item, op in operations(spec) if op_id == operation_id]
    if not found:
        raise DerivationError(api, f"operationId {operation_id}", "is not in the spec")
    item, op = found[0]
    locations: dict[str, str] = {}
    for parameter in [*(item.get("parameters") or ()), *(op.get("parameters") or ())]:
        resolved = resolve(spec, parameter)
        locations[str(resolved.get("name"))] = str(resolved.get("in"))
    members = body_members(spec, op)
    pins: dict[str, Any] = {}
    for key, value in fixtures.items():
        if key in members:
            pins[f"body.{key}"] = value
        if key in locations:
            pins[f"{locations[key]}.{key}"] = value
    return pins


def body_members(spec: Mapping[str, Any], op: Mapping[str, Any]) -> set[str]:
    """Property names of the operation's JSON request body (through ``$ref`` and ``allOf``)."""
    body = resolve(spec, op.get("requestBody") or {})
    members: set[str] = set()
    for media_type, content in (body.get("content") or {}).items():
        if "json" in media_type:
            members |= _properties(spec, (content or {}).get("schema") or {})
    return members


def _properties(spec: Mapping[str, Any], schema: Mapping[str, Any]) -> set[str]:
    schema = resolve(spec, schema)
    found = set((schema.get("properties") or {}).keys())
    for part in schema.get("allOf") or ():
        found |= _properties(spec, part)
    return found


def resolve(spec: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow local ``$ref``s (``#/components/...``) until a node without one."""
    seen: set[str] = set()
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        ref = str(node["$ref"])
        if not ref.startswith("#/") or ref in seen:
            raise DerivationError(str(spec.get("info", {}).get("title", "?")), ref, "is not a resolvable local $ref")
        seen.add(ref)
        target: Any = spec
        for part in ref[2:].split("/"):
            target = target.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(target, Mapping) else None
        node = target
    if not isinstance(node, Mapping):
        raise DerivationError(str(spec.get("info", {}).get("title", "?")), "$ref", "points at no object")
    return node


def operations(spec: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any], Mapping[str, Any]]]:
    """``(operationId, path item, operation)`` for every operation of the spec."""
    for item in (spec.get("paths") or {}).values():
        for method, op in item.items():
            if method in HTTP_METHODS and isinstance(op, Mapping) and op.get("operationId"):
                yield str(op["operationId"]), item, op


def security_requirements(spec: Mapping[str, Any]) -> Iterator[tuple[str, list[Mapping[str, Any]]]]:
    """``(operationId, effective security requirements)``; an empty list means a public operation."""
    root = spec.get("security") or []
    for operation_id, _, op in operations(spec):
        yield operation_id, list(op.get("security", root) or [])


def load_target(source: str) -> dict[str, Any]:
    """A target description from a URL (the mock's ``/_control/{api}/target``) or a YAML/JSON file."""
    if source.startswith(("http://", "https://")):
        response = httpx.get(source, timeout=10.0)
        response.raise_for_status()
        data: Any = response.json()
    else:
        data = yaml.safe_load(Path(source).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise DerivationError("?", source, "the target is not a mapping")
    return data


def main(argv: Sequence[str] | None = None) -> int:
    """Write the derived configuration of one API; print its path. 0 on success, 2 on bad input."""
    parser = argparse.ArgumentParser(prog="python -m tests.mockserver.schemathesis.derive", description=__doc__)
    parser.add_argument("--target", required=True, help="URL or file of the target description")
    parser.add_argument("--out", required=True, type=Path, help="folder to write schemathesis.toml and auth.json into")
    parser.add_argument("--spec", help="spec file (default: the project's spec of the target's api)")
    parser.add_argument("--user", default=DEFAULT_USER, help=f"tenant that sends the requests (default {DEFAULT_USER})")
    args = parser.parse_args(argv)
    try:
        target = load_target(args.target)
        spec = load_spec(args.spec or str(target.get("api")))
        path = derive_config(spec, target, user=args.user).write(args.out)
    except (DerivationError, SpecError, OSError, httpx.HTTPError, ValueError, yaml.YAMLError) as exc:
        print(f"derive: {exc}", file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
