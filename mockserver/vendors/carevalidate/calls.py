"""One call to CareValidate's patient portal, as the vendor reads it beyond what Connexion checks.

- ``request_error``: the answer to an error the framework raised, in the vendor's order. A fixed
  path answers 405 for a method it lacks before a templated neighbour can claim it (``DELETE
  .../files/upload``); then a bad bearer answers 401 first, a missing ``cv-api-key`` 400, an
  unknown one 404 "Organization not found". ``routes`` is the spec's route table it reads.
- ``Portal``: what every handler of one API shares: the body checks Connexion's validation misses
  (patterns the ECMA-262 way, ``$`` only at the end; text that is not Unicode), the caller's
  patient and the success envelope.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockserver.errors import VendorError
from mockserver.runtime import ApiRuntime
from mockserver.vendors import Call
from mockserver.vendors.carevalidate.directory import Organisation, Person, directory
from mockserver.vendors.carevalidate.tokens import bearer_owner

VALIDATION = "VALIDATION_ERROR"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
PATTERNED = {"id": "Uuid", "caseId": "Uuid", "email": "Email", "phoneNumber": "PhoneNumber", "code": "OtpCode"}


def _ecma(pattern: str) -> re.Pattern[str]:
    """``pattern`` as ECMA-262 reads it: ``$`` matches only at the very end, not before a final newline."""
    return re.compile(re.sub(r"(?<!\\)\$", r"\\Z", pattern))


@dataclass(frozen=True)
class Route:
    """One spec path: its regular expression and, per method, whether a bearer token is required."""

    pattern: re.Pattern[str]
    fixed: bool
    bearer: Mapping[str, bool]


def routes(spec: Mapping[str, Any]) -> list[Route]:
    """The spec's paths, fixed ones first (they win over a templated neighbour)."""
    found = []
    for path, item in (spec.get("paths") or {}).items():
        methods = {m.upper(): op for m, op in item.items() if m in HTTP_METHODS and isinstance(op, Mapping)}
        bearer = {m: any("accessToken" in r for r in op.get("security", spec.get("security", [])))
                  for m, op in methods.items()}  # fmt: skip
        regex = re.compile(re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(path)))
        found.append(Route(regex, "{" not in path, bearer))
    return sorted(found, key=lambda route: not route.fixed)


def request_error(
    api: ApiRuntime, request: Request, error: VendorError, framework_error: Callable[[VendorError], VendorError]
) -> VendorError:
    """The vendor's answer to ``error`` on ``request``; ``framework_error`` answers the rest."""
    path, method = request.url.path[len(api.name) + 1 :], request.method
    route = next((r for r in routes(api.spec) if r.pattern.fullmatch(path)), None)
    served = {*route.bearer, *(("HEAD",) if "GET" in route.bearer else ())} if route else set()
    if route is not None and route.fixed and method not in served:
        allow = ", ".join(route.bearer)
        return VendorError(405, "METHOD_NOT_ALLOWED", "Method Not Allowed", headers={"Allow": allow})
    if error.status != 401 or route is None or method not in served:
        return framework_error(error)
    if route.bearer.get("GET" if method == "HEAD" else method) and bearer_owner(api, request) is None:
        return error  # any bearer failure answers first (spec, scheme accessToken)
    key = request.headers.get("cv-api-key")
    if key is None:
        return VendorError(400, VALIDATION, "cv-api-key header is required")
    if api.tenant_by_credential("cvApiKey", key) is None:
        return VendorError(404, "NOT_FOUND", "Organization not found")
    return error


@dataclass(frozen=True)
class Portal:
    """What every handler of one API shares: its runtime, the directory and the spec's patterns."""

    api: ApiRuntime
    book: Mapping[str, Organisation]
    patterns: Mapping[str, re.Pattern[str]]

    @classmethod
    def from_api(cls, api: ApiRuntime) -> Portal:
        """The directory of ``api``'s seed and the ECMA-262 reading of its spec's ``PATTERNED`` schemas."""
        book = directory(api.derive)
        schemas = api.spec.get("components", {}).get("schemas", {})
        patterns = {member: _ecma(schemas[name]["pattern"]) for member, name in PATTERNED.items()}
        return cls(api, book, patterns)

    def checked(self, call: Call) -> Mapping[str, Any]:
        """The body, after what Connexion's validation misses: ECMA ``$`` and text that is not Unicode."""
        body = call.body if isinstance(call.body, Mapping) else {}
        for member, value in (*call.params.items(), *body.items()):
            if not isinstance(value, str):
                continue
            if member in self.patterns and not self.patterns[member].search(value):
                raise VendorError(400, VALIDATION, f"{member} does not match {self.patterns[member].pattern}")
            try:
                value.encode()
            except UnicodeEncodeError:
                raise VendorError(400, VALIDATION, f"{member} is not valid Unicode text") from None
        return body

    def patient(self, call: Call) -> Person:
        """The bearer's patient when the token is of the calling organisation, else its first patient."""
        owner = bearer_owner(self.api, call.request)
        org = self.book[call.tenant.name]
        return owner[1] if owner and owner[0].name == call.tenant.name else org.patients[0]

    def ok(self, call: Call, data: Any, status: int = 200) -> Response:
        """The success envelope around ``data``."""
        return self.api.json(call, {"status": status, "success": True, "data": data}, status)
