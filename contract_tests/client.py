"""The checker's only way to the target: HTTP, recorded, bounded, and never surprised.

Every request becomes an ``Exchange`` (request, response or transport error, and a curl command
that reproduces it). Redirects are not followed unless a check asks, bodies are read up to a
size cap, and transport errors (reset, timeout, TLS, too many redirects) are recorded, never raised.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import httpx

from contract_tests.curl import render_curl

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MAX_BODY = 8 * 1024 * 1024
DEFAULT_MAX_REDIRECTS = 5
_NOT_JSON = object()


@dataclass
class Exchange:
    """One request and what came back. ``status`` is 0 when there was no HTTP response."""

    method: str
    url: str
    request_headers: list[tuple[str, str]]
    request_body: bytes | None
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    body: bytes = b""
    truncated: bool = False  # the body was longer than the cap and was cut
    error: str | None = None  # transport error, when there was no response
    timed_out: bool = False  # the error was a timeout (connect, read, write or pool)
    operation: str | None = None  # operationId, when the request was an API operation
    elapsed_s: float = 0.0
    _parsed: Any = field(default=None, repr=False)

    @property
    def curl(self) -> str:
        """A curl command sending this very request."""
        return render_curl(self.method, self.url, self.request_headers, self.request_body)

    @property
    def media_type(self) -> str:
        """The response's media type without parameters, lower-cased ('' if none)."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    @property
    def is_json(self) -> bool:
        return self._json() is not _NOT_JSON

    @property
    def data(self) -> Any:
        """The JSON body, or None when the body is empty, cut or not JSON."""
        value = self._json()
        return None if value is _NOT_JSON else value

    @property
    def fault(self) -> str | None:
        """Why this is no usable HTTP answer at all, whatever the spec says; None when it is one.

        No response (reset, refused, timeout, TLS, too many redirects), a body over the size cap,
        or a body that its own JSON content type calls JSON and is not.
        """
        if self.error:
            return self.error
        if self.truncated:
            return f"a body over the {len(self.body)}-byte cap (reading stopped there)"
        media = self.media_type
        if self.body and (media == "application/json" or media.endswith("+json")) and not self.is_json:
            return f"a body labelled {media} that is not JSON"
        return None

    def _json(self) -> Any:
        if self._parsed is None:
            try:
                self._parsed = _NOT_JSON if self.truncated or not self.body else json.loads(self.body)
            except (ValueError, RecursionError):  # RecursionError: JSON nested deeper than Python parses
                self._parsed = _NOT_JSON
        return self._parsed

    def describe(self, limit: int = 300) -> str:
        """A short account of the response for a failure's `observed` field."""
        if self.error:
            return f"no response ({self.error})"
        text = self.body[:limit].decode("utf-8", "replace")
        more = "…" if len(self.body) > limit or self.truncated else ""
        media = self.media_type or "no content type"
        return f"HTTP {self.status} {media} {text!r}{more}" if self.body else f"HTTP {self.status} {media}, empty body"


class HttpClient:
    """A recording HTTP client. ``exchanges`` holds every request made through it, in order.

    Args:
        timeout: seconds for connect and for each read.
        max_body: bytes read from a body before it is cut (and marked ``truncated``).
        transport: an httpx transport, for tests.
    """

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT_S,
        max_body: int = DEFAULT_MAX_BODY,
        transport: httpx.BaseTransport | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = httpx.Client(timeout=timeout, follow_redirects=False, transport=transport)
        self.timeout = timeout
        self.max_body = max_body
        self.exchanges: list[Exchange] = []
        self._monotonic = monotonic

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        json_body: Any = None,
        content: bytes | None = None,
        operation: str | None = None,
        follow_redirects: int = 0,
    ) -> Exchange:
        """Send one request (following at most ``follow_redirects`` redirects) and record it."""
        sent_headers = dict(headers or {})
        body = content
        if json_body is not None:
            body = json.dumps(json_body).encode("utf-8")
            sent_headers.setdefault("Content-Type", "application/json")
        exchange = self._send(method, url, sent_headers, body, operation)
        hops = 0
        while follow_redirects and exchange.status in (301, 302, 303, 307, 308) and "location" in exchange.headers:
            hops += 1
            if hops > follow_redirects:
                exchange.error = f"more than {follow_redirects} redirects (last to {exchange.headers['location']})"
                break
            exchange = self._send("GET", urljoin(exchange.url, exchange.headers["location"]), {}, None, operation)
        return exchange

    def _send(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None, operation: str | None
    ) -> Exchange:
        exchange = Exchange(method.upper(), url, list(headers.items()), body, operation=operation)
        self.exchanges.append(exchange)
        started = self._monotonic()
        try:
            with self._client.stream(method, url, headers=headers, content=body) as response:
                exchange.status = response.status_code
                exchange.headers = {k.lower(): v for k, v in response.headers.items()}
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > self.max_body:
                        exchange.truncated = True
                        break
                exchange.body = b"".join(chunks)[: self.max_body]
        except httpx.TimeoutException as exc:
            exchange.error = f"{type(exc).__name__}: no answer within {self.timeout:g} s"
            exchange.timed_out = True
        except httpx.HTTPError as exc:
            exchange.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        except (httpx.InvalidURL, httpx.StreamError, ValueError) as exc:
            # e.g. a malformed URL the target handed us, or a body that breaks its own encoding
            exchange.error = f"{type(exc).__name__}: {exc}"
        exchange.elapsed_s = self._monotonic() - started
        return exchange


__all__ = ["Exchange", "HttpClient"]
