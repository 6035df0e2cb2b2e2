"""CareValidate's access tokens: stateless HS512 JWTs signed with a key derived from ``--seed``.

They survive a restart (any store) and expire on the mock clock. A tenant's ``accessToken``
credential is a fixture JWT of its first patient without ``exp`` (``FIXTURE_ISSUED_AT``), so a
checker that advances the clock keeps its credentials; sign-in mints tokens valid ``ACCESS_TTL``.
Reading a token is pure and happens twice per call (security, then the handler): ``_signed_payload``
and ``_claims`` memoise it, and ``token_owner`` looks the owner up in the memoised directory.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from starlette.requests import Request

from mockserver.runtime import ApiRuntime
from mockserver.vendors import Derive, Tenant
from mockserver.vendors.carevalidate.directory import Person, _patient

ACCESS_TTL = 900
FIXTURE_ISSUED_AT = 1767225600  # 2026-01-01T00:00:00Z: fixture tokens are stable for a seed


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _jwt_key(derive: Derive) -> bytes:
    return derive.digest("jwt:hs512")


def sign_jwt(derive: Derive, claims: Mapping[str, Any]) -> str:
    """An HS512 JWT of ``claims``, signed with the seed's key."""
    head = _b64url(json.dumps({"alg": "HS512", "typ": "JWT"}, separators=(",", ":")).encode())
    body = _b64url(json.dumps(dict(claims), separators=(",", ":"), sort_keys=True).encode())
    mac = hmac.new(_jwt_key(derive), f"{head}.{body}".encode(), hashlib.sha512).digest()
    return f"{head}.{body}.{_b64url(mac)}"


def read_jwt(derive: Derive, token: str, now: float) -> Mapping[str, Any] | None:
    """The claims (read-only) of a patient-portal token signed with the seed's key and not expired at ``now``."""
    claims = _claims(derive.seed, derive.api, token)
    if claims is None or claims.get("type") != "patient-portal":
        return None
    expires = claims.get("exp")
    return claims if expires is None or (isinstance(expires, int) and now < expires) else None


@functools.lru_cache(maxsize=256)
def _claims(seed: int, api: str, token: str) -> Mapping[str, Any] | None:
    # pure, and read twice per call (security, then the handler): memoised, read-only
    payload = _signed_payload(seed, api, token)
    if payload is None:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, binascii.Error):
        return None
    return MappingProxyType(claims) if isinstance(claims, dict) else None


@functools.lru_cache(maxsize=256)
def _signed_payload(seed: int, api: str, token: str) -> str | None:
    # the HMAC check is pure and runs twice per call (security, then the handler): memoised
    parts = token.split(".")
    if not token.isascii() or len(parts) != 3:
        return None
    mac = hmac.new(_jwt_key(Derive(seed, api)), f"{parts[0]}.{parts[1]}".encode(), hashlib.sha512).digest()
    return parts[1] if hmac.compare_digest(_b64url(mac), parts[2]) else None


def fixture_patient(tenant: Tenant) -> str:
    """The patient id in ``tenant``'s fixture token (minted by ``tenants``, so it reads back)."""
    body = str(tenant.credentials["accessToken"]).split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["userId"])


def token_owner(api: ApiRuntime, token: str) -> tuple[Tenant, Person] | None:
    """The tenant and patient a valid access token belongs to."""
    claims = read_jwt(api.derive, token, api.now())
    organisation, user = (claims or {}).get("organizationId"), (claims or {}).get("userId")
    if not isinstance(organisation, str) or not isinstance(user, str):
        return None  # ids are text: nothing else names anybody
    found = _patient(api.derive.seed, api.derive.api, organisation, user)
    return (api.tenant(found[0]), found[1]) if found else None


def bearer_owner(api: ApiRuntime, request: Request) -> tuple[Tenant, Person] | None:
    """The owner of the request's ``Authorization: Bearer`` token, if it is a valid access token."""
    kind, _, token = (request.headers.get("Authorization") or "").strip().partition(" ")
    return token_owner(api, token.strip()) if kind.lower() == "bearer" else None
