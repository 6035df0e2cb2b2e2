"""What to verify and how to reach it: a target file (YAML/JSON), a URL serving one, and/or flags.

    api: curaeai
    base_url: https://staging.example.com       # the spec's paths are appended to this
    tenants:
      primary:   {credentials: {platformApiKey: cae_test_1}, fixtures: {connectionId: "…"}}
      secondary: {credentials: {platformApiKey: cae_test_2}}
    provider_states_url: https://staging.example.com/_pact/provider-states   # optional
    clock_url: https://staging.example.com/_control/clock                    # optional
    states: {READY: {exportId: "…"}}    # optional: state -> path params of a job in that state
    spec: ./my-api.yaml                 # optional: a custom spec instead of specs/<api>.yaml

Credentials are keyed by the spec's security scheme names. Every problem is a ``TargetError``
whose message is one line naming the source and the member at fault.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import yaml

from contract_tests.errors import TargetError, TargetUnreachable, UnknownApi
from specs import API_NAMES

KNOWN_KEYS = ("api", "base_url", "tenants", "provider_states_url", "clock_url", "states", "spec")
TENANT_KEYS = ("credentials", "fixtures")
FETCH_TIMEOUT_S = 10.0
MAX_TARGET_BYTES = 1_000_000


@dataclass
class Tenant:
    """One caller identity: credentials by security scheme name, and values its requests need."""

    credentials: dict[str, str] = field(default_factory=dict)
    fixtures: dict[str, Any] = field(default_factory=dict)


@dataclass
class Target:
    """A server to verify against one API's spec."""

    api: str
    base_url: str
    tenants: dict[str, Tenant] = field(default_factory=dict)
    provider_states_url: str | None = None
    clock_url: str | None = None
    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    spec: str | None = None

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "target") -> Target:
        """Build and validate a target from parsed YAML/JSON; raises ``TargetError``."""
        fields = _fields(data, source, require_all=True)
        return cls(**fields)

    @classmethod
    def from_path(cls, path: str | Path) -> Target:
        """Read a YAML or JSON target file; relative ``spec`` paths are resolved against its folder."""
        fields = _fields(_read_file(Path(path)), str(path), require_all=True)
        spec = fields.get("spec")
        if spec and not Path(spec).is_absolute():
            fields["spec"] = str((Path(path).parent / spec).resolve())
        return cls(**fields)

    @classmethod
    def from_url(cls, url: str, *, timeout: float = FETCH_TIMEOUT_S) -> Target:
        """Fetch a target description over HTTP(S), as the mock serves at ``/_control/{api}/target``."""
        return cls(**_fields(_fetch(url, timeout), url, require_all=True))


def load_target(
    *,
    api: str | None = None,
    base_url: str | None = None,
    target: str | None = None,
    timeout: float = FETCH_TIMEOUT_S,
) -> Target:
    """Merge flags over a target file or URL (``target``); either may be absent, not both.

    ``timeout`` bounds the fetch of a target URL (seconds to connect and for each read).

    >>> load_target(api="curaeai", base_url="http://127.0.0.1:8080/curaeai").api
    'curaeai'
    """
    data: dict[str, Any] = {}
    source = "flags"
    if target:
        if target.startswith(("http://", "https://")):
            data = _fields(_fetch(target, timeout), target, require_all=False)
        else:
            path = Path(target)
            data = _fields(_read_file(path), target, require_all=False)
            if data.get("spec") and not Path(data["spec"]).is_absolute():
                data["spec"] = str((path.parent / data["spec"]).resolve())
        source = target
    if api is not None:
        if data.get("api") not in (None, api):
            raise TargetError(source, f"the target is for API {data['api']!r}, but --api says {api!r}")
        data["api"] = api
    if base_url is not None:
        data["base_url"] = base_url
    if not data.get("api"):
        raise TargetError(source, "no API given: set `api` in the target or pass --api")
    if not data.get("base_url"):
        raise TargetError(source, "no base URL given: set `base_url` in the target or pass --base-url")
    checked = _fields(data, source, require_all=True)
    if checked.get("spec") is None and checked["api"] not in API_NAMES:
        raise UnknownApi(checked["api"], API_NAMES)
    if checked.get("spec") is not None and not Path(checked["spec"]).is_file():
        raise TargetError(source, f"`spec` {checked['spec']!r} is not a file")
    return Target(**checked)


def _read_file(path: Path) -> Any:
    try:
        if path.stat().st_size > MAX_TARGET_BYTES:
            raise TargetError(str(path), f"is larger than {MAX_TARGET_BYTES} bytes; not a target file")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TargetError(str(path), "no such file") from None
    except IsADirectoryError:
        raise TargetError(str(path), "is a directory, not a target file") from None
    except UnicodeDecodeError:
        raise TargetError(str(path), "is not UTF-8 text") from None
    except OSError as exc:
        raise TargetError(str(path), f"cannot be read: {exc.strerror or exc}") from None
    return _parse(text, str(path))


def _fetch(url: str, timeout: float) -> Any:
    """GET a target description, reading at most ``MAX_TARGET_BYTES`` of it."""
    body = bytearray()
    try:
        with httpx.stream("GET", url, timeout=timeout, follow_redirects=False) as response:
            if response.status_code != 200:
                raise TargetError(url, f"answered HTTP {response.status_code}, expected 200 with a target description")
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_TARGET_BYTES:
                    raise TargetError(url, f"answered more than {MAX_TARGET_BYTES} bytes; not a target description")
    except httpx.TimeoutException as exc:
        raise TargetUnreachable(url, f"{type(exc).__name__}: no answer within {timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise TargetUnreachable(url, f"{type(exc).__name__}: {exc}") from None
    return _parse(body.decode(response.encoding or "utf-8", "replace"), url)


def _parse(text: str, source: str) -> Any:
    if not text.strip():
        raise TargetError(source, "is empty")
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise TargetError(source, f"is neither JSON nor valid YAML{where}: {problem}") from None


def _fields(data: Any, source: str, *, require_all: bool) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise TargetError(source, f"must be a mapping of target members, got {type(data).__name__}")
    unknown = sorted(str(k) for k in data if k not in KNOWN_KEYS)
    if unknown:
        raise TargetError(source, f"unknown member(s) {unknown}; allowed: {', '.join(KNOWN_KEYS)}")
    out: dict[str, Any] = {}
    for key in ("api", "base_url", "provider_states_url", "clock_url", "spec"):
        value = data.get(key)
        if value is None:
            if require_all and key in ("api", "base_url"):
                raise TargetError(source, f"`{key}` is required")
            continue
        if not isinstance(value, str) or not value.strip():
            raise TargetError(source, f"`{key}` must be a non-empty string, got {value!r}")
        if key.endswith("url"):
            _check_url(value, f"`{key}`", source)
            value = value.rstrip("/")
        out[key] = value
    if "tenants" in data:
        out["tenants"] = _tenants(data["tenants"], source)
    if "states" in data:
        out["states"] = _states(data["states"], source)
    return out


def _check_url(value: str, member: str, source: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise TargetError(source, f"{member} must be an absolute http(s) URL, got {value!r}")


def _tenants(raw: Any, source: str) -> dict[str, Tenant]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise TargetError(source, "`tenants` must map tenant names (primary, secondary) to {credentials, fixtures}")
    tenants: dict[str, Tenant] = {}
    for name, body in raw.items():
        where = f"`tenants.{name}`"
        if isinstance(body, Tenant):  # already checked (flags merged over a file)
            tenants[str(name)] = body
            continue
        if body is None:
            body = {}
        if not isinstance(body, Mapping):
            raise TargetError(source, f"{where} must be a mapping with credentials and fixtures")
        extra = sorted(str(k) for k in body if k not in TENANT_KEYS)
        if extra:
            raise TargetError(source, f"{where} has unknown member(s) {extra}; allowed: credentials, fixtures")
        creds = body.get("credentials") or {}
        fixtures = body.get("fixtures") or {}
        if not isinstance(creds, Mapping):
            raise TargetError(source, f"{where}.credentials must map security scheme names to strings")
        for scheme, value in creds.items():
            if not isinstance(value, str):
                raise TargetError(source, f"{where}.credentials.{scheme} must be a string, got {type(value).__name__}")
        if not isinstance(fixtures, Mapping):
            raise TargetError(source, f"{where}.fixtures must be a mapping")
        tenants[str(name)] = Tenant({str(k): v for k, v in creds.items()}, {str(k): v for k, v in fixtures.items()})
    return tenants


def _states(raw: Any, source: str) -> dict[str, dict[str, Any]]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise TargetError(source, "`states` must map state names to path parameters, e.g. {READY: {exportId: …}}")
    states: dict[str, dict[str, Any]] = {}
    for name, params in raw.items():
        if not isinstance(params, Mapping) or not params:
            raise TargetError(source, f"`states.{name}` must be a non-empty mapping of path parameters")
        states[str(name)] = {str(k): v for k, v in params.items()}
    return states


__all__ = ["Target", "Tenant", "load_target"]
