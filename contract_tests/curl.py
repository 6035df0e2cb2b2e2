"""Render any request as a working, shell-quoted curl command a developer can paste."""

from __future__ import annotations

import shlex
from collections.abc import Iterable

# Headers curl or the transport adds on its own; repeating them only adds noise.
_IMPLICIT = frozenset({"host", "content-length", "accept-encoding", "connection", "user-agent"})


def render_curl(
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]] = (),
    body: bytes | None = None,
) -> str:
    """A one-line curl command sending exactly this request, credentials included as sent.

    Redirects are not followed (curl's default, and the checker's), so ``-i`` shows a 302's
    ``Location`` as the checker saw it.

    Headers and body are single-quoted for POSIX shells, so quotes inside values survive.
    """
    parts = ["curl", "-i"]
    method = method.upper()
    if method == "HEAD":
        parts.append("--head")
    elif method != "GET" or body:
        parts += ["-X", method]
    parts.append(shlex.quote(url))
    for name, value in headers:
        if name.lower() in _IMPLICIT:
            continue
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    if body:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            # Binary bodies cannot be pasted as text; say so rather than send something else.
            parts += ["--data-binary", shlex.quote(f"@<{len(body)} binary bytes, not shown>")]
        else:
            parts += ["--data-raw", shlex.quote(text)]
    return " ".join(parts)


__all__ = ["render_curl"]
