"""RFC 6901 JSON pointers into response bodies: read, and remove (for comparisons)."""

from __future__ import annotations

import copy
from typing import Any

MISSING: Any = object()  # a pointer that leads nowhere (distinct from a JSON null)


def _parts(pointer: str) -> list[str]:
    if pointer in ("", "/"):
        return [] if pointer == "" else [""]
    if not pointer.startswith("/"):
        raise ValueError(f"JSON pointer {pointer!r} must start with '/'")
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]


def get(document: Any, pointer: str | None) -> Any:
    """The value at ``pointer``, or ``MISSING``; a None pointer means the whole document."""
    if pointer is None:
        return document
    node = document
    for part in _parts(pointer):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return MISSING
    return node


def without(document: Any, pointer: str) -> Any:
    """A deep copy of ``document`` with the member at ``pointer`` removed (if present)."""
    out = copy.deepcopy(document)
    parts = _parts(pointer)
    if not parts:
        return out
    node = get(out, "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts[:-1])) if parts[:-1] else out
    if isinstance(node, dict):
        node.pop(parts[-1], None)
    return out


__all__ = ["MISSING", "get", "without"]
