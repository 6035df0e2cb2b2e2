"""``benchmarks.wrk``: reading wrk's output (its Lua line or its text), the argv and the script."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.errors import WrkError
from benchmarks.wrk import JSON_MARKER, WrkSettings, lua_script, parse_wrk_output, run_wrk, wrk_command

TEXT_OUTPUT = """\
Running 3s test @ http://127.0.0.1:8080/curaeai/api/sdk/v1/records/exports/x/download
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    36.53ms   12.10ms   1.20s    91.37%
    Req/Sec     0.88k    90.12     1.02k    75.00%
  Latency Distribution
     50%   34.12ms
     75%   39.80ms
     90%  850.00us
     99%    1.10s
  2641 requests in 3.01s, 2.89MB read
  Socket errors: connect 0, read 2, write 0, timeout 5
  Non-2xx or 3xx responses: 7
Requests/sec:    877.41
Transfer/sec:      0.96MB
"""

JSON_LINE = (
    JSON_MARKER + '{"requests":2641,"duration_us":3010000,"bytes":3030000,"connect":0,"read":2,"write":0,'
    '"status":7,"timeout":5,"p50_us":34120,"p90_us":41000,"p99_us":1100000,"max_us":1200000,"mean_us":36530.5}'
)


def test_reads_the_lua_line_in_microseconds() -> None:
    result = parse_wrk_output("Running 3s test @ ...\n" + JSON_LINE + "\nRequests/sec: 1.0\n")
    assert result.requests == 2641
    assert result.duration_s == pytest.approx(3.01)
    assert result.requests_per_s == pytest.approx(2641 / 3.01)
    assert (result.p50_ms, result.p90_ms, result.p99_ms, result.max_ms) == (34.12, 41.0, 1100.0, 1200.0)
    assert result.socket_errors == 7  # read + timeout
    assert result.bad_statuses == 7
    assert not result.clean


def test_prefers_the_lua_line_over_the_text() -> None:
    assert parse_wrk_output(TEXT_OUTPUT + JSON_LINE + "\n").p90_ms == 41.0


def test_falls_back_to_wrk_text_with_every_unit() -> None:
    result = parse_wrk_output(TEXT_OUTPUT)
    assert result.requests == 2641
    assert result.duration_s == pytest.approx(3.01)
    assert result.requests_per_s == 877.41
    assert result.p50_ms == pytest.approx(34.12)
    assert result.p90_ms == pytest.approx(0.85)  # microseconds
    assert result.p99_ms == pytest.approx(1100.0)  # seconds
    assert result.max_ms == pytest.approx(1200.0)
    assert (result.socket_errors, result.bad_statuses) == (7, 7)


def test_text_without_errors_is_clean() -> None:
    clean = TEXT_OUTPUT.replace("  Socket errors: connect 0, read 2, write 0, timeout 5\n", "").replace(
        "  Non-2xx or 3xx responses: 7\n", ""
    )
    result = parse_wrk_output(clean)
    assert (result.socket_errors, result.bad_statuses, result.clean) == (0, 0, True)


@pytest.mark.parametrize(
    "output",
    [
        "",
        "Requests/sec: 10\n",  # no request count, no distribution
        TEXT_OUTPUT.replace("     99%    1.10s\n", ""),  # run without --latency
        TEXT_OUTPUT.replace("34.12ms", "34.12fortnights"),
    ],
)
def test_unreadable_output_is_a_clear_error(output: str) -> None:
    with pytest.raises(ValueError, match=r"(no request count|not a wrk duration)"):
        parse_wrk_output(output)


def test_a_broken_lua_line_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unreadable WRK_JSON line"):
        parse_wrk_output(JSON_MARKER + '{"requests": 3}\n')


def test_script_without_paths_only_reports() -> None:
    script = lua_script()
    assert "done = function" in script
    assert "request = function" not in script


def test_script_cycles_paths_quoted_for_lua() -> None:
    script = lua_script(["/a/1", '/a/"2"'])
    assert "request = function" in script
    assert '"/a/1",' in script
    assert '"/a/\\"2\\""' in script


def test_command_has_the_settings_headers_and_url_last(tmp_path: Path) -> None:
    argv = wrk_command(
        "wrk", "http://127.0.0.1:1/x", WrkSettings(32, 1, 3, 5), tmp_path / "s.lua", {"Authorization": "Bearer k"}
    )
    assert argv[:6] == ["wrk", "-t1", "-c32", "-d3s", "--timeout=5s", "--latency"]
    assert argv[6:8] == ["-s", str(tmp_path / "s.lua")]
    assert argv[8:10] == ["-H", "Authorization: Bearer k"]
    assert argv[-1] == "http://127.0.0.1:1/x"


@pytest.mark.parametrize(
    "kwargs", [{"connections": 0}, {"threads": 4, "connections": 2}, {"duration_s": 0}, {"timeout_s": 61}]
)
def test_settings_out_of_range_are_refused(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="wrk"):
        WrkSettings(**kwargs)


def test_lasting_changes_only_the_duration() -> None:
    assert WrkSettings(8, 2, 3, 5).lasting(1) == WrkSettings(8, 2, 1, 5)


@pytest.mark.parametrize("url", ["http://10.0.0.1:80/x", "http://example.com/", "https://127.0.0.1/x"])
def test_only_loopback_is_ever_loaded(url: str, tmp_path: Path) -> None:
    with pytest.raises(WrkError, match="loopback"):
        run_wrk("/nonexistent/wrk", url, WrkSettings(), tmp_path)
    assert list(tmp_path.iterdir()) == []  # refused before writing or running anything
