"""Every error in the right envelope: the vendor's, the control plane's or the object store's.

Connexion and Starlette raise their own errors (validation 400, security 401/403, routing
404/405, 415, undecodable bodies); ``ErrorRenderer.handle`` is registered for all of them and
picks the envelope from the path: ``/<api>/...`` gets that vendor's (``Vendor.error_body`` in the
media type of ``x-lifecycle.errors``), ``/_control`` plain JSON, ``/_storage/s3|gcs`` the
provider's XML. Nothing a client sends ends in Connexion's default problem body.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

from connexion.exceptions import ProblemException
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from mockserver.errors import ClockError, ControlError, StorageError, VendorError
from mockserver.jsonbody import compact_json
from mockserver.runtime import ApiRuntime

logger = logging.getLogger(__name__)
REQUEST_ID_KEY = "exportkit.request_id"


def request_id_for(request: Request, runtime: ApiRuntime | None) -> str:
    """The request's id, made once per request (vendor format) and kept in the ASGI scope."""
    scope = request.scope
    if REQUEST_ID_KEY not in scope:
        scope[REQUEST_ID_KEY] = runtime.new_request_id(request) if runtime else "req_" + secrets.token_hex(12)
    return str(scope[REQUEST_ID_KEY])


def storage_xml(error: StorageError, *, provider: str, resource: str, request_id: str) -> Response:
    """The S3 (``provider="s3"``) or GCS XML error document."""
    parts = [f"<Code>{escape(error.code)}</Code>", f"<Message>{escape(error.message)}</Message>"]
    if provider == "s3":
        parts += [f"<Resource>{escape(resource)}</Resource>", f"<RequestId>{escape(request_id)}</RequestId>"]
    else:
        parts.append(f"<Details>{escape(resource)}</Details>")
    body = "<?xml version='1.0' encoding='UTF-8'?>\n<Error>" + "".join(parts) + "</Error>"
    return Response(body.encode(), error.status, media_type="application/xml")


class ErrorRenderer:
    """Renders any exception raised while serving a request, in the envelope of its path."""

    def __init__(self, runtimes: Mapping[str, ApiRuntime]) -> None:
        self.runtimes = runtimes

    def runtime_for(self, path: str) -> ApiRuntime | None:
        first = path.lstrip("/").split("/", 1)[0]
        return self.runtimes.get(first)

    def vendor_response(self, request: Request, error: VendorError, runtime: ApiRuntime) -> Response:
        """``error`` in ``runtime``'s vendor envelope (or deliberately not, under ``error-envelope``)."""
        request_id = request_id_for(request, runtime)
        envelope = runtime.lifecycle.errors
        headers = dict(error.headers)
        if error.status == 405:  # Connexion routes each method apart, so its own Allow lists only one
            allowed = runtime.allowed_methods(request.url.path[len(runtime.name) + 1 :])
            if allowed:
                headers["Allow"] = ", ".join(allowed)
        if envelope.request_id_header:
            headers[envelope.request_id_header] = request_id
        if not runtime.rules.vendor_envelope:
            return Response(f"{error.status} {error.message}".encode(), error.status, headers, "text/plain")
        if error.status in envelope.empty_body_statuses:
            return Response(b"", error.status, headers)
        body = runtime.vendor.error_body(error, request_id=request_id, path=request.url.path)
        content = compact_json(body)
        return Response(content, error.status, headers, envelope.media_type)

    def to_vendor_error(self, exc: Exception, runtime: ApiRuntime | None) -> VendorError:
        """What an exception means as an error answer (status, vendor code, message)."""
        if isinstance(exc, VendorError):
            return exc
        code = (lambda status: runtime.vendor.error_code(status)) if runtime else _generic_code
        if isinstance(exc, ProblemException):
            status = int(exc.status)
            detail = str(exc.detail or exc.title or "request refused").split("\n\n", 1)[0]
            return VendorError(status, code(status), detail, headers=dict(exc.headers or {}))
        if isinstance(exc, HTTPException):
            status = exc.status_code
            return VendorError(status, code(status), str(exc.detail), headers=dict(exc.headers or {}))
        if isinstance(exc, UnicodeDecodeError):
            return VendorError(400, code(400), "the request body is not valid UTF-8")
        if isinstance(exc, json.JSONDecodeError):
            return VendorError(400, code(400), f"the request body is not valid JSON: {exc.msg}")
        logger.error("unhandled error", exc_info=exc)
        return VendorError(500, code(500), "internal error")

    async def handle(self, request: Request, exc: Exception) -> Response:
        """The error handler registered with Connexion for every exception type it can see."""
        path = request.url.path
        if path.startswith("/_storage/"):
            provider = "s3" if path.startswith("/_storage/s3/") else "gcs"
            error = exc if isinstance(exc, StorageError) else _storage_error(self.to_vendor_error(exc, None))
            return storage_xml(error, provider=provider, resource=path, request_id=request_id_for(request, None))
        if path == "/_control" or path.startswith("/_control/"):
            return control_response(exc, self.to_vendor_error(exc, None))
        runtime = self.runtime_for(path)
        vendor_error = self.to_vendor_error(exc, runtime)
        if runtime is not None and not isinstance(exc, VendorError):
            vendor_error = runtime.vendor.request_error(runtime, request, vendor_error)
        if runtime is None:
            body = {
                "error": {"status": vendor_error.status, "code": vendor_error.code, "message": vendor_error.message}
            }
            return Response(
                json.dumps(body).encode(), vendor_error.status, dict(vendor_error.headers), "application/json"
            )
        return self.vendor_response(request, vendor_error, runtime)


def control_response(exc: Exception, fallback: VendorError) -> Response:
    """A control-plane error as ``{"error": {"status", "code", "message"}}``."""
    if isinstance(exc, ClockError):
        error = ControlError(400, "INVALID_CLOCK", str(exc))
    elif isinstance(exc, ControlError):
        error = exc
    else:
        error = ControlError(fallback.status, fallback.code, fallback.message)
    content = json.dumps(error.body()).encode()
    return Response(content, error.status, dict(fallback.headers), "application/json")


def _generic_code(status: int) -> str:
    names: dict[int, str] = {
        400: "BAD_REQUEST",
        404: "NOT_FOUND",
        405: "METHOD_NOT_ALLOWED",
        415: "UNSUPPORTED_MEDIA_TYPE",
    }
    return names.get(status, "ERROR" if status < 500 else "INTERNAL_ERROR")


def _storage_error(error: VendorError) -> StorageError:
    codes: dict[int, str] = {404: "NoSuchKey", 405: "MethodNotAllowed", 400: "InvalidRequest"}
    return StorageError(error.status, codes.get(error.status, "InternalError"), error.message)


def json_body(raw: bytes) -> Any:
    """Parse a control-plane body; raises ``ControlError`` (400) for anything but JSON."""
    if not raw.strip():
        return {}
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ControlError(400, "INVALID_JSON", f"the body is not valid UTF-8 JSON: {exc}") from exc
