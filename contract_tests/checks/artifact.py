"""``artifact``: the URL really downloads, and the bytes, type and name are the documented ones."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from email.message import Message
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from contract_tests import pointers
from contract_tests.checks.base import Check, Probe
from contract_tests.checks.downloads import ready_url
from contract_tests.client import Exchange
from contract_tests.results import Severity
from contract_tests.session import Session

_PLACEHOLDER = re.compile(r"\{(id|/[^}]*)\}")


def filename_pattern(template: str, job_id: str, resource: Any) -> re.Pattern[str]:
    """The spec's filename regex with ``{id}`` and ``{/pointer}`` replaced by escaped values."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "id":
            return re.escape(job_id)
        found = pointers.get(resource, name)
        return re.escape("" if found is pointers.MISSING or found is None else str(found))

    return re.compile(_PLACEHOLDER.sub(value, template))


def served_filename(exchange: Exchange, url: str) -> tuple[str | None, str]:
    """(filename, where it came from): Content-Disposition, the URL's override, else the URL path."""
    for source, header in (
        ("Content-Disposition", exchange.headers.get("content-disposition")),
        ("response-content-disposition", dict(parse_qsl(urlsplit(url).query)).get("response-content-disposition")),
    ):
        if header:
            message = Message()
            message["content-disposition"] = header
            name = message.get_filename()
            if name:
                return name, source
    last = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    return (last or None), "the URL path"


def _digest_matches(declared: str, body: bytes) -> bool:
    digest = hashlib.sha256(body).digest()
    if declared.lower() == digest.hex():
        return True
    try:  # some stores publish the checksum base64-encoded (S3's x-amz-checksum-sha256 does)
        return base64.b64decode(declared, validate=True) == digest
    except (binascii.Error, ValueError):
        return False


def check_artifact(session: Session, probe: Probe) -> None:
    """Fetch the artifact through the signed URL (no API credentials) and compare it with the job."""
    lc = session.lifecycle
    job, answer = ready_url(session)
    url = answer.url or ""
    poll = session.poll(job)
    resource = poll.resource if poll.resource is not None else answer.resource
    fetched = session.client.request("GET", url, follow_redirects=3)
    probe.case()
    if fetched.error or fetched.status != 200:
        raise probe.stop(
            "the download URL does not download",
            expected="HTTP 200 with the artifact",
            observed=fetched.describe(),
            exchange=fetched,
        )
    body = fetched.body
    art = lc.artifact
    if art.sha256_pointer:
        declared = pointers.get(resource, art.sha256_pointer)
        if not isinstance(declared, str):
            probe.notes.append(f"no sha256 at {art.sha256_pointer} in the ready job")
        elif fetched.truncated:
            probe.notes.append("the artifact is larger than the body cap; its checksum was not verified")
        elif not _digest_matches(declared, body):
            probe.fail(
                "the downloaded bytes do not match the job's sha256",
                expected=f"sha256 {declared}",
                observed=f"sha256 {hashlib.sha256(body).hexdigest()} of {len(body)} bytes",
                exchange=fetched,
                clause="x-lifecycle.artifact.sha256Pointer",
            )
    if art.byte_size_pointer:
        declared_size = pointers.get(resource, art.byte_size_pointer)
        size = int(fetched.headers.get("content-length", len(body))) if fetched.truncated else len(body)
        try:
            expected_size = int(str(declared_size))
        except ValueError:
            probe.notes.append(f"no usable byte size at {art.byte_size_pointer} ({declared_size!r})")
        else:
            if expected_size != size:
                probe.fail(
                    "the downloaded size does not match the job's byte size",
                    expected=f"{expected_size} bytes",
                    observed=f"{size} bytes",
                    exchange=fetched,
                    clause="x-lifecycle.artifact.byteSizePointer",
                )
    dl = lc.download
    if dl.content_type and fetched.media_type != dl.content_type.lower():
        probe.fail(
            "the artifact is served with another content type",
            expected=dl.content_type,
            observed=fetched.headers.get("content-type", "(no Content-Type)"),
            exchange=fetched,
            clause="x-lifecycle.download.contentType",
        )
    if dl.filename:
        name, source = served_filename(fetched, url)
        pattern = filename_pattern(dl.filename, job.id, resource)
        if name is None or not pattern.fullmatch(name):
            probe.fail(
                "the artifact's file name is not the documented one",
                expected=f"a name fully matching {pattern.pattern}",
                observed=f"{name!r} (from {source})",
                exchange=fetched,
                clause="x-lifecycle.download.filename",
            )


ARTIFACT = Check(
    id="artifact",
    title="The URL downloads the artifact, with the documented checksum, size, type and name",
    severity=Severity.HIGH,
    clause="x-lifecycle.artifact, x-lifecycle.download (contentType, filename)",
    run=check_artifact,
)

__all__ = ["ARTIFACT", "check_artifact", "filename_pattern", "served_filename"]
