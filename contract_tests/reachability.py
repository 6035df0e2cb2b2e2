"""Is the target there at all? The first request of a run, and a hint when the URL's scheme is wrong.

A run starts with one ``GET`` of the base URL: any HTTP answer will do, none at all is a
``TargetUnreachable`` (exit 2). When the failure looks like a scheme mix-up (``http://`` to a
port that speaks TLS, or ``https://`` to one that speaks plain HTTP) the message says so, since
the raw transport error ("Server disconnected", "record layer failure") does not.
"""

from __future__ import annotations

import socket
import ssl
from urllib.parse import urlsplit

from contract_tests.client import HttpClient
from contract_tests.errors import TargetUnreachable

DEFAULT_PORTS = {"http": 80, "https": 443}


def probe_reachable(client: HttpClient, base_url: str) -> None:
    """Any HTTP answer at the base URL will do; no answer at all is a ``TargetUnreachable``."""
    exchange = client.request("GET", base_url)
    if exchange.status != 0:
        return
    reason = exchange.error or "no answer"
    # A timeout says enough, and a second try at the same silent port would only double the wait.
    hint = "" if exchange.timed_out else scheme_hint(base_url, client.timeout)
    raise TargetUnreachable(base_url, f"{reason} ({hint})" if hint else reason)


def scheme_hint(url: str, timeout: float) -> str:
    """A hint when the port speaks the other protocol than the URL's scheme says, else ''."""
    parts = urlsplit(url)
    if parts.hostname is None or parts.scheme not in DEFAULT_PORTS:
        return ""
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        return ""
    if parts.scheme == "http" and speaks_tls(parts.hostname, port, timeout):
        return "the port speaks TLS: use https://"
    if parts.scheme == "https" and speaks_plain_http(parts.hostname, port, timeout):
        return "the port speaks plain HTTP, not TLS: use http://"
    return ""


def speaks_tls(host: str, port: int, timeout: float) -> bool:
    """True when a TLS handshake with ``host:port`` completes (the certificate is not judged here)."""
    context = ssl.create_default_context()
    # Only asks "is this TLS at all?"; no request is sent, so nothing is trusted to this peer.
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=host),
        ):
            return True
    except (OSError, ValueError):
        return False


def speaks_plain_http(host: str, port: int, timeout: float) -> bool:
    """True when ``host:port`` answers a plain-text HTTP request with an HTTP status line."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(f"HEAD / HTTP/1.0\r\nHost: {host}\r\n\r\n".encode("ascii", "replace"))
            return sock.recv(5) == b"HTTP/"
    except (OSError, ValueError):
        return False


__all__ = ["probe_reachable", "scheme_hint", "speaks_plain_http", "speaks_tls"]
