"""Servers the benchmark starts: spawn, time to the first served request, memory, and stop.

Each server runs in its own session (process group), so stopping it also stops anything it
forked (Prism's node children), and a Ctrl-C in the terminal reaches the harness only; the
harness then stops every server it started, in reverse order, through ``ServerPool``.

    with ServerPool(log) as pool:
        mock = pool.start("mock", [python, "-m", "mockserver", "--port", "8080"], port=8080,
                          ready_path="/_control/health", logdir=tmp)
        mock.startup_s, mock.rss_kib()
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, TracebackType
from typing import BinaryIO

from benchmarks.errors import ServerStartError

STOP_GRACE_S = 5.0
POLL_INTERVAL_S = 0.005


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def answers(host: str, port: int, path: str, timeout: float = 1.0) -> int | None:
    """The HTTP status of ``GET path``, or ``None`` when nothing answers (yet)."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


def answered_ok(status: int | None) -> bool:
    """A readiness probe's ``ready``: the health route answered 200 (not just any status)."""
    return status == 200


def memory_kib(pid: int) -> tuple[int, int]:
    """``(VmRSS, VmHWM)`` of a process in KiB: resident now, and its peak so far."""
    fields: dict[str, int] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0])
    return fields.get("VmRSS", 0), fields.get("VmHWM", 0)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process (all its threads) has used so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    # after the command name: state is field 3, utime and stime are fields 14 and 15 of proc(5)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class ServerProcess:
    """One started server: its URL, how long it took to serve, and its log file."""

    name: str
    argv: Sequence[str]
    port: int
    log_path: Path
    host: str = "127.0.0.1"
    process: subprocess.Popen[bytes] | None = None
    startup_s: float = 0.0
    _log: BinaryIO | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError(f"{self.name} is not running")
        return self.process.pid

    def start(self, ready_path: str, timeout: float, ready: Callable[[int | None], bool] | None = None) -> float:
        """Spawn the server and wait for its first answer to ``GET ready_path``; returns the seconds.

        ``ready`` decides which status counts (default: any HTTP answer). Raises
        ``ServerStartError`` when the process exits or ``timeout`` passes first.
        """
        accept = ready or (lambda status: status is not None)
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        began = time.perf_counter()
        self.process = subprocess.Popen(
            list(self.argv),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        while True:
            if accept(answers(self.host, self.port, ready_path, timeout=0.5)):
                self.startup_s = time.perf_counter() - began
                return self.startup_s
            if self.process.poll() is not None:
                raise ServerStartError(self.name, f"exited with status {self.process.returncode}", self.log_tail())
            if time.perf_counter() - began > timeout:
                self.stop()
                raise ServerStartError(self.name, f"no answer on {ready_path} within {timeout:g} s", self.log_tail())
            time.sleep(POLL_INTERVAL_S)

    def rss_kib(self) -> int:
        return memory_kib(self.pid)[0]

    def peak_rss_kib(self) -> int:
        return memory_kib(self.pid)[1]

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM to the server's process group, SIGKILL after a grace period; idempotent."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(STOP_GRACE_S)
        log, self._log = self._log, None
        if log is not None:
            log.close()


class ServerPool:
    """Every server of one benchmark run; all are stopped when the ``with`` block ends, however.

    Inside the block SIGINT, SIGTERM and SIGHUP raise ``KeyboardInterrupt``, so a killed harness
    still stops its servers (SIGINT too: a shell starts background jobs with SIGINT ignored).
    """

    def __init__(self, log: Callable[[str], None]) -> None:
        self.log = log
        self.servers: list[ServerProcess] = []
        self._previous: dict[int, object] = {}

    def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        port: int,
        logdir: Path,
        ready_path: str = "/",
        timeout: float = 60.0,
        ready: Callable[[int | None], bool] | None = None,
    ) -> ServerProcess:
        """Start a server and keep it for the final stop; returns it once it served a request."""
        server = ServerProcess(name, argv, port, logdir / f"{name}.log")
        self.servers.append(server)
        server.start(ready_path, timeout, ready)
        self.log(f"{name} serving {server.url} (first answer after {server.startup_s:.2f} s)")
        return server

    def stop(self, server: ServerProcess) -> None:
        server.stop()
        if server in self.servers:
            self.servers.remove(server)

    def stop_all(self) -> None:
        while self.servers:
            self.servers.pop().stop()

    def __enter__(self) -> ServerPool:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            self._previous[signum] = signal.signal(signum, _interrupt)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        try:
            self.stop_all()
        finally:
            for signum, handler in self._previous.items():
                signal.signal(signum, handler)  # type: ignore[arg-type]


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def running(pool: ServerPool, server: ServerProcess) -> Iterator[ServerProcess]:
    """Stop ``server`` when the block ends (servers that live for one phase only)."""
    try:
        yield server
    finally:
        pool.stop(server)
