"""A TOML writer for the shapes a Schemathesis configuration takes (the standard library only reads TOML).

>>> print(to_toml({"auth": {"wfc": {"user": "primary"}}, "operations": [{"include-operation-id": "x"}]}))
[auth.wfc]
user = "primary"
<BLANKLINE>
[[operations]]
include-operation-id = "x"
<BLANKLINE>
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_MUST_ESCAPE = re.compile(r'["\\\x00-\x08\x0a-\x1f\x7f]')


def to_toml(document: Mapping[str, Any]) -> str:
    """TOML for the shapes a Schemathesis config takes: tables, arrays of tables, inline values."""
    lines: list[str] = []
    for key, value in document.items():
        if not isinstance(value, Mapping) and not _is_table_array(value):
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in document.items():
        if isinstance(value, Mapping):
            _table(lines, [key], value)
        elif _is_table_array(value):
            for item in value:
                lines += ["", f"[[{_key(key)}]]", *(f"{_key(k)} = {_value(v)}" for k, v in item.items())]
    return "\n".join(lines).lstrip("\n") + "\n"


def _table(lines: list[str], path: list[str], table: Mapping[str, Any]) -> None:
    plain = [(k, v) for k, v in table.items() if not isinstance(v, Mapping)]
    if plain or not table:
        lines += ["", f"[{'.'.join(_key(p) for p in path)}]", *(f"{_key(k)} = {_value(v)}" for k, v in plain)]
    for key, value in table.items():
        if isinstance(value, Mapping):
            _table(lines, [*path, key], value)


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _string(key)


def _string(text: str) -> str:
    return '"' + _MUST_ESCAPE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + '"'


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Sequence):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML form for {value!r}")
