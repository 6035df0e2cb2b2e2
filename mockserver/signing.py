"""Presigned URLs in the style of S3 SigV4 and GCS V4, signed with a per-server secret.

The signature is an HMAC-SHA256 (with a SigV4-style derived key, cached per day) over the method,
the object path (bucket and key), and every signed query parameter: algorithm, credential,
date, expiry and any extra ones. Verification compares in constant time.

    >>> signer = SignedUrlSigner("secret")
    >>> url = signer.sign("http://127.0.0.1:8080", style="s3-sigv4", bucket="curaeai",
    ...                   key="j1/j1.ndjson", expires=60, now=0.0)
    >>> url.split("?")[0]
    'http://127.0.0.1:8080/_storage/s3/curaeai/j1/j1.ndjson'
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, quote_plus

from mockserver.clock import compact_utc, parse_compact_utc
from mockserver.errors import ConfigError, StorageError

MAX_EXPIRES = 604_800  # seven days: the longest lifetime S3 and GCS accept
_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9._~@=+,-]+$")
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")  # what ``quote_plus`` leaves as it is
_PLAIN_PATH = re.compile(r"[A-Za-z0-9_.~/-]*")  # what ``quote(path, safe="/~")`` leaves as it is


@dataclass(frozen=True)
class UrlStyle:
    """The query-parameter dialect of one storage provider."""

    name: str
    path_prefix: str
    param_prefix: str
    algorithm: str
    region: str
    service: str
    terminator: str
    key_prefix: str


STYLES: Mapping[str, UrlStyle] = {
    "s3-sigv4": UrlStyle("s3-sigv4", "s3", "X-Amz-", "AWS4-HMAC-SHA256", "us-east-1", "s3", "aws4_request", "AWS4"),
    "gcs-v4": UrlStyle("gcs-v4", "gcs", "X-Goog-", "GOOG4-HMAC-SHA256", "auto", "storage", "goog4_request", "GOOG4"),
}
STYLE_BY_PATH: Mapping[str, UrlStyle] = {style.path_prefix: style for style in STYLES.values()}


def check_key(key: str) -> None:
    """Refuse object keys that could escape their bucket (``..``, empty or odd segments)."""
    segments = key.split("/")
    if not key or any(s in ("", ".", "..") or not _SAFE_SEGMENT.match(s) for s in segments):
        raise StorageError(400, "InvalidURI", f"object key {key!r} is not a valid key")


class SignedUrlSigner:
    """Mints and verifies presigned URLs for the mock object store (``/_storage/...``)."""

    def __init__(self, secret: str | bytes | None = None, *, access_key: str = "EXPORTKITMOCKKEY") -> None:
        if secret is None:
            secret = secrets.token_hex(32)
        self._secret = secret.encode() if isinstance(secret, str) else bytes(secret)
        if not self._secret:
            raise ConfigError("signing-secret", "must not be empty")
        self.access_key = access_key
        self._keys: dict[tuple[str, str], bytes] = {}

    def _signing_key(self, style: UrlStyle, day: str) -> bytes:
        cached = self._keys.get((style.name, day))
        if cached is None:
            key = hmac.new(style.key_prefix.encode() + self._secret, day.encode(), hashlib.sha256).digest()
            for part in (style.region, style.service, style.terminator):
                key = hmac.new(key, part.encode(), hashlib.sha256).digest()
            if len(self._keys) > 64:  # a long-running server: keep only recent days
                self._keys.clear()
            self._keys[(style.name, day)] = cached = key
        return cached

    def _signature(self, style: UrlStyle, method: str, path: str, params: Mapping[str, str]) -> str:
        date = params[style.param_prefix + "Date"]
        signed = sorted((k, v) for k, v in params.items() if k != style.param_prefix + "Signature")
        canonical = "\n".join([method.upper(), _quoted_path(path), _query(signed)])
        to_sign = "\n".join([style.algorithm, date, hashlib.sha256(canonical.encode()).hexdigest()])
        return hmac.new(self._signing_key(style, date[:8]), to_sign.encode(), hashlib.sha256).hexdigest()

    def sign(
        self,
        base_url: str,
        *,
        style: str,
        bucket: str,
        key: str,
        expires: int,
        now: float,
        method: str = "GET",
        extra: Mapping[str, str] | None = None,
    ) -> str:
        """An absolute URL under ``base_url`` valid for ``expires`` seconds from ``now``."""
        url_style = STYLES[style]
        check_key(key)
        if not 0 < expires <= MAX_EXPIRES:
            raise ConfigError("expires", f"must be 1..{MAX_EXPIRES} seconds, got {expires}")
        date = compact_utc(now)
        p = url_style.param_prefix
        params = {
            p + "Algorithm": url_style.algorithm,
            p + "Credential": f"{self.access_key}/{date[:8]}/{url_style.region}/{url_style.service}/"
            f"{url_style.terminator}",
            p + "Date": date,
            p + "Expires": str(expires),
            p + "SignedHeaders": "host",
            **(extra or {}),
        }
        path = f"/{bucket}/{key}"
        params[p + "Signature"] = self._signature(url_style, method, path, params)
        query = _query(params.items())
        return f"{base_url.rstrip('/')}/_storage/{url_style.path_prefix}{_quoted_path(path)}?{query}"

    def verify(
        self,
        *,
        style: str,
        bucket: str,
        key: str,
        query: Mapping[str, str],
        now: float,
        method: str = "GET",
        check_signature: bool = True,
        check_expiry: bool = True,
    ) -> None:
        """Raise ``StorageError`` (403) unless the query signs this object and has not expired."""
        url_style = STYLES[style]
        check_key(key)
        p = url_style.param_prefix
        s3 = url_style.name == "s3-sigv4"
        names = [p + n for n in ("Algorithm", "Credential", "Date", "Expires", "SignedHeaders", "Signature")]
        missing = [n for n in names if n not in query]
        if missing:
            raise StorageError(403, "AccessDenied", f"Query-string authentication requires {', '.join(missing)}")
        if query[p + "Algorithm"] != url_style.algorithm:
            raise StorageError(403, "AccessDenied", f"Unsupported algorithm {query[p + 'Algorithm']!r}")
        if query[p + "Credential"].split("/", 1)[0] != self.access_key:
            code = "InvalidAccessKeyId" if s3 else "SignatureDoesNotMatch"
            raise StorageError(403, code, "The access key id you provided does not exist in our records.")
        signed_at = parse_compact_utc(query[p + "Date"])
        lifetime = query[p + "Expires"]
        if signed_at is None or not lifetime.isdigit() or not 0 < int(lifetime) <= MAX_EXPIRES:
            raise StorageError(403, "AccessDenied", "The date or expiry of the signed URL is malformed.")
        if check_signature:
            expected = self._signature(url_style, method, f"/{bucket}/{key}", query)
            if not hmac.compare_digest(expected, query[p + "Signature"]):
                raise StorageError(
                    403,
                    "SignatureDoesNotMatch",
                    "The request signature we calculated does not match the signature you provided.",
                )
        if check_expiry:
            if now < signed_at - 60:  # one minute of clock skew, as the providers allow
                raise StorageError(403, "AccessDenied", "Request is not valid yet")
            if now > signed_at + int(lifetime):
                if s3:
                    raise StorageError(403, "AccessDenied", "Request has expired")
                raise StorageError(403, "ExpiredToken", "The provided token has expired.")


def _plus_quoted(text: str) -> str:
    return text if _UNRESERVED.fullmatch(text) else _quote_plus(text)


@functools.lru_cache(maxsize=512)
def _quote_plus(text: str) -> str:
    # the credential scope (``KEY/20240501/us-east-1/s3/aws4_request``) is the same all day
    return quote_plus(text)


def _query(pairs: Iterable[tuple[str, str]]) -> str:
    """``urllib.parse.urlencode(pairs)`` for text pairs, without quoting what needs none (it is hot)."""
    return "&".join(f"{_plus_quoted(k)}={_plus_quoted(v)}" for k, v in pairs)


def _quoted_path(path: str) -> str:
    """``quote(path, safe="/~")``, skipping the per-character work for a path that needs none."""
    return path if _PLAIN_PATH.fullmatch(path) else quote(path, safe="/~")
