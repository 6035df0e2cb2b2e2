"""The spec-driven half of a generated-client run: poll to the downloadable state, fetch, check.

The API-specific half (which generated method creates, reads and downloads) lives in the tests;
everything here is read from the spec's ``x-lifecycle``: the state pointer, the downloadable and
terminal states, the artifact's checksum and size pointers, its content type and file name.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Mapping
from email.message import Message
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx

from mockserver.testing import MockHandle
from specs import Lifecycle

# Virtual seconds the mock's clock moves between two polls; the mock's durations are whole seconds.
STEP_SECONDS = 1.0
FETCH_TIMEOUT = 30.0
_PLACEHOLDER = re.compile(r"\{(id|/[^}]*)\}")


def expect(response: Any, status: int) -> Any:
    """The parsed body of a generated client's ``Response``, after checking its HTTP status."""
    assert response.status_code == status, (
        f"expected HTTP {status}, got {int(response.status_code)}: {response.content[:500]!r}"
    )
    assert response.parsed is not None, f"the generated client parsed nothing from {response.content[:500]!r}"
    return response.parsed


def resolve(document: Any, pointer: str) -> Any:
    """The value at an RFC 6901 JSON pointer; ``KeyError`` naming the pointer when it is absent."""
    value = document
    for raw in pointer.split("/")[1:] if pointer else ():
        token = raw.replace("~1", "/").replace("~0", "~")
        try:
            value = value[int(token)] if isinstance(value, list) else value[token]
        except (KeyError, IndexError, ValueError, TypeError):
            raise KeyError(f"{pointer!r} is not in {document!r}") from None
    return value


def state_of(lifecycle: Lifecycle, resource: Mapping[str, Any]) -> str:
    """The job's state; where the API exposes none, a readable resource is in the ready state."""
    if lifecycle.state_pointer is None:
        return lifecycle.ready
    return str(resolve(resource, lifecycle.state_pointer))


def poll_until_downloadable(
    lifecycle: Lifecycle, mock: MockHandle, read: Callable[[], Mapping[str, Any]]
) -> Mapping[str, Any]:
    """Read the job (``read`` returns its resource as JSON data) until it is downloadable.

    Between two reads the mock's clock is advanced by ``STEP_SECONDS`` instead of sleeping; the
    number of reads is bounded by the spec's mock durations. Fails on a terminal state that is not
    downloadable and on a move the spec's transitions do not allow.
    """
    steps = math.ceil(sum(lifecycle.durations.values()) / STEP_SECONDS) + 3
    seen: list[str] = []
    for _ in range(steps):
        resource = read()
        state = state_of(lifecycle, resource)
        assert not seen or lifecycle.allows(seen[-1], state), f"{seen[-1]} -> {state} is not a transition of the spec"
        seen.append(state)
        if state in lifecycle.downloadable:
            return resource
        assert state not in lifecycle.terminal, f"the {lifecycle.resource} ended in {state}; states seen: {seen}"
        mock.advance(STEP_SECONDS)
    raise AssertionError(f"not downloadable after {steps} reads of {STEP_SECONDS:g} s each; states seen: {seen}")


def fetch(url: str) -> httpx.Response:
    """GET a signed URL as a browser would: no API credentials, no redirects followed."""
    parts = urlsplit(url)
    assert parts.scheme in ("http", "https"), f"the download URL is not an http(s) URL: {url!r}"
    assert parts.netloc, f"the download URL is not absolute: {url!r}"
    with httpx.Client(timeout=FETCH_TIMEOUT, follow_redirects=False) as http:
        response = http.get(url)
    assert response.status_code == 200, f"GET {url} -> {response.status_code}: {response.text[:500]!r}"
    return response


def served_filename(response: httpx.Response, url: str) -> str:
    """The Content-Disposition filename, else the last segment of the URL's path."""
    header = response.headers.get("content-disposition")
    if header:
        message = Message()
        message["content-disposition"] = header
        name = message.get_filename()
        if name:
            return name
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1])


def filename_pattern(template: str, job_id: str, resource: Mapping[str, Any]) -> re.Pattern[str]:
    """The spec's filename regex with ``{id}`` and ``{/pointer}`` (a resource member) filled in."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return re.escape(job_id if name == "id" else str(resolve(resource, name)))

    return re.compile(_PLACEHOLDER.sub(value, template))


def check_artifact(
    lifecycle: Lifecycle, response: httpx.Response, url: str, job_id: str, resource: Mapping[str, Any]
) -> bytes:
    """Check the fetched artifact against what the spec documents; returns its bytes."""
    body = response.content
    artifact = lifecycle.artifact
    if artifact.sha256_pointer:
        declared = str(resolve(resource, artifact.sha256_pointer))
        assert hashlib.sha256(body).hexdigest() == declared.lower(), f"sha256 differs from {declared}"
    if artifact.byte_size_pointer:
        declared_size = int(str(resolve(resource, artifact.byte_size_pointer)))
        assert len(body) == declared_size, f"{len(body)} bytes served, {declared_size} declared"
    download = lifecycle.download
    if download.content_type:
        media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        assert media_type == download.content_type.lower(), f"served as {media_type!r}"
    if download.filename:
        name = served_filename(response, url)
        pattern = filename_pattern(download.filename, job_id, resource)
        assert pattern.fullmatch(name), f"file name {name!r} does not match {pattern.pattern!r}"
    return body
