"""Driving wrk: the command line, a Lua script that reports exact figures, and reading its output.

Every load of the benchmark goes through ``run_wrk`` with one ``WrkSettings``, so every target
gets the same connections, threads, duration and timeout. The Lua script's ``done`` hook prints
one ``WRK_JSON {...}`` line (latency percentiles in microseconds, error counts); ``parse_wrk_output``
reads that line, or falls back to wrk's own text (``--latency``) when the line is missing.

    >>> result = parse_wrk_output(open("wrk.txt").read())      # doctest: +SKIP
    >>> result.requests_per_s, result.p99_ms                    # doctest: +SKIP
    (7210.5, 9.1)
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.errors import WrkError

JSON_MARKER = "WRK_JSON "
# Lua's done() hook runs once, after all threads stop: the figures of the whole run.
DONE_HOOK = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%.0f,"duration_us":%.0f,"bytes":%.0f,"connect":%.0f,"read":%.0f,' ..
    '"write":%.0f,"status":%.0f,"timeout":%.0f,"p50_us":%.0f,"p90_us":%.0f,"p99_us":%.0f,' ..
    '"max_us":%.0f,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
"""
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


@dataclass(frozen=True)
class WrkSettings:
    """The load every target gets (``wrk -t{threads} -c{connections} -d{duration_s}s``)."""

    connections: int = 32
    threads: int = 1
    duration_s: int = 3  # wrk takes whole seconds only
    timeout_s: int = 5

    def __post_init__(self) -> None:
        if self.connections < 1 or self.threads < 1 or self.threads > self.connections:
            raise ValueError("wrk needs 1 <= threads <= connections")
        if not 1 <= self.duration_s <= 600 or not 1 <= self.timeout_s <= 60:
            raise ValueError("wrk duration must be 1..600 s and its timeout 1..60 s (whole seconds)")

    def lasting(self, seconds: int) -> WrkSettings:
        """The same load for another duration (warm-up runs)."""
        return dataclasses.replace(self, duration_s=seconds)


@dataclass(frozen=True)
class WrkResult:
    """The figures of one wrk run. Latencies in milliseconds."""

    requests: int
    duration_s: float
    requests_per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    socket_errors: int
    bad_statuses: int  # answers with a status >= 400 (wrk's "Non-2xx or 3xx responses")

    @property
    def clean(self) -> bool:
        """True when every request got an answer below 400 and no socket failed."""
        return self.socket_errors == 0 and self.bad_statuses == 0 and self.requests > 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def lua_script(paths: Sequence[str] = ()) -> str:
    """The Lua script of a run: the ``done`` hook, plus a ``request`` that cycles ``paths``.

    With no ``paths`` wrk sends its prebuilt request for the URL (the fastest way); with several,
    each request takes the next path, so a run touches many stored jobs.
    """
    if not paths:
        return DONE_HOOK
    listed = ",\n".join(f"  {json.dumps(path)}" for path in paths)
    rotate = (
        f"local paths = {{\n{listed}\n}}\nlocal index = 0\n"
        "request = function()\n  index = index % #paths + 1\n  return wrk.format(nil, paths[index])\nend\n"
    )
    return rotate + DONE_HOOK


def wrk_command(
    wrk: str, url: str, settings: WrkSettings, script: Path, headers: Mapping[str, str] | None = None
) -> list[str]:
    """The argv of one run (``--latency`` keeps the text percentiles for the fallback parser)."""
    argv = [
        wrk,
        f"-t{settings.threads}",
        f"-c{settings.connections}",
        f"-d{settings.duration_s}s",
        f"--timeout={settings.timeout_s}s",
        "--latency",
        "-s",
        str(script),
    ]
    for name, value in (headers or {}).items():
        argv += ["-H", f"{name}: {value}"]
    return [*argv, url]


def _ms(text: str) -> float:
    match = re.fullmatch(r"([0-9.]+)(us|ms|s|m|h)", text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def _from_json_line(line: str) -> WrkResult:
    raw = json.loads(line[len(JSON_MARKER) :])
    duration = float(raw["duration_us"]) / 1e6
    requests = int(raw["requests"])
    return WrkResult(
        requests=requests,
        duration_s=duration,
        requests_per_s=requests / duration if duration > 0 else 0.0,
        p50_ms=float(raw["p50_us"]) / 1000,
        p90_ms=float(raw["p90_us"]) / 1000,
        p99_ms=float(raw["p99_us"]) / 1000,
        max_ms=float(raw["max_us"]) / 1000,
        socket_errors=int(raw["connect"]) + int(raw["read"]) + int(raw["write"]) + int(raw["timeout"]),
        bad_statuses=int(raw["status"]),
    )


def _from_text(output: str) -> WrkResult:
    total = re.search(r"^\s*(\d+) requests in ([0-9.]+\w+),", output, re.MULTILINE)
    rate = re.search(r"^Requests/sec:\s+([0-9.]+)", output, re.MULTILINE)
    percentiles = dict(re.findall(r"^\s+(50|90|99)%\s+([0-9.]+\w+)\s*$", output, re.MULTILINE))
    latency = re.search(r"^\s+Latency\s+(\S+)\s+(\S+)\s+(\S+)", output, re.MULTILINE)
    if not (total and rate and latency) or set(percentiles) != {"50", "90", "99"}:
        raise ValueError("no request count, rate or latency distribution (was --latency given?)")
    sockets = re.search(r"connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    statuses = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return WrkResult(
        requests=int(total.group(1)),
        duration_s=_ms(total.group(2)) / 1000,
        requests_per_s=float(rate.group(1)),
        p50_ms=_ms(percentiles["50"]),
        p90_ms=_ms(percentiles["90"]),
        p99_ms=_ms(percentiles["99"]),
        max_ms=_ms(latency.group(3)),
        socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
        bad_statuses=int(statuses.group(1)) if statuses else 0,
    )


def parse_wrk_output(output: str) -> WrkResult:
    """Read one run's stdout: the ``WRK_JSON`` line, else wrk's text; ``ValueError`` if neither."""
    for line in output.splitlines():
        if line.startswith(JSON_MARKER):
            try:
                return _from_json_line(line)
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"unreadable {JSON_MARKER.strip()} line: {exc}") from exc
    return _from_text(output)


def run_wrk(
    wrk: str,
    url: str,
    settings: WrkSettings,
    workdir: Path,
    *,
    headers: Mapping[str, str] | None = None,
    paths: Sequence[str] = (),
) -> WrkResult:
    """One bounded wrk run against ``url`` (loopback only); raises ``WrkError`` if it yields nothing."""
    if not re.match(r"^http://(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?/", url):
        raise WrkError(url, "refusing to load anything but a loopback address")
    name = hashlib.sha256(json.dumps([url, *paths]).encode()).hexdigest()[:12]
    script = workdir / f"wrk-{name}.lua"
    script.write_text(lua_script(paths), encoding="utf-8")
    argv = wrk_command(wrk, url, settings, script, headers)
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=settings.duration_s + 30, check=False)
    except subprocess.TimeoutExpired:
        raise WrkError(url, f"did not finish within {settings.duration_s + 30:g} s") from None
    if done.returncode != 0:
        raise WrkError(url, f"exit {done.returncode}: {(done.stderr or done.stdout).strip()[:300]}")
    try:
        return parse_wrk_output(done.stdout)
    except ValueError as exc:
        raise WrkError(url, f"{exc}; output: {done.stdout.strip()[:300]}") from None
