"""The mock object store that serves presigned download URLs: ``/_storage/{s3|gcs}/{bucket}/{key}``.

The bucket is the API's name and the key ``{job id}/{filename}``. A request is served only if
its signature verifies for this exact object, this method and the server's clock (expiry is the
server's to judge: ``SignedUrlSigner.verify``); otherwise the provider's XML error comes back with
403. Keys with ``..``, encoded slashes or backslashes are refused before anything is looked up,
and so is a signed query parameter given twice (which value was signed would be ambiguous).

The method is part of what S3 and GCS sign, and neither lets a URL presigned for ``GET`` be used
for another method, ``HEAD`` included (S3 needs a URL presigned for ``HeadObject``): every method
is routed here so that each gets the provider's 403 ``SignatureDoesNotMatch`` rather than a
router's 405. A method other than GET/HEAD whose signature does verify (the mock never mints one)
gets 405 ``MethodNotAllowed``: this store is read-only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace

from starlette.requests import Request
from starlette.responses import Response

from mockserver.errors import StorageError
from mockserver.runtime import ApiRuntime
from mockserver.signing import STYLE_BY_PATH, SignedUrlSigner, check_key

ROUTE = "/_storage/{provider}/{bucket}/{key:path}"
METHODS = ("GET", "HEAD", "PUT", "POST", "DELETE")
READ_METHODS = ("GET", "HEAD")


def _check_raw_path(request: Request) -> None:
    raw = request.scope.get("raw_path") or request.url.path.encode()
    text = raw.decode("latin-1").lower()
    if any(marker in text for marker in ("%2f", "%5c", "\\", "/../", "/./", "%2e")):
        raise StorageError(400, "InvalidURI", "encoded slashes and dot segments are not allowed in keys")


def _check_single_auth_params(request: Request) -> None:
    names = [name for name, _ in request.query_params.multi_items() if name.lower().startswith(("x-amz-", "x-goog-"))]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise StorageError(403, "AccessDenied", f"Query-string authentication parameters given twice: {repeated}")


class ObjectStore:
    """Starlette endpoint of the mock object store."""

    def __init__(self, runtimes: Mapping[str, ApiRuntime], signer: SignedUrlSigner) -> None:
        self.runtimes = runtimes
        self.signer = signer

    async def get(self, request: Request) -> Response:
        """Serve the object's bytes if the presigned query allows this request (any of ``METHODS``)."""
        _check_raw_path(request)
        _check_single_auth_params(request)
        provider = str(request.path_params["provider"])
        bucket = str(request.path_params["bucket"])
        key = str(request.path_params["key"])
        style = STYLE_BY_PATH.get(provider)
        runtime = self.runtimes.get(bucket)
        if style is None or runtime is None:
            raise StorageError(404, "NoSuchBucket", "The specified bucket does not exist.")
        check_key(key)
        if runtime.lifecycle.download.signature != style.name:
            raise StorageError(403, "AccessDenied", f"bucket {bucket} is not served over {provider}")
        rules = runtime.rules
        now = runtime.now()
        self.signer.verify(
            style=style.name,
            bucket=bucket,
            key=key,
            query=dict(request.query_params),
            now=now,
            method=request.method,
            check_signature=rules.enforce_signature,
            check_expiry=rules.enforce_url_expiry,
        )
        if request.method not in READ_METHODS:
            raise StorageError(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
        job_id, _, filename = key.partition("/")
        job = runtime.store.get_job(bucket, job_id)
        if job is None or not runtime.downloadable(runtime.progress(job, at=now).state):
            raise StorageError(404, "NoSuchKey", "The specified key does not exist.")
        artifact = runtime.artifact(job)
        if artifact.filename != filename:
            raise StorageError(404, "NoSuchKey", "The specified key does not exist.")
        if not rules.honest_bytes:  # artifact violation: other bytes, name and type than documented
            artifact = replace(artifact, data=artifact.data + b"\n", filename=artifact.filename + ".part",
                               display_name=None, content_type="application/octet-stream")  # fmt: skip
        data = artifact.data
        headers = {
            "Content-Disposition": artifact.content_disposition,
            "ETag": '"' + hashlib.md5(data, usedforsecurity=False).hexdigest() + '"',
            "Cache-Control": "private, max-age=0",
        }
        return Response(data, 200, headers, artifact.content_type)
