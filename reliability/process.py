"""The mock as a separate process: ``python -m mockserver``, which a test can kill -9 and restart.

The first start binds a free port (``--port 0``) and reads it from the banner; a restart binds
the same port again, as a real deployment would come back at the same address. Output goes to
a log file (never a pipe that could fill up and block the server), whose tail is shown when the
process does not come up. ``stop`` and the context manager end the process in every case.

    with MockProcess(["curaeai"], store=f"sqlite:{tmp_path / 'mock.db'}", log=tmp_path / "mock.log") as mock:
        mock.kill()        # SIGKILL: no shutdown code runs
        mock.restart()     # same port, same store, same seed and signing secret
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from reliability.errors import MockStartError

BANNER = re.compile(r"exportkit mock serving (http://\S+?)\s")
START_TIMEOUT = 60.0  # seconds; generous, a loaded CI runner imports Connexion slowly
STOP_TIMEOUT = 10.0
SECRET_ENV = "EXPORTKIT_SIGNING_SECRET"  # what `python -m mockserver` reads (mockserver.cli.SECRET_ENV)


class MockProcess:
    """One ``python -m mockserver`` child process and its address."""

    def __init__(
        self,
        apis: Sequence[str],
        *,
        store: str,
        log: Path,
        time_scale: float = 10.0,
        seed: int = 0,
        signing_secret: str = "reliability-secret",
        extra_args: Sequence[str] = (),
        cwd: Path | None = None,
    ) -> None:
        self.apis = list(apis)
        self.store = store
        self.log = log
        self.time_scale = time_scale
        self.seed = seed
        self.signing_secret = signing_secret
        self.extra_args = list(extra_args)
        self.cwd = cwd
        self.port = 0
        self.url = ""
        self.starts = 0
        self.kills = 0
        self._process: subprocess.Popen[bytes] | None = None

    # -- life cycle ------------------------------------------------------------------------------
    def command(self) -> list[str]:
        api_args = [arg for api in self.apis for arg in ("--api", api)]
        options = {
            "--host": "127.0.0.1",
            "--port": str(self.port),
            "--store": self.store,
            "--time-scale": str(self.time_scale),
            "--seed": str(self.seed),
        }
        flat = [part for pair in options.items() for part in pair]
        return [sys.executable, "-m", "mockserver", *flat, *api_args, *self.extra_args]

    def start(self) -> None:
        """Start the process and wait until ``/_control/health`` answers (``MockStartError`` if not)."""
        if self.running:
            raise MockStartError(" ".join(self.command()), "already running")
        offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            self._process = subprocess.Popen(
                self.command(),
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.cwd,
                env=self._environment(),
            )
        self.starts += 1
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise self._start_error(f"exited with status {self._process.returncode}")
            if not self.url:
                self._read_banner(offset)
            if self.url and self._healthy():
                return
            time.sleep(0.05)
        self.kill()
        raise self._start_error(f"no answer from /_control/health within {START_TIMEOUT:.0f} s")

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to flush, close or say goodbye."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(STOP_TIMEOUT)
            self.kills += 1
        self._process = None

    def restart(self) -> None:
        """Start again on the same port with the same store (after ``kill`` or ``stop``)."""
        self.kill()
        self.start()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if the process has not ended within ``STOP_TIMEOUT``."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def __enter__(self) -> MockProcess:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    # -- addresses --------------------------------------------------------------------------------
    def target_url(self, api: str) -> str:
        return f"{self.url}/_control/{api}/target"

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    # -- internals ----------------------------------------------------------------------------------
    def _environment(self) -> dict[str, str]:
        # The secret goes in the environment, not on the command line where `ps` would show it.
        # The same secret on every start keeps URLs signed before a kill valid after the restart.
        return {**os.environ, SECRET_ENV: self.signing_secret, "PYTHONUNBUFFERED": "1"}

    def _read_banner(self, offset: int) -> None:
        try:
            with self.log.open("rb") as handle:
                handle.seek(offset)
                text = handle.read().decode("utf-8", errors="replace")
        except OSError:
            return
        found = BANNER.search(text)
        if found:
            self.url = found.group(1)
            self.port = int(self.url.rsplit(":", 1)[1])

    def _healthy(self) -> bool:
        # http.client, not httpx: this runs every 50 ms during a restart, and an httpx client builds
        # an SSL context each time (a fifth of a second of CPU that the starting server needs).
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2.0)
        try:
            connection.request("GET", "/_control/health")
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    def _start_error(self, problem: str) -> MockStartError:
        return MockStartError(" ".join(self.command()), problem, self.log_tail())
