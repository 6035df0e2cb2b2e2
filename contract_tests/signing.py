"""Read what a presigned URL says about itself: when it was signed, how long it lives, its signature.

Two query styles are understood, as ``x-lifecycle.download.signature`` names them:
``s3-sigv4`` (``X-Amz-Date``, ``X-Amz-Expires``, ``X-Amz-Signature``; S3's older
``Expires``/``Signature`` form is read too) and ``gcs-v4`` (the same with ``X-Goog-``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

PREFIXES = {"s3-sigv4": "X-Amz-", "gcs-v4": "X-Goog-"}


@dataclass(frozen=True)
class SignedUrl:
    """The signing facts found in a URL's query (None where absent or unreadable)."""

    signed_at: datetime | None
    expires_in: int | None
    expires_at: datetime | None
    signature_param: str | None
    problems: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return self.signature_param is not None and self.expires_at is not None


def parse_signed_url(url: str, style: str) -> SignedUrl:
    """Parse the query of ``url`` in ``style``; ``problems`` lists what is missing or malformed."""
    query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    lowered = {k.lower(): k for k in query}
    prefix = PREFIXES.get(style, "X-Amz-")
    problems: list[str] = []

    def param(name: str) -> str | None:
        key = lowered.get(name.lower())
        return None if key is None else query[key]

    signature_key = lowered.get(f"{prefix}signature".lower())
    date_text, expires_text = param(f"{prefix}Date"), param(f"{prefix}Expires")
    signed_at = expires_in = expires_at = None
    if date_text is not None:
        try:
            signed_at = datetime.strptime(date_text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        except ValueError:
            problems.append(f"{prefix}Date={date_text!r} is not YYYYMMDDTHHMMSSZ")
    if expires_text is not None:
        if expires_text.isdigit():
            expires_in = int(expires_text)
        else:
            problems.append(f"{prefix}Expires={expires_text!r} is not a number of seconds")
    if signed_at is not None and expires_in is not None:
        expires_at = signed_at + timedelta(seconds=expires_in)
    if signature_key is None and style == "s3-sigv4" and "signature" in lowered and "expires" in lowered:
        # S3's query-string auth v2: Expires is an epoch second, there is no signing date.
        signature_key = lowered["signature"]
        epoch = query[lowered["expires"]]
        if epoch.isdigit():
            expires_at = datetime.fromtimestamp(int(epoch), tz=UTC)
        else:
            problems.append(f"Expires={epoch!r} is not an epoch second")
    if signature_key is None:
        problems.append(f"no {prefix}Signature query parameter")
    elif expires_at is None and not problems:
        problems.append(f"no {prefix}Date and {prefix}Expires to tell when it expires")
    return SignedUrl(signed_at, expires_in, expires_at, signature_key, tuple(problems))


def tamper(url: str, signature_param: str) -> str:
    """``url`` with the last character of its signature changed, every other byte kept as it was."""
    parts = urlsplit(url)
    segments = parts.query.split("&")
    for index, segment in enumerate(segments):
        key, sep, value = segment.partition("=")
        if unquote(key) == signature_param:
            # '1'/'2' are hex digits, so a change inside a %XX escape stays a valid escape.
            swap = "1" if value[-1:] != "1" else "2"
            segments[index] = f"{key}{sep or '='}{value[:-1]}{swap}"
    return urlunsplit(parts._replace(query="&".join(segments)))


__all__ = ["PREFIXES", "SignedUrl", "parse_signed_url", "tamper"]
