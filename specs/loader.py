"""Find and load the specs shipped in this folder."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from specs.errors import SpecError, UnknownApiError

SPECS_DIR = Path(__file__).resolve().parent
API_NAMES: tuple[str, ...] = ("curaeai", "hookbridge", "carevalidate", "spaaza", "webadmit")


def spec_path(name: str) -> Path:
    """Path of the spec of API ``name``; raises ``UnknownApiError`` for an unknown name."""
    if name not in API_NAMES:
        raise UnknownApiError(name, API_NAMES)
    return SPECS_DIR / f"{name}.yaml"


@cache
def _load_cached(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        # libyaml's loader when present: the same document, about ten times faster at start-up.
        data = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if not isinstance(data, dict):
        raise SpecError(f"{path}: not a YAML mapping")
    return data


def load_spec(name_or_path: str | Path) -> dict[str, Any]:
    """Load a spec by API name (``"curaeai"``) or by path. The result is shared: do not mutate it."""
    text = str(name_or_path)
    path = spec_path(text) if text in API_NAMES or ("/" not in text and not text.endswith(".yaml")) else Path(text)
    return _load_cached(str(path.resolve()))
