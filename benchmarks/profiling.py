"""Where the mock spends its time under load: py-spy samples, folded stacks, top frames.

``profile_under_load`` attaches ``py-spy record`` to the running mock while wrk loads one
endpoint (that run's figures are discarded: sampling slows the server). ``summarise_folded``
reads the folded stacks (``frame;frame;frame count`` lines) into the frames with the most own
time and the most inclusive time, and the time charged to each package: the first frame above a
sample that is not the standard library's (so ``inspect.signature`` called by Connexion is
Connexion's time). That is what ``results/profiles/*.txt`` shows.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.errors import ProfileError
from benchmarks.wrk import WrkSettings, run_wrk

SAMPLE_RATE_HZ = 250
NO_FRAME = "(no Python frame)"
_SITE = re.compile(r"\(/[^()]*/(?:site-packages|lib/python3\.\d+)/")


@dataclass(frozen=True)
class FoldedSummary:
    """Shares (0..1) of all samples: frames ranked by own time and by inclusive time."""

    samples: int
    own: list[tuple[str, float]]
    inclusive: list[tuple[str, float]]
    packages: list[tuple[str, float]] = field(default_factory=list)  # time charged to each package
    skipped: int = 0  # lines that were not ``stack count``


def _short(frame: str, root: str) -> str:
    """``f (/…/site-packages/pkg/mod.py:12)`` -> ``f (pkg/mod.py:12)``; the same for the project root."""
    return _SITE.sub("(", frame).replace(f"({root}/", "(")


def package_of(frame: str) -> str:
    """``f (connexion/security.py:9)`` -> ``connexion``; ``f (inspect.py:3)`` -> ``inspect``."""
    match = re.search(r"\(([^()]*?):\d+\)$", frame)
    where = match.group(1) if match else frame
    top = where.lstrip("/").split("/", 1)[0]
    return top.removesuffix(".py")


def charged_package(frames: list[str]) -> str:
    """The first package from the leaf up that is not the standard library (or the leaf's, if none is)."""
    for frame in reversed(frames):
        package = package_of(frame)
        if package not in sys.stdlib_module_names and not package.startswith("<"):
            return package
    return package_of(frames[-1])


def summarise_folded(text: str, *, top: int = 25, root: str = "") -> FoldedSummary:
    """Rank frames of folded stacks. Lines that are not ``stack count`` are skipped and counted;
    ``ValueError`` when no line is readable at all."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = skipped = 0
    first_bad = ""
    for line in text.splitlines():
        if not line.strip():
            continue
        stack, _, count = line.strip().rpartition(" ")
        if not count.isdigit():
            skipped += 1
            first_bad = first_bad or line[:80]
            continue
        # py-spy writes samples that caught no Python frame with an empty stack
        frames = [_short(f, root) for f in stack.split(";")] if stack else [NO_FRAME]
        samples = int(count)
        total += samples
        own[frames[-1]] += samples
        packages[charged_package(frames)] += samples
        for frame in set(frames):
            inclusive[frame] += samples
    if total == 0:
        if skipped:
            raise ValueError(f"no line is 'stack count', e.g. {first_bad!r}")
        return FoldedSummary(0, [], [])

    def ranked(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(frame, n / total) for frame, n in counter.most_common(top)]

    return FoldedSummary(total, ranked(own), ranked(inclusive), ranked(packages), skipped)


def render_summary(title: str, summary: FoldedSummary) -> str:
    skipped = f" ({summary.skipped} unreadable lines skipped)" if summary.skipped else ""
    lines = [
        f"# {title}",
        f"{summary.samples} samples at {SAMPLE_RATE_HZ} Hz{skipped}",
        "",
        "## time charged to each package",
    ]
    lines += [f"{share * 100:5.1f}%  {package}" for package, share in summary.packages]
    lines += ["", "## own time"]
    lines += [f"{share * 100:5.1f}%  {frame}" for frame, share in summary.own]
    lines += ["", "## inclusive time"]
    lines += [f"{share * 100:5.1f}%  {frame}" for frame, share in summary.inclusive]
    return "\n".join(lines) + "\n"


def profile_under_load(
    py_spy: str,
    pid: int,
    *,
    wrk: str,
    url: str,
    headers: Mapping[str, str],
    settings: WrkSettings,
    out: Path,
    root: Path,
    workdir: Path,
) -> Path:
    """Sample ``pid`` during one wrk run; writes ``out`` (.folded) and ``out`` .txt, returns the .txt."""
    out.parent.mkdir(parents=True, exist_ok=True)
    seconds = max(int(settings.duration_s), 1)
    recorder = subprocess.Popen(
        [
            py_spy,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(seconds),
            "--rate",
            str(SAMPLE_RATE_HZ),
            "--format",
            "raw",
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        run_wrk(wrk, url, settings, workdir, headers=headers)
        _, errors = recorder.communicate(timeout=seconds + 30)
    finally:
        if recorder.poll() is None:
            recorder.kill()
            recorder.wait()
    if recorder.returncode != 0 or not out.exists():
        raise ProfileError(url, f"py-spy exit {recorder.returncode}: {errors.strip()[-300:]}")
    try:
        summary = summarise_folded(out.read_text(encoding="utf-8", errors="replace"), root=str(root))
    except ValueError as exc:
        raise ProfileError(url, f"unreadable py-spy output {out}: {exc}") from None
    text_path = out.with_suffix(".txt")
    text_path.write_text(render_summary(f"{url} under wrk", summary), encoding="utf-8")
    return text_path
