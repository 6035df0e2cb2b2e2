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
import math
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus

from mockserver.clock import compact_utc, parse_compact_utc
from mockserver.errors import ConfigError, StorageError

MAX_EXPIRES = 604_800  # seven days: the longest lifetime S3 and GCS accept
SECOND_MEMO = 4096  # URLs and hash states remembered within one second of the clock
_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9._~@=+,-]+$")
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")  # what ``quote_plus`` leaves as it is
_SHA256 = hashlib.sha256()  # never updated: only copied
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


@dataclass(frozen=True)
class _UnsignedUrl:
    """A URL's parts that do not depend on a nonce, for one second of the clock."""

    url: str  # up to and including the fixed query pairs
    canonical: Any  # hashlib state of the canonical request up to the same point; copied, never updated
    to_sign: str  # the string to sign, less the canonical request's hash
    key: _Hmac  # the day's signing key


class _Hmac:
    """HMAC-SHA256 under one key, its inner and outer hash states keyed once (RFC 2104).

    ``hmac.digest`` looks the digest up again on every call; copying keyed states is ~2 x faster,
    and a download answer signs one URL.
    """

    def __init__(self, key: bytes) -> None:
        block = key.ljust(64, b"\0")  # a SHA-256 block; derived keys are 32 bytes
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def hexdigest(self, message: bytes) -> str:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


def check_key(key: str) -> None:
    """Refuse object keys that could escape their bucket (``..``, empty or odd segments)."""
    if not _valid_key(key):
        raise StorageError(400, "InvalidURI", f"object key {key!r} is not a valid key")


@functools.lru_cache(maxsize=4096)
def _valid_key(key: str) -> bool:
    # pure, and checked on every URL signed or served: the same few keys again and again
    return bool(key) and all(s not in (".", "..") and _SAFE_SEGMENT.match(s) for s in key.split("/"))


class SignedUrlSigner:
    """Mints and verifies presigned URLs for the mock object store (``/_storage/...``)."""

    def __init__(self, secret: str | bytes | None = None, *, access_key: str = "EXPORTKITMOCKKEY") -> None:
        if secret is None:
            secret = secrets.token_hex(32)
        self._secret = secret.encode() if isinstance(secret, str) else bytes(secret)
        if not self._secret:
            raise ConfigError("signing-secret", "must not be empty")
        self.access_key = access_key
        self._keys: dict[tuple[str, str], _Hmac] = {}
        self._fixed: dict[tuple[str, str, int], tuple[str, str]] = {}
        self._this_second: dict[tuple[Any, ...], Any] = {}  # see ``sign``
        self._second = 0

    def _signing_key(self, style: UrlStyle, day: str) -> _Hmac:
        cached = self._keys.get((style.name, day))
        if cached is None:
            key = hmac.new(style.key_prefix.encode() + self._secret, day.encode(), hashlib.sha256).digest()
            for part in (style.region, style.service, style.terminator):
                key = hmac.new(key, part.encode(), hashlib.sha256).digest()
            if len(self._keys) > 64:  # a long-running server: keep only recent days
                self._keys.clear()
            self._keys[(style.name, day)] = cached = _Hmac(key)
        return cached

    def _signature(self, style: UrlStyle, method: str, path: str, params: Mapping[str, str]) -> str:
        signature = style.param_prefix + "Signature"
        encoded = {k: _pair(k, v) for k, v in params.items() if k != signature}
        return self._signed(
            style, method, path, "&".join(encoded[k] for k in sorted(encoded)), params[style.param_prefix + "Date"]
        )

    def _signed(self, style: UrlStyle, method: str, path: str, canonical_query: str, date: str) -> str:
        """The hex signature of the canonical request (method, quoted path, sorted encoded query)."""
        canonical = f"{method.upper()}\n{_quoted_path(path)}\n{canonical_query}"
        digest = _SHA256.copy()  # copying an empty state skips OpenSSL's digest lookup (~1 µs)
        digest.update(canonical.encode())
        to_sign = f"{style.algorithm}\n{date}\n{digest.hexdigest()}"
        return self._signing_key(style, date[:8]).hexdigest(to_sign.encode())

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
        """An absolute URL under ``base_url`` valid for ``expires`` seconds from ``now``.

        Clients poll, so what is signed in one second of the clock is remembered for that second:
        a URL without ``extra`` whole (a pure function of the arguments and the second), and for
        one with ``extra`` (a nonce) all but the nonce: the URL and query before it, and the hash
        state of the canonical request before it.
        """
        second = math.floor(now)
        if second != self._second:  # a new dict, not clear(): another thread may be reading
            self._this_second, self._second = {}, second
        memo = self._this_second
        url_key = ("url", base_url, style, bucket, key, expires, method)
        if not extra and url_key in memo:
            return memo[url_key]  # type: ignore[no-any-return]
        url_style = STYLES[style]
        p = url_style.param_prefix
        if extra and not all(name > p + "SignedHeaders" for name in extra):
            return self._sign_sorting(base_url, url_style, bucket, key, expires, now, method, extra)
        parts_key = ("parts", base_url, style, bucket, key, expires, method)
        parts: _UnsignedUrl | None = memo.get(parts_key)
        if parts is None:
            parts = self._unsigned(base_url, url_style, bucket, key, expires, now, method)
            if len(memo) < SECOND_MEMO:
                memo[parts_key] = parts
        unsigned, digest = parts.url, parts.canonical.copy()
        if extra:
            # ``extra`` named after ``SignedHeaders`` (as ``x-id`` is) sorts after the fixed pairs.
            # Not ``_pair``: a nonce never repeats, and would only churn its cache.
            extras = [(name, f"{_plus_quoted(name)}={_plus_quoted(value)}") for name, value in extra.items()]
            digest.update("".join("&" + pair for _, pair in sorted(extras)).encode())
            unsigned += "".join("&" + pair for _, pair in extras)
        signature = parts.key.hexdigest((parts.to_sign + digest.hexdigest()).encode())
        signed = f"{unsigned}&{p}Signature={signature}"
        if not extra and len(memo) < SECOND_MEMO:
            memo[url_key] = signed
        return signed

    def _unsigned(
        self, base_url: str, style: UrlStyle, bucket: str, key: str, expires: int, now: float, method: str
    ) -> _UnsignedUrl:
        date = _checked_date(key, expires, now)
        path = _quoted_path(f"/{bucket}/{key}")
        head, tail = self._fixed_pairs(style, date[:8], expires)
        query = f"{head}{date}{tail}"  # the date (digits, T and Z) needs no encoding
        canonical = _SHA256.copy()  # copying an empty state skips OpenSSL's digest lookup (~1 µs)
        canonical.update(f"{method.upper()}\n{path}\n{query}".encode())
        url = f"{base_url.rstrip('/')}/_storage/{style.path_prefix}{path}?{query}"
        return _UnsignedUrl(url, canonical, f"{style.algorithm}\n{date}\n", self._signing_key(style, date[:8]))

    def _sign_sorting(
        self,
        base_url: str,
        style: UrlStyle,
        bucket: str,
        key: str,
        expires: int,
        now: float,
        method: str,
        extra: Mapping[str, str],
    ) -> str:
        """``sign`` for an ``extra`` that sorts among the fixed pairs: the query sorted in full."""
        date = _checked_date(key, expires, now)
        p = style.param_prefix
        params = {
            p + "Algorithm": style.algorithm,
            p + "Credential": self._credential(style, date[:8]),
            p + "Date": date,
            p + "Expires": str(expires),
            p + "SignedHeaders": "host",
            **extra,
        }
        encoded = {k: _pair(k, v) for k, v in params.items()}
        encoded.pop(p + "Signature", None)  # an ``extra`` named like the signature is replaced by it
        path = f"/{bucket}/{key}"
        signature = self._signed(style, method, path, "&".join(encoded[k] for k in sorted(encoded)), date)
        url = f"{base_url.rstrip('/')}/_storage/{style.path_prefix}{_quoted_path(path)}"
        return f"{url}?{'&'.join(encoded.values())}&{p}Signature={signature}"

    def _credential(self, style: UrlStyle, day: str) -> str:
        return f"{self.access_key}/{day}/{style.region}/{style.service}/{style.terminator}"

    def _fixed_pairs(self, style: UrlStyle, day: str, expires: int) -> tuple[str, str]:
        """The encoded query before the date (algorithm, credential scope) and after it (expiry,
        signed headers): the same for a whole day, so encoded once."""
        cached = self._fixed.get((style.name, day, expires))
        if cached is None:
            p = style.param_prefix
            head = f"{_pair(p + 'Algorithm', style.algorithm)}&{_pair(p + 'Credential', self._credential(style, day))}"
            tail = f"&{_pair(p + 'Expires', str(expires))}&{_pair(p + 'SignedHeaders', 'host')}"
            if len(self._fixed) > 256:  # a long-running server: keep only recent days
                self._fixed.clear()
            self._fixed[(style.name, day, expires)] = cached = (f"{head}&{p}Date=", tail)
        return cached

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


def _checked_date(key: str, expires: int, now: float) -> str:
    """The signing date of ``now``, once the key and the lifetime are known to be signable."""
    check_key(key)
    if not 0 < expires <= MAX_EXPIRES:
        raise ConfigError("expires", f"must be 1..{MAX_EXPIRES} seconds, got {expires}")
    return compact_utc(now)


@functools.lru_cache(maxsize=1024)
def _pair(name: str, value: str) -> str:
    """``name=value`` as ``urlencode`` writes it; most pairs (algorithm, scope, expiry) repeat all day."""
    return f"{_plus_quoted(name)}={_plus_quoted(value)}"


def _plus_quoted(text: str) -> str:
    return text if _UNRESERVED.fullmatch(text) else _quote_plus(text)


@functools.lru_cache(maxsize=512)
def _quote_plus(text: str) -> str:
    # the credential scope (``KEY/20240501/us-east-1/s3/aws4_request``) is the same all day
    return quote_plus(text)


@functools.lru_cache(maxsize=4096)
def _quoted_path(path: str) -> str:
    """``quote(path, safe="/~")``, skipping the per-character work for a path that needs none."""
    return path if _PLAIN_PATH.fullmatch(path) else quote(path, safe="/~")
