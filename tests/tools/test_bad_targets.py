"""``exportkit verify`` against targets that misbehave: one clear line, the right exit, no traceback.

A family of small servers on 127.0.0.1 (free ports, raw asyncio) each misbehave in one way for
every request: refuse, reset, hang, speak the other protocol, send an HTML error page, JSON that
is not, an endless body, a redirect loop. The checker is run through ``tools.cli.main`` in
process against a curaeai target file whose ``provider_states_url`` points at the same server.

A target that cannot be used at all exits 2 with exactly one line on stderr; a target that
answered and broke the contract exits 1. Either way no traceback, a bounded runtime, and the
reports for what did run.
"""

from __future__ import annotations

import asyncio
import datetime
import io
import ipaddress
import json
import re
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from contract_tests.client import Exchange
from contract_tests.fuzz_faults import worker_crashes_recorded
from contract_tests.results import ApiRun, Outcome, Run
from tests.tools.fakes import FakeWorld, services_for
from tools.cli import main
from tools.reports import json as json_report
from tools.services import default_services

pytestmark = pytest.mark.slow

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
HEAD_LIMIT = 64 * 1024
HUGE_BYTES = 50 * 1024 * 1024
CHUNK = b"[" * (64 * 1024)
START_TIMEOUT_S = 10.0
REQUEST_TIMEOUT_S = 1  # the checker's --request-timeout: a silent target costs seconds, not minutes
RUN_BOUND_S = 90  # far above a normal run (a few seconds): only a hang or an endless read gets there


# --- a family of misbehaving servers ------------------------------------------------------------
class NotHttp(Exception):
    """The client sent something that is not an HTTP request (a TLS ClientHello, say)."""


async def read_request(reader: asyncio.StreamReader) -> str:
    """Read one request (head and a Content-Length body); returns its target path ('' if none)."""
    first = await reader.readexactly(1)
    if not first.isalpha():
        raise NotHttp
    head = first + await reader.readuntil(b"\r\n\r\n")
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
    head = f"HTTP/1.1 {status}\r\nContent-Type: {media_type}\r\nContent-Length: {length}\r\n{extra}"
    return f"{head}Connection: close\r\n\r\n".encode("latin-1")


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


@dataclass
class Tally:
    """Bodies the endless server started, and those it got to send whole (none, if the reader caps)."""

    started: int = 0
    completed: int = 0


def endless(tally: Tally | None = None) -> Handler:
    """A 50 MB JSON-labelled body (of ``[``: JSON nested too deep to parse, too), streamed while read."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        counts = tally or Tally()
        await read_request(reader)
        counts.started += 1
        writer.write(response_head("200 OK", "application/json", HUGE_BYTES))
        for _ in range(HUGE_BYTES // len(CHUNK)):
            writer.write(CHUNK)
            await writer.drain()
        counts.completed += 1

    return handle


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
            except NotHttp:  # as a plain HTTP server does with a TLS handshake: 400, then close
                writer.write(response_head("400 Bad Request", "text/plain", 0))
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
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    try:
        write_certificate(cert_path, key_path)
    except ImportError:  # no `cryptography` (a dev dependency): the openssl command does the same
        openssl = shutil.which("openssl")
        if openssl is None:
            pytest.skip("neither the cryptography package nor openssl is there to make a certificate")
        subprocess.run(
            [
                *(openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"),
                *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1"),
                *("-keyout", str(key_path), "-out", str(cert_path)),
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context


def write_certificate(cert_path: Path, key_path: Path) -> None:
    """A self-signed EC certificate for 127.0.0.1, valid for an hour, and its key, as PEM files."""
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
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


# --- running the checker against them -----------------------------------------------------------
@dataclass(frozen=True)
class CliRun:
    """What one ``exportkit verify`` printed and wrote, and how long it took."""

    code: int
    stdout: str
    stderr: str
    seconds: float
    reports: Path

    def results(self) -> Run:
        return json_report.load(self.reports / "results.json")

    def failures(self) -> list[str]:
        """``check id: message`` of every failure in the JSON report."""
        return [f"{f.check_id}: {f.message}" for a in self.results().apis for c in a.checks for f in c.failures]


def write_target(folder: Path, server: str) -> Path:
    """A curaeai target file whose base URL and provider-state URL are both on ``server``."""
    tenants = {
        name: {"credentials": {"platformApiKey": f"cae_test_{name}"}, "fixtures": {"connectionId": connection}}
        for name, connection in (
            ("primary", "00000000-0000-4000-8000-000000000001"),
            ("secondary", "00000000-0000-4000-8000-000000000002"),
        )
    }
    data = {
        "api": "curaeai",
        "base_url": f"{server}/curaeai",
        "provider_states_url": f"{server}/_control/curaeai/provider-states",
        "tenants": tenants,
    }
    path = folder / "target.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def verify(folder: Path, server: str) -> CliRun:
    """``exportkit verify`` of ``server`` through ``tools.cli.main``, in process."""
    out, err = io.StringIO(), io.StringIO()
    services = replace(default_services(), stdout=out, stderr=err, environ={"CI": "true"})
    reports = folder / "reports"
    argv = ["verify", "--target", str(write_target(folder, server)), "--report-dir", str(reports)]
    argv += ["--max-examples", "1", "--seed", "1", "--request-timeout", str(REQUEST_TIMEOUT_S)]
    started = time.monotonic()
    code = main(argv, services=services)
    return CliRun(code, out.getvalue(), err.getvalue(), time.monotonic() - started, reports)


@dataclass(frozen=True)
class BadTarget:
    """One misbehaving server, and what verifying it must give."""

    name: str
    exit_code: int
    expected: str  # regex: the stderr line (exit 2) or one of the failures in the report (exit 1)

    def server(self, tls: ssl.SSLContext, tally: Tally) -> AbstractContextManager[int]:
        handlers: dict[str, Callable[[], AbstractContextManager[int]]] = {
            "refused": refusing,
            "timeout": lambda: serving(silent),
            "https-to-plain-http": lambda: serving(PROBLEM_404),
            "http-to-tls": lambda: serving(PROBLEM_404, tls=tls),
            "untrusted-certificate": lambda: serving(PROBLEM_404, tls=tls),
            "html-502": lambda: serving(HTML_502),
            "not-json": lambda: serving(NOT_JSON),
            "huge-body": lambda: serving(endless(tally)),
            "redirect-loop": lambda: serving(redirect_loop),
            "reset-mid-run": lambda: serving(resetting("/curaeai")),
        }
        return handlers[self.name]()

    @property
    def scheme(self) -> str:
        return "https" if self.name in ("https-to-plain-http", "untrusted-certificate") else "http"


PORT = r"http://127\.0\.0\.1:\d+/curaeai"
HTTPS_PORT = PORT.replace("http", "https", 1)
UNREACHABLE = r"exportkit: error: curaeai: target unreachable at "
BAD_TARGETS = [
    BadTarget("refused", 2, UNREACHABLE + PORT + r": ConnectError: \[Errno 111\] Connection refused"),
    BadTarget("timeout", 2, UNREACHABLE + PORT + rf": ReadTimeout: no answer within {REQUEST_TIMEOUT_S} s"),
    BadTarget(
        "https-to-plain-http",
        2,
        UNREACHABLE + HTTPS_PORT + r": ConnectError: .+ \(the port speaks plain HTTP, not TLS: use http://\)",
    ),
    BadTarget("http-to-tls", 2, UNREACHABLE + PORT + r": .+ \(the port speaks TLS: use https://\)"),
    BadTarget(
        "untrusted-certificate",
        2,
        UNREACHABLE + HTTPS_PORT + r": ConnectError: .*CERTIFICATE_VERIFY_FAILED.*self-signed certificate.*",
    ),
    BadTarget("html-502", 1, r"error-envelope: createRecordsExport: a 502 answer is not application/problem\+json"),
    BadTarget("not-json", 1, r"createRecordsExport gave no usable answer: a body labelled application/json that is"),
    BadTarget("huge-body", 1, r"createRecordsExport gave no usable answer: a body over the 8388608-byte cap"),
    BadTarget("redirect-loop", 1, r"createRecordsExport gave no usable answer: a redirect loop: HTTP 302"),
    BadTarget("reset-mid-run", 1, r"createRecordsExport gave no usable answer: ReadError: .*Connection reset"),
]


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.mark.parametrize("bad", BAD_TARGETS, ids=[b.name for b in BAD_TARGETS])
def test_a_bad_target_gets_one_clear_verdict(
    bad: BadTarget, tls: ssl.SSLContext, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    tally = Tally()
    with bad.server(tls, tally) as port:
        run = verify(tmp_path, f"{bad.scheme}://127.0.0.1:{port}")
    leaked = capfd.readouterr()  # what went past the CLI's own streams (a worker thread's traceback, say)
    print(f"{bad.name}: exit {run.code} in {run.seconds:.1f} s: {run.stderr.strip() or run.failures()[:1]}")
    everything = run.stdout + run.stderr + leaked.out + leaked.err
    assert "Traceback" not in everything
    assert run.code == bad.exit_code, everything
    assert run.seconds < RUN_BOUND_S
    saved = run.results()  # the reports are written whatever happened
    assert sorted(p.name for p in run.reports.iterdir()) == ["junit.xml", "report.html", "results.json", "summary.md"]
    (api,) = saved.apis
    assert api.api == "curaeai"
    if bad.exit_code == 2:
        (line,) = run.stderr.splitlines()  # exactly one line, naming the problem
        assert re.fullmatch(bad.expected, line), line
        assert api.tool_errors == [line.split("curaeai: ", 1)[1]]
        assert "Result: tool errors stopped part of the run (exit 2)" in run.stdout
        return
    assert run.stderr == ""
    assert any(re.search(bad.expected, f) for f in run.failures()), run.failures()
    assert not api.tool_errors
    assert api.checks
    assert all(c.outcome is not Outcome.ERROR for c in api.checks)
    assert "Result: contract failures in curaeai (exit 1)" in run.stdout
    fuzz = {c.check_id: c for c in api.checks if c.check_id.startswith("schemathesis:")}
    assert fuzz
    if bad.name == "huge-body":
        assert tally.started >= 3  # the probe, the provider state, the API
        assert tally.completed == 0  # every read stopped at the cap: no body went out whole
        # Schemathesis reads bodies whole, so it is not let loose on this target.
        assert all(c.outcome is Outcome.NOT_COVERED for c in fuzz.values())
        assert all("Schemathesis reads bodies whole" in c.reason for c in fuzz.values())
    if bad.name == "reset-mid-run":  # Schemathesis' requests got no answer: a failure, not a tool error
        failed = fuzz["schemathesis:not_a_server_error"]
        assert failed.outcome is Outcome.FAILED
        assert "no HTTP answer" in failed.failures[0].message
        assert "Connection reset" in failed.failures[0].observed


TARGET_URLS = {  # a target description served by a bad server: `--target URL`, not a file
    "html-502": (HTML_502, r"answered HTTP 502, expected 200 with a target description"),
    "not-json": (NOT_JSON, r"must be a mapping of target members, got str"),
    "huge-body": (endless(), r"answered more than 1000000 bytes; not a target description"),
    "redirect-loop": (redirect_loop, r"answered HTTP 302, expected 200 with a target description"),
    "timeout": (silent, rf"target unreachable at .+: ReadTimeout: no answer within {REQUEST_TIMEOUT_S} s"),
    "reset": (resetting("/nowhere"), r"target unreachable at .+: ReadError: .*Connection reset by peer"),
}


@pytest.mark.parametrize("name", sorted(TARGET_URLS))
def test_a_bad_target_url_is_one_line_and_exit_2(name: str, tmp_path: Path) -> None:
    handler, expected = TARGET_URLS[name]
    out, err = io.StringIO(), io.StringIO()
    services = replace(default_services(), stdout=out, stderr=err, environ={"CI": "true"})
    with serving(handler) as port:
        url = f"http://127.0.0.1:{port}/_control/curaeai/target"
        argv = ["verify", "--target", url, "--report-dir", str(tmp_path), "--request-timeout", str(REQUEST_TIMEOUT_S)]
        code = main(argv, services=services)
    assert code == 2
    assert "Traceback" not in out.getvalue() + err.getvalue()
    (line,) = err.getvalue().splitlines()
    assert line.startswith(f"exportkit: error: {url}: ")
    assert re.search(expected, line), line
    (api,) = json_report.load(tmp_path / "results.json").apis
    assert api.tool_errors == [line.split(f"{url}: ", 1)[1]]


def test_a_run_that_ends_with_tool_errors_says_why_in_one_line(tmp_path: Path) -> None:
    def verify_with_tool_errors(target: object, **options: object) -> ApiRun:
        problems = ["schemathesis:not_a_server_error: Schemathesis could not run: boom", "auth: internal error"]
        return ApiRun("curaeai", "http://127.0.0.1:9/curaeai", [], {}, tool_errors=problems)

    services, out, err = services_for(FakeWorld())
    services = replace(services, verify=verify_with_tool_errors)
    argv = ["verify", "--api", "curaeai", "--base-url", "http://127.0.0.1:9/curaeai", "--report-dir", str(tmp_path)]
    assert main(argv, services=services) == 2
    (line,) = err.getvalue().splitlines()
    assert line == (
        "exportkit: error: curaeai: schemathesis:not_a_server_error: Schemathesis could not run: boom "
        "(and 1 more tool error: see the reports)"
    )
    assert "Result: tool errors stopped part of the run (exit 2)" in out.getvalue()


@pytest.mark.parametrize("value", ["0", "-1", "soon", "9999"])
def test_a_bad_request_timeout_is_a_usage_error(value: str, tmp_path: Path) -> None:
    services, _, err = services_for(FakeWorld())
    argv = ["verify", "--api", "curaeai", "--base-url", "http://127.0.0.1:9", "--report-dir", str(tmp_path)]
    assert main([*argv, "--request-timeout", value], services=services) == 2
    (line,) = err.getvalue().splitlines()
    assert line.startswith("exportkit: error: argument --request-timeout: ")


def test_json_nested_too_deep_to_parse_is_not_json() -> None:
    deep = Exchange("GET", "http://127.0.0.1:9/x", [], None, 200, {"content-type": "application/json"}, b"[" * 100_000)
    assert deep.data is None  # no RecursionError out of the checker's own parsing
    assert deep.fault == "a body labelled application/json that is not JSON"


def test_a_crashed_schemathesis_worker_is_a_line_not_a_traceback(capfd: pytest.CaptureFixture[str]) -> None:
    def crash() -> None:
        raise RecursionError("maximum recursion depth exceeded while decoding a JSON array")

    errors: list[str] = []
    with worker_crashes_recorded(errors):
        worker = threading.Thread(target=crash, name="schemathesis_unit_tests_0")
        worker.start()
        worker.join()
    assert errors == [
        "a Schemathesis worker stopped: RecursionError: maximum recursion depth exceeded while decoding a JSON array"
    ]
    assert "Traceback" not in capfd.readouterr().err


def test_the_pytest_front_end_fails_clearly_on_a_reset(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    with serving(resetting("/curaeai")) as port:
        target = write_target(tmp_path, f"http://127.0.0.1:{port}")
        command = [sys.executable, "-m", "pytest", "contract_tests", "-q", "-rfs", "--api", "curaeai"]
        # The domain checks only: Schemathesis against a resetting target is judged in process above.
        command += ["--target", str(target), "--checks", "vendor-rules,auth", "--request-timeout", "1"]
        done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=RUN_BOUND_S, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output  # tests failed; not 2/3/4 (interrupted, internal or usage error)
    assert "Traceback" not in output
    assert "INTERNALERROR" not in output
    assert "FAILED contract_tests/test_contract.py::test_check[vendor-rules]" in output
    assert "createRecordsExport gave no usable answer: ReadError" in output
    assert "reproduce: curl -i " in output
