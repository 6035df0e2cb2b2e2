"""Reading and tampering presigned URLs."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

from contract_tests.signing import parse_signed_url, tamper

S3 = "https://b.s3.amazonaws.com/k.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20250101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=abcd%2Fef"
GCS = "https://storage.googleapis.com/b/f.pdf?X-Goog-Date=20250101T000000Z&X-Goog-Expires=900&X-Goog-Signature=00ff"
V2 = "https://b.s3.amazonaws.com/k.txt?AWSAccessKeyId=A&Expires=1425359248&Signature=y2jw%2BfaE%3D"


def test_s3_sigv4() -> None:
    signed = parse_signed_url(S3, "s3-sigv4")
    assert signed.signed_at == datetime(2025, 1, 1, tzinfo=UTC)
    assert signed.expires_in == 60
    assert signed.expires_at == datetime(2025, 1, 1, 0, 1, tzinfo=UTC)
    assert signed.signature_param == "X-Amz-Signature"
    assert signed.complete
    assert not signed.problems


def test_gcs_v4_and_the_wrong_style() -> None:
    assert parse_signed_url(GCS, "gcs-v4").expires_in == 900
    wrong = parse_signed_url(GCS, "s3-sigv4")
    assert not wrong.complete
    assert "no X-Amz-Signature query parameter" in wrong.problems


def test_s3_query_auth_v2_reads_the_epoch_expiry() -> None:
    signed = parse_signed_url(V2, "s3-sigv4")
    assert signed.signature_param == "Signature"
    assert signed.expires_at == datetime.fromtimestamp(1425359248, tz=UTC)


def test_malformed_parameters_are_problems() -> None:
    signed = parse_signed_url(S3.replace("X-Amz-Expires=60", "X-Amz-Expires=soon"), "s3-sigv4")
    assert any("not a number" in p for p in signed.problems)
    assert not parse_signed_url("https://x/y", "s3-sigv4").complete


def test_tamper_changes_the_signature_only() -> None:
    for url, param in ((S3, "X-Amz-Signature"), (GCS, "X-Goog-Signature"), (V2, "Signature")):
        forged = tamper(url, param)
        before, after = dict(parse_qsl(urlsplit(url).query)), dict(parse_qsl(urlsplit(forged).query))
        assert before[param] != after[param]
        assert {k: v for k, v in before.items() if k != param} == {k: v for k, v in after.items() if k != param}
        assert forged.split("?")[0] == url.split("?")[0]
