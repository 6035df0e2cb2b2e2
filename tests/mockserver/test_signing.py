"""Presigned URLs: round trip, tamper, expiry, foreign signer, traversal."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from mockserver.errors import StorageError
from mockserver.signing import SignedUrlSigner, check_key

NOW = 1_700_000_000.0


def parts(url: str) -> tuple[str, str, str, dict[str, str]]:
    split = urlsplit(url)
    _, _, provider, bucket, key = split.path.split("/", 4)
    return provider, bucket, key, dict(parse_qsl(split.query))


@pytest.mark.parametrize(("style", "prefix"), [("s3-sigv4", "X-Amz-"), ("gcs-v4", "X-Goog-")])
def test_round_trip(style: str, prefix: str) -> None:
    signer = SignedUrlSigner("s3cret")
    url = signer.sign("http://127.0.0.1:9/", style=style, bucket="api", key="j1/f.csv", expires=60, now=NOW)
    assert url.startswith("http://127.0.0.1:9/_storage/")
    _, bucket, key, query = parts(url)
    for name in ("Algorithm", "Credential", "Date", "Expires", "SignedHeaders", "Signature"):
        assert prefix + name in query
    assert query[prefix + "Expires"] == "60"
    signer.verify(style=style, bucket=bucket, key=key, query=query, now=NOW + 60)


@pytest.mark.parametrize("style", ["s3-sigv4", "gcs-v4"])
def test_changed_signature_key_or_expiry_is_refused(style: str) -> None:
    signer = SignedUrlSigner("s3cret")
    _, bucket, key, query = parts(signer.sign("http://h", style=style, bucket="api", key="j1/f", expires=60, now=NOW))
    sig = next(k for k in query if k.endswith("Signature"))
    expires = next(k for k in query if k.endswith("Expires"))
    tampered = [
        {**query, sig: ("0" if query[sig][0] != "0" else "1") + query[sig][1:]},
        {**query, expires: "600"},
    ]
    for bad in tampered:
        with pytest.raises(StorageError) as caught:
            signer.verify(style=style, bucket=bucket, key=key, query=bad, now=NOW)
        assert (caught.value.status, caught.value.code) == (403, "SignatureDoesNotMatch")
    with pytest.raises(StorageError, match="signature"):
        signer.verify(style=style, bucket=bucket, key="j2/f", query=query, now=NOW)
    with pytest.raises(StorageError, match="signature"):
        signer.verify(style=style, bucket=bucket, key=key, query=query, now=NOW, method="PUT")


def test_expired_is_refused_in_each_providers_words() -> None:
    signer = SignedUrlSigner("s3cret")
    for style, code, message in [
        ("s3-sigv4", "AccessDenied", "Request has expired"),
        ("gcs-v4", "ExpiredToken", "expired"),
    ]:
        _, bucket, key, query = parts(signer.sign("http://h", style=style, bucket="b", key="k", expires=60, now=NOW))
        with pytest.raises(StorageError, match=message) as caught:
            signer.verify(style=style, bucket=bucket, key=key, query=query, now=NOW + 61)
        assert (caught.value.status, caught.value.code) == (403, code)
        signer.verify(style=style, bucket=bucket, key=key, query=query, now=NOW + 61, check_expiry=False)


def test_foreign_secret_and_missing_parameters_are_refused() -> None:
    ours, theirs = SignedUrlSigner("ours"), SignedUrlSigner("theirs")
    _, bucket, key, query = parts(theirs.sign("http://h", style="s3-sigv4", bucket="b", key="k", expires=60, now=NOW))
    with pytest.raises(StorageError, match="signature"):
        ours.verify(style="s3-sigv4", bucket=bucket, key=key, query=query, now=NOW)
    stranger = SignedUrlSigner("ours", access_key="SOMEONEELSE")
    _, _, _, query = parts(stranger.sign("http://h", style="s3-sigv4", bucket="b", key="k", expires=60, now=NOW))
    with pytest.raises(StorageError) as caught:
        ours.verify(style="s3-sigv4", bucket="b", key="k", query=query, now=NOW)
    assert caught.value.code == "InvalidAccessKeyId"
    with pytest.raises(StorageError, match="requires"):
        ours.verify(style="s3-sigv4", bucket="b", key="k", query={}, now=NOW)


@pytest.mark.parametrize("key", ["", "../etc/passwd", "a/../b", "a//b", "a/./b", "a\\b", "/abs", "a/%2e%2e"])
def test_traversal_keys_are_refused(key: str) -> None:
    with pytest.raises(StorageError) as caught:
        check_key(key)
    assert caught.value.status == 400
