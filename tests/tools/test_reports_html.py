"""The HTML writer: self-contained, escaped, with the matrix, scores and lifecycle drawings."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser

from tests.tools.sample_runs import HOSTILE, hostile_run, mixed_run
from tools.reports import html
from tools.reports.lifecycle_svg import render_lifecycle


class TagCollector(HTMLParser):
    """Every start tag with its attributes, and the text of script and style blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.blocks: dict[str, list[str]] = {"script": [], "style": []}
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._open = tag if tag in self.blocks else None

    def handle_endtag(self, tag: str) -> None:
        self._open = None

    def handle_data(self, data: str) -> None:
        if self._open:
            self.blocks[self._open].append(data)


def collect(page: str) -> TagCollector:
    parser = TagCollector()
    parser.feed(page)
    return parser


def test_page_has_scores_matrix_and_failure_with_copyable_curl() -> None:
    page = html.render(mixed_run())
    assert 'id="check-matrix"' in page
    assert '<meter min="0" max="100" low="60" high="90" optimum="100" value="71.4">' in page
    assert "20 of 28 weighted points" in page  # critical 8 + high 4 + critical 8 passed, one critical failed
    assert '<td class="outcome failed"' in page
    assert '<td class="outcome not_covered" title="no second tenant in the target file">N/C</td>' in page
    tags = collect(page).tags
    anchors = [a["href"] for t, a in tags if t == "a"]
    ids = {a.get("id") for _, a in tags}
    assert anchors
    assert all(href and href[1:] in ids for href in anchors)  # every FAIL links to its details
    assert '<div class="curl"><pre><code>curl -sS -i' in page


def test_page_is_self_contained_under_a_strict_policy() -> None:
    page = html.render(mixed_run())
    parsed = collect(page)
    for tag, attrs in parsed.tags:
        assert "src" not in attrs, tag
        assert not (attrs.get("href") or "#").split("#")[0], attrs  # fragment links only
        assert not any(name.startswith("on") for name in attrs), attrs
        assert "style" not in attrs, tag  # the policy allows the hashed style block only
    policy = next(a["content"] for t, a in parsed.tags if t == "meta" and a.get("http-equiv"))
    assert policy is not None
    assert "default-src 'none'" in policy
    for kind in ("script", "style"):
        (body,) = parsed.blocks[kind]
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
        assert f"{kind}-src 'sha256-{digest}'" in policy


def test_hostile_strings_are_escaped_everywhere() -> None:
    page = html.render(hostile_run())
    assert HOSTILE not in page
    assert "<script>alert" not in page
    assert "<img" not in page
    assert "\x00" not in page
    parsed = collect(page)
    assert [t for t, _ in parsed.tags].count("script") == 1
    assert [t for t, _ in parsed.tags].count("img") == 0
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page


def test_svg_marks_observed_allowed_and_unexpected_transitions() -> None:
    run = mixed_run()
    api = run.apis[0]
    svg = render_lifecycle(api.states, api.transitions, api.observed_transitions, prefix="t", title="curaeai")
    kinds = {(m[1], m[2]): m[0] for m in re.findall(r'class="edge (\w+)" data-from="([^"]+)" data-to="([^"]+)"', svg)}
    assert kinds[("QUEUED", "RUNNING")] == "observed"
    assert kinds[("RUNNING", "READY")] == "observed"
    assert kinds[("READY", "QUEUED")] == "unexpected"  # observed, but the spec does not allow it
    assert kinds[("READY", "EXPIRED")] == "allowed"
    assert kinds[("QUEUED", "FAILED")] == "allowed"
    assert sorted(re.findall(r'data-state="(\w+)"', svg)) == sorted(api.states)
    assert 'class="legend"' in svg
    for label in ("allowed by the spec, not observed", "allowed and observed in this run", "NOT allowed by the spec"):
        assert label in svg
    # observed edges use their own arrowhead and a solid, thicker line
    assert 'marker-end="url(#t-arrow-observed)"' in svg
    observed_path = re.search(r'<path [^>]*class="edge observed"[^>]*>', svg)
    assert observed_path is not None
    assert "stroke-dasharray" not in observed_path.group(0)


def test_each_api_gets_its_own_drawing_with_unique_ids() -> None:
    page = html.render(mixed_run())
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="lifecycle"') == 2
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))


def test_hostile_state_names_are_escaped_and_flagged_in_the_drawing() -> None:
    svg = render_lifecycle(["A", "B"], {"A": ["B"]}, [("A", HOSTILE)], prefix="h", title=HOSTILE)
    assert "<script>" not in svg
    assert "<img" not in svg
    assert 'class="edge unexpected" data-from="A"' in svg
    assert 'fill="#ffebe9"' in svg  # the state not in the spec is drawn apart


def test_an_empty_run_still_renders() -> None:
    from contract_tests.results import Run

    page = html.render(Run())
    assert "No check ran." in page
    assert "nothing was verified" in page
