"""``exportkit verify`` against targets that misbehave: one clear line, the right exit, no traceback.

Each server below binds 127.0.0.1 on a free port and misbehaves in one way for every request.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import socket
import ssl
import struct
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
HEAD_LIMIT = 64 * 1024
HUGE_BYTES = 50 * 1024 * 1024
CHUNK = b"[" * (64 * 1024)
START_TIMEOUT_S = 10.0


# --- a family of misbehaving servers ------------------------------------------------------------
async def read_request(reader: asyncio.StreamReader) -> str:
    """Read one request (head and a Content-Length body); returns its target path ('' if none)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip() or 0)
    if length:
        await reader.readexactly(length)
    parts = lines[0].split(" ")
    return parts[1] if len(parts) > 1 else ""


def response_head(status: str, media_type: str, length: int, extra: str = "") -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: {media_type}\r\nContent-Length: {length}\r\n{extra}Connection: close\r\n\r\n"
    ).encode("latin-1")


def answering(status: str, media_type: str, body: bytes) -> Handler:
    """Answer every request with the same response."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(response_head(status, media_type, len(body)) + body)
        await writer.drain()

    return handle


HTML_502 = answering(
    "502 Bad Gateway",
    "text/html",
    b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center>"
    b"<hr><center>nginx</center></body></html>",
)
NOT_JSON = answering("200 OK", "application/json", b"OK <not json> {oops")
NOT_FOUND_BODY = b'{"type":"about:blank","title":"Not Found","status":404}'
PROBLEM_404 = answering("404 Not Found", "application/problem+json", NOT_FOUND_BODY)


async def huge(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A 50 MB JSON-labelled body, streamed until the client hangs up."""
    await read_request(reader)
    writer.write(response_head("200 OK", "application/json", HUGE_BYTES))
    for _ in range(HUGE_BYTES // len(CHUNK)):
        writer.write(CHUNK)
        await writer.drain()


async def redirect_loop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Every URL redirects to itself."""
    path = await read_request(reader)
    writer.write(response_head("302 Found", "text/plain", 0, f"Location: {path}\r\n"))
    await writer.drain()


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Reads the request and never answers."""
    await read_request(reader)
    await asyncio.Event().wait()


def resetting(answered_path: str) -> Handler:
    """Answer ``answered_path`` (the checker's first probe) with a 404, reset every other request."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        path = await read_request(reader)
        if path == answered_path:
            writer.write(response_head("404 Not Found", "application/problem+json", len(NOT_FOUND_BODY)))
            writer.write(NOT_FOUND_BODY)
            await writer.drain()
            return
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()  # linger 0: the close sends RST, not FIN

    return handle


@contextmanager
def serving(handler: Handler, *, tls: ssl.SSLContext | None = None) -> Iterator[int]:
    """Serve ``handler`` on 127.0.0.1 on a free port in a thread; yield the port; stop on exit."""
    ready = threading.Event()
    found: dict[str, object] = {}

    async def run() -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _loop, _context: None)  # failed TLS handshakes are the point
        stop = asyncio.Event()
        tasks: set[asyncio.Task[None]] = set()

        async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            tasks.add(task)
            try:
                await handler(reader, writer)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
                pass  # the client went away or sent something else: both are fine here
            finally:
                tasks.discard(task)
                writer.close()

        server = await asyncio.start_server(connection, "127.0.0.1", 0, ssl=tls, limit=HEAD_LIMIT)
        found["port"] = server.sockets[0].getsockname()[1]
        found["stop"] = lambda: loop.call_soon_threadsafe(stop.set)
        ready.set()
        await stop.wait()
        server.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()

    thread = threading.Thread(target=asyncio.run, args=(run(),), name="bad-server", daemon=True)
    thread.start()
    if not ready.wait(START_TIMEOUT_S):
        raise RuntimeError("the bad server did not start")
    try:
        yield int(str(found["port"]))
    finally:
        stop = found["stop"]
        assert callable(stop)
        stop()
        thread.join(START_TIMEOUT_S)


@contextmanager
def refusing() -> Iterator[int]:
    """A port bound but not listening: connections to it are refused, and no one else can take it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


def self_signed(folder: Path) -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.IPv4Address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context
