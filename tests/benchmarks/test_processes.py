"""``benchmarks.processes``: servers are timed to their first answer and always stopped."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from benchmarks.errors import ServerStartError
from benchmarks.processes import ServerPool, answers, cpu_seconds, free_port, memory_kib


def http_server(port: int) -> list[str]:
    return [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)]


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # a zombie still answers kill(0); it has exited all the same
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] == "Z"


def start_then_fail(pool: ServerPool, port: int, logdir: Path, pids: list[int]) -> None:
    server = pool.start("files", http_server(port), port=port, logdir=logdir, timeout=30)
    pids.append(server.pid)
    assert server.startup_s > 0
    assert answers("127.0.0.1", port, "/") == 200
    rss, peak = server.rss_kib(), server.peak_rss_kib()
    assert 0 < rss <= peak
    raise RuntimeError("boom")


@pytest.mark.slow
def test_a_pool_stops_its_servers_even_when_the_block_fails(tmp_path: Path) -> None:
    port = free_port()
    pids: list[int] = []
    with pytest.raises(RuntimeError, match="boom"), ServerPool(lambda message: None) as pool:
        start_then_fail(pool, port, tmp_path, pids)
    assert len(pids) == 1
    assert gone(pids[0])
    assert answers("127.0.0.1", port, "/", timeout=0.2) is None
    assert pool.servers == []


@pytest.mark.slow
def test_a_server_that_exits_is_reported_with_its_output(tmp_path: Path) -> None:
    argv = [sys.executable, "-c", "import sys; print('cannot bind'); sys.exit(3)"]
    with ServerPool(lambda message: None) as pool, pytest.raises(ServerStartError, match="status 3") as caught:
        pool.start("broken", argv, port=free_port(), logdir=tmp_path, timeout=30)
    assert "cannot bind" in caught.value.log_tail


def test_readings_of_this_process() -> None:
    rss, peak = memory_kib(os.getpid())
    assert 0 < rss <= peak
    assert cpu_seconds(os.getpid()) > 0


def test_nothing_answers_on_a_free_port() -> None:
    assert answers("127.0.0.1", free_port(), "/", timeout=0.2) is None


def start_then_get_killed(pool: ServerPool, port: int, logdir: Path, pids: list[int]) -> None:
    pids.append(pool.start("files", http_server(port), port=port, logdir=logdir, timeout=30).pid)
    os.kill(os.getpid(), signal.SIGTERM)  # what `kill` or a CI timeout sends the harness


@pytest.mark.slow
def test_sigterm_stops_the_servers_and_the_handlers_are_put_back(tmp_path: Path) -> None:
    before = signal.getsignal(signal.SIGTERM)
    pids: list[int] = []
    with pytest.raises(KeyboardInterrupt), ServerPool(lambda message: None) as pool:
        start_then_get_killed(pool, free_port(), tmp_path, pids)
    assert gone(pids[0])
    assert signal.getsignal(signal.SIGTERM) is before
