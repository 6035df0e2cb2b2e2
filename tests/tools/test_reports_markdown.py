"""The Markdown writer: scores, the API x check matrix, failures with curl, reasons, escaping."""

from __future__ import annotations

from tests.tools.sample_runs import hostile_run, mixed_run
from tools.reports import markdown


def test_markdown_has_scores_matrix_failures_and_reasons() -> None:
    text = markdown.render(mixed_run())
    assert "| **curaeai** | http://127.0.0.1:8080/curaeai | 100.0% | 3 | 0 | 1 | 0 |" in text
    assert "| Check | Severity | curaeai | hookbridge |" in text
    assert "| `url-expiry` Expired URL refused | critical | PASS | **FAIL** |" in text
    assert "| `tenant-isolation` Another tenant sees nothing | critical | N/C | PASS |" in text
    assert "| `error-envelope` Errors keep the vendor envelope | medium | - | ERROR |" in text
    assert "```bash\ncurl -sS -i 'http://127.0.0.1:8080/_storage/x?X-Amz-Signature=abc'\n```" in text
    assert "- **curaeai** `tenant-isolation`: no second tenant in the target file" in text
    assert "- **hookbridge** `error-envelope`: connection reset while downloading" in text
    assert "contract failures in hookbridge" in text


def test_markdown_escapes_what_the_target_sent() -> None:
    text = markdown.render(hostile_run())
    assert "<script>" not in _outside_code(text)
    assert "<img" not in _outside_code(text)
    assert "&lt;script&gt;" in text
    # a table row stays one row: the | of the base URL is escaped
    row = next(line for line in text.splitlines() if line.startswith("| **curaeai**"))
    assert row.count(" | ") == 6


def test_code_block_fence_cannot_be_closed_by_its_content() -> None:
    block = markdown.code_block("a\n```\nb", "bash")
    assert block.startswith("````bash\n")
    assert block.endswith("\n````")


def test_long_runs_are_cut_to_fit_a_step_summary() -> None:
    run = mixed_run()
    bad = run.apis[1].checks[2]
    bad.failures = bad.failures * (markdown.MAX_FAILURES + 5)
    text = markdown.render(run)
    assert "… and 5 more failures" in text
    assert len(text.encode("utf-8")) < 1024 * 1024


def _outside_code(text: str) -> str:
    """The text with fenced code blocks removed (what GitHub renders as Markdown/HTML)."""
    out, inside = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            inside = not inside
            continue
        if not inside:
            out.append(line)
    return "\n".join(out)
