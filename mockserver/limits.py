"""Request limits: header size, body size, and the time a body may take to arrive.

``RequestLimitMiddleware`` runs before Connexion's own middleware and refuses, in the envelope of
the request's path (vendor, ``/_control`` or ``/_storage``), a request whose request target and
headers exceed ``header_bytes``, whose body exceeds the operation's limit (by ``Content-Length``
before reading a byte, or while reading a chunked body), or whose body has not fully arrived
``body_seconds`` after the request started. It reads the body itself, so the app only ever sees
a complete body and a client trickling its body holds its own connection, nobody else's.

The status: HTTP's own (431, 413, 408) where the operation documents it, else ``400`` where the
operation documents that, else HTTP's own; the vendor module then has its say as for any
framework error (``Vendor.request_error``: webadmit answers what it cannot read with 404).
None of the five specs documents 413, 431 or 408, so their operations answer 400 (webadmit: 404).

    >>> RequestLimits().body_limit("carevalidate", "uploadFile") // MIB, RequestLimits().body_limit("x", None)
    (32, 1048576)
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.envelopes import ErrorRenderer, control_response
from mockserver.errors import ConfigError, ControlError, LimitError, StorageError, VendorError

KIB = 1024
MIB = 1024 * KIB
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

# S3's codes (both providers' XML is rendered with them), and the control plane's.
STORAGE_CODES = {"headers": "RequestHeaderSectionTooLarge", "body": "MaxMessageLengthExceeded",
                 "body-timeout": "RequestTimeout"}  # fmt: skip
CONTROL_CODES = {"headers": "HEADERS_TOO_LARGE", "body": "BODY_TOO_LARGE", "body-timeout": "BODY_TIMEOUT"}


def _carevalidate_upload() -> dict[str, dict[str, int]]:
    # specs/carevalidate.yaml, uploadFile: "No size cap is enforced by the application; App Engine and
    # proxy limits apply". Inferred: App Engine's documented request limit, 32 MB, read as 32 MiB.
    return {"carevalidate": {"uploadFile": 32 * MIB}}


@dataclass(frozen=True)
class RequestLimits:
    """The limits a server applies to every request.

    Args:
        header_bytes: request target (path and query) plus every header name and value.
        body_bytes: a request body, unless ``operation_body_bytes`` names its operation.
        body_seconds: the whole body must have arrived this long (real time) after it was awaited.
        operation_body_bytes: ``{api: {operationId: bytes}}`` for operations with their own limit.
    """

    header_bytes: int = 16 * KIB
    body_bytes: int = 1 * MIB
    body_seconds: float = 30.0
    operation_body_bytes: Mapping[str, Mapping[str, int]] = field(default_factory=_carevalidate_upload)

    def __post_init__(self) -> None:
        sizes = [self.header_bytes, self.body_bytes, *(n for ops in self.operation_body_bytes.values()
                                                       for n in ops.values())]  # fmt: skip
        if any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in sizes):
            raise ConfigError("limits", f"byte limits must be integers >= 1, got {sizes}")
        if not self.body_seconds > 0:
            raise ConfigError("limits", f"body_seconds must be > 0, got {self.body_seconds!r}")

    def body_limit(self, api: str | None, operation_id: str | None) -> int:
        """The body limit of ``operation_id`` of ``api`` (the default when either is ``None``)."""
        return (self.operation_body_bytes.get(api or "") or {}).get(operation_id or "", self.body_bytes)


@dataclass(frozen=True)
class Operation:
    """One operation of a spec as the limits see it: its id and documented statuses."""

    api: str
    operation_id: str
    statuses: frozenset[int]


class OperationIndex:
    """Finds the spec operation of a request path (``/<api>/<spec path>``) and method."""

    def __init__(self, specs: Mapping[str, Mapping[str, Any]]) -> None:
        self._routes: dict[str, list[tuple[re.Pattern[str], dict[str, Operation]]]] = {}
        for api, spec in specs.items():
            routes = self._routes.setdefault(api, [])
            for path, item in (spec.get("paths") or {}).items():
                pattern = re.compile(re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(path)))
                by_method = {
                    method.upper(): Operation(api, str(op.get("operationId")), _statuses(op))
                    for method, op in item.items()
                    if method in HTTP_METHODS and isinstance(op, Mapping)
                }
                routes.append((pattern, by_method))

    def find(self, path: str, method: str) -> Operation | None:
        """The operation ``method path`` reaches, or ``None`` (HEAD reaches GET's)."""
        api, _, rest = path.lstrip("/").partition("/")
        for pattern, by_method in self._routes.get(api, []):
            if pattern.fullmatch("/" + rest):
                return by_method.get(method) or (by_method.get("GET") if method == "HEAD" else None)
        return None


def _statuses(operation: Mapping[str, Any]) -> frozenset[int]:
    return frozenset(int(code) for code in (operation.get("responses") or {}) if str(code).isdigit())


def refusal_status(operation: Operation | None, preferred: int) -> int:
    """``preferred`` if documented, else a documented 400, else ``preferred`` (see the module)."""
    if operation is not None and preferred not in operation.statuses and 400 in operation.statuses:
        return 400
    return preferred


class RequestLimitMiddleware:
    """ASGI middleware enforcing ``RequestLimits``; add it outside Connexion's exception handling.

    ``renderer`` renders each refusal in the envelope of the path; ``index`` finds the operation
    (its body limit and documented statuses).
    """

    def __init__(self, app: ASGIApp, *, limits: RequestLimits, index: OperationIndex, renderer: ErrorRenderer) -> None:
        self.app = app
        self.limits = limits
        self.index = index
        self.renderer = renderer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        operation = self.index.find(scope["path"], scope["method"])
        try:
            self._check_headers(scope)
            limit = (
                self.limits.body_limit(operation.api, operation.operation_id) if operation else self.limits.body_bytes
            )
            body = await self._read_body(scope, receive, limit)
        except LimitError as error:
            await self._refuse(scope, receive, send, error, operation)
            return
        if body is None:  # the client left before its body arrived: nobody to answer
            return
        await self.app(scope, _replay(body, receive), send)

    def _check_headers(self, scope: Scope) -> None:
        size = len(scope.get("raw_path") or scope["path"].encode()) + len(scope.get("query_string") or b"")
        size += sum(len(name) + len(value) for name, value in scope["headers"])
        if size > self.limits.header_bytes:
            raise LimitError("headers", self.limits.header_bytes, 431,
                             f"the request target and headers exceed {self.limits.header_bytes} bytes")  # fmt: skip

    async def _read_body(self, scope: Scope, receive: Receive, limit: int) -> bytes | None:
        too_large = LimitError("body", limit, 413, f"the request body exceeds {limit} bytes")
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            raise too_large  # refused before a byte is read (no 100 Continue is sent)
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.limits.body_seconds):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return None
                    chunk: bytes = message.get("body", b"")
                    size += len(chunk)
                    if size > limit:
                        raise too_large
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        return b"".join(chunks)
        except TimeoutError:
            seconds = self.limits.body_seconds
            text = f"the request body did not arrive within {seconds:g} s"
            raise LimitError("body-timeout", seconds, 408, text) from None

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, error: LimitError, operation: Operation | None
    ) -> None:
        request = Request(scope)
        path = request.url.path
        response: Response
        if path.startswith("/_storage/"):
            code = STORAGE_CODES[error.kind]
            response = await self.renderer.handle(request, StorageError(400, code, error.message))
        elif path == "/_control" or path.startswith("/_control/"):
            control = ControlError(error.status, CONTROL_CODES[error.kind], error.message)
            response = control_response(control, VendorError(error.status, control.code, error.message))
        else:
            status = refusal_status(operation, error.status)
            response = await self.renderer.handle(request, HTTPException(status, error.message))
        if error.kind == "body-timeout":  # the rest is not coming soon: do not wait for it on this connection
            response.headers["Connection"] = "close"
        # Otherwise the server discards the unread rest of the body, so a client that sends it all
        # before reading (httpx, requests) still gets this answer rather than a reset connection.
        await response(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the app the body already read, then the connection's own events."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
