"""A client generated from each spec walks create -> poll -> download URL -> bytes against the mock.

Every API call goes through the generated client's own endpoint functions and models; only the
signed URL is fetched with plain httpx, as any client would. The generator is openapi-python-client
(``generated.py``); what is checked after the fetch comes from the spec (``downloads.py``). Each
``walk_<api>`` returns the downloaded bytes; the tests run it against a healthy mock, and against a
mock with an injected fault to show the walk notices.
"""

from __future__ import annotations

import base64
import csv
import inspect
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from mockserver.testing import MockHandle, running_mock
from specs import API_NAMES, Lifecycle, load_spec
from tests.integration.conftest import ClientOf
from tests.integration.downloads import check_artifact, expect, fetch, poll_until_downloadable, resolve
from tests.integration.generated import GenerationFailed, OperationMissing, generate_client

pytestmark = pytest.mark.slow


def lifecycle_of(api: str) -> Lifecycle:
    return Lifecycle.from_spec(load_spec(api), api)


def walk_curaeai(client_of: ClientOf, mock: MockHandle) -> bytes:
    gen, lc, models = client_of("curaeai"), lifecycle_of("curaeai"), client_of("curaeai").models
    tenant = mock.provider_state("curaeai", "tenant")
    with gen.authenticated(mock.base_url("curaeai"), tenant["credentials"]["platformApiKey"]) as api:
        body = models.CreateRecordsExportRequest(connection_id=UUID(tenant["fixtures"]["connectionId"]))
        create = gen.operation("createRecordsExport")
        created = expect(create.sync_detailed(client=api, body=body, idempotency_key="generated-client-1"), 202)
        export_id = created.export.id
        get_export = gen.operation("getRecordsExport")
        resource = poll_until_downloadable(
            lc, mock, lambda: expect(get_export.sync_detailed(export_id, client=api), 200).export.to_dict()
        )
        download = expect(gen.operation("downloadRecordsExport").sync_detailed(export_id, client=api), 200)
        url = str(download.download.url)
    # check_artifact compares the bytes with the export's artifact.sha256 and artifact.byteSize.
    return check_artifact(lc, fetch(url), url, str(export_id), resource)


def walk_hookbridge(client_of: ClientOf, mock: MockHandle) -> bytes:
    gen, lc, models = client_of("hookbridge"), lifecycle_of("hookbridge"), client_of("hookbridge").models
    tenant = mock.provider_state("hookbridge", "tenant")
    start = datetime(2026, 2, 1, tzinfo=UTC)
    with gen.authenticated(mock.base_url("hookbridge"), tenant["credentials"]["apiKey"]) as api:
        body = models.CreateExportRequest(start_time=start, end_time=start + timedelta(days=5))
        export_id = expect(gen.operation("createExport").sync_detailed(client=api, body=body), 201).data.id
        get_export = gen.operation("getExport")
        resource = poll_until_downloadable(
            lc, mock, lambda: expect(get_export.sync_detailed(export_id, client=api), 200).data.to_dict()
        )
        # The generated client does not follow redirects (see generated.py): the 302 is the answer.
        redirect = gen.operation("downloadExport").sync_detailed(export_id, client=api)
        assert redirect.status_code == 302, redirect.content[:500]
        url = redirect.headers["location"]
    data = check_artifact(lc, fetch(url), url, str(export_id), resource)
    # Export schema: file_size_bytes is the file's size and row_count its rows, once completed.
    assert resource["file_size_bytes"] == len(data), (
        f"{len(data)} bytes served, file_size_bytes says {resource['file_size_bytes']}"
    )
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert resource["row_count"] == len(rows) - 1, "row_count counts the rows under the CSV header"
    return data


def walk_carevalidate(client_of: ClientOf, mock: MockHandle) -> bytes:
    gen, lc, models = client_of("carevalidate"), lifecycle_of("carevalidate"), client_of("carevalidate").models
    tenant = mock.provider_state("carevalidate", "tenant")
    api_key, fixtures = tenant["credentials"]["cvApiKey"], tenant["fixtures"]
    base_url, content = mock.base_url("carevalidate"), b"test,result\nhba1c,5.4\n"
    # sendOtp and verifyOtp are secured by cvApiKey alone: the generated client carries it as its token.
    with gen.authenticated(base_url, api_key, prefix="", header="cv-api-key") as key:
        otp = models.SendOtpRequest(email=fixtures["email"], channel=models.OtpChannel.EMAIL)
        expect(gen.operation("sendOtp").sync_detailed(client=key, body=otp), 200)
        tokens = expect(
            gen.operation("verifyOtp").sync_detailed(client=key, body=verify_otp_body(models, fixtures)), 200
        )
    # The Files operations need both schemes: the bearer token, and the key as a plain header.
    with gen.authenticated(base_url, tokens.data.access_token, headers={"cv-api-key": api_key}) as api:
        upload = models.UploadRequest(
            name="lab-result.csv",
            data=base64.b64encode(content).decode("ascii"),
            mime_type=models.UploadRequestMimeType.TEXTCSV,
            case_id=UUID(fixtures["caseId"]),
        )
        file_id = expect(gen.operation("uploadFile").sync_detailed(client=api, body=upload), 201).data.id
        get_metadata = gen.operation("getFileMetadata")
        resource = poll_until_downloadable(
            lc, mock, lambda: expect(get_metadata.sync_detailed(file_id, client=api), 200).data.to_dict()
        )
        download = expect(gen.operation("downloadFile").sync_detailed(file_id, client=api), 200).data
        url = str(download.download_url)
    data = check_artifact(lc, fetch(url), url, str(file_id), resource)
    assert download.file_name == "lab-result.csv"
    assert data == content, "the downloaded file is not the uploaded one"
    return data


def verify_otp_body(models: Any, fixtures: dict[str, Any]) -> Any:
    """The verifyOtp body: the generated model if there is one, else the JSON it would send.

    ``VerifyOtpRequest`` puts ``oneOf`` beside ``properties``; openapi-python-client then makes
    no model and types the body ``Any`` (see test_every_request_body_has_a_generated_model).
    """
    # Imported here: while the vendor module is missing this test fails (it must not skip).
    from mockserver.vendors.carevalidate import TEST_OTP

    if hasattr(models, "VerifyOtpRequest"):
        return models.VerifyOtpRequest(email=fixtures["email"], code=TEST_OTP)
    return {"email": fixtures["email"], "code": TEST_OTP}


def walk_spaaza(client_of: ClientOf, mock: MockHandle) -> bytes:
    gen, lc, models = client_of("spaaza"), lifecycle_of("spaaza"), client_of("spaaza").models
    tenant = mock.provider_state("spaaza", "tenant")
    with gen.authenticated(mock.base_url("spaaza"), tenant["credentials"]["accessToken"]) as api:
        body = models.CreateTaskRequest(
            chain=tenant["fixtures"]["chain"],
            desc="Wallet ledger export, generated client",
            target=models.ExportTarget(
                action=models.ExportTargetAction.EXPORT,
                export_index=models.ExportIndex.WALLET_LEDGER,
                export_format=models.ExportFormat.CSV,
            ),
            # createTask: a trigger time in the past makes the task due at once.
            trigger=models.TaskTrigger(once=datetime(2020, 1, 1, tzinfo=UTC)),
        )
        task_id = expect(gen.operation("createTask").sync_detailed(client=api, body=body), 201).id
        get_task = gen.operation("getTask")
        resource = poll_until_downloadable(
            lc, mock, lambda: expect(get_task.sync_detailed(task_id, client=api), 200).to_dict()
        )
        url = str(expect(gen.operation("getTaskDownloadUrl").sync_detailed(task_id, client=api), 200).url)
    data = check_artifact(lc, fetch(url), url, str(task_id), resource)
    # getTaskDownloadUrl: the file is {Index}_Export-{task_id}.{extension}, Index from x-file-prefixes.
    prefixes: dict[str, Any] = load_spec("spaaza")["components"]["schemas"]["ExportIndex"]["x-file-prefixes"]
    assert url.split("?")[0].endswith(f"/{prefixes['wallet-ledger']}_Export-{task_id}.csv"), url
    return data


def walk_webadmit(client_of: ClientOf, mock: MockHandle) -> bytes:
    gen, lc = client_of("webadmit"), lifecycle_of("webadmit")
    tenant = mock.provider_state("webadmit", "tenant")
    identity, template = tenant["fixtures"]["user_identity_id"], tenant["fixtures"]["export_id"]
    key = tenant["credentials"]["apiKey"]
    with gen.authenticated(mock.base_url("webadmit"), key, prefix="", header="x-api-key") as api:
        created = expect(gen.operation("createExportFile").sync_detailed(identity, template, client=api), 201)
        file_id = created.export_files.id
        get_file = gen.operation("getExportFile")
        resource = poll_until_downloadable(
            lc, mock, lambda: expect(get_file.sync_detailed(template, file_id, client=api), 200).export_files.to_dict()
        )
    # Member style: the URL is download_url of the status answer that said "available".
    assert lc.download.url_pointer is not None, "a member-style download names its URL member"
    url = str(resolve(resource, lc.download.url_pointer))
    return check_artifact(lc, fetch(url), url, str(file_id), resource)


WALKS = {
    "curaeai": walk_curaeai,
    "hookbridge": walk_hookbridge,
    "carevalidate": walk_carevalidate,
    "spaaza": walk_spaaza,
    "webadmit": walk_webadmit,
}


@pytest.mark.parametrize("api", list(WALKS))
def test_generated_client_downloads_the_export(api: str, generated_client: ClientOf) -> None:
    with running_mock([api]) as mock:
        data = WALKS[api](generated_client, mock)
    assert data, "the artifact is empty"


# The artifact fault changes the bytes, the file name and the media type: each API documents
# at least one of them (a checksum or size, a filename pattern, a content type).
@pytest.mark.parametrize("api", list(WALKS))
def test_walk_notices_bytes_that_are_not_the_documented_artifact(api: str, generated_client: ClientOf) -> None:
    with running_mock([api]) as mock:
        mock.set_fault(api, violation="artifact")
        with pytest.raises(AssertionError, match=r"sha256 differs|bytes served|served as|file name"):
            WALKS[api](generated_client, mock)


# A spec construct the generator silently degrades (no warning) types the body as ``Any``:
# e.g. ``oneOf`` beside ``properties`` (wrap it as ``allOf: [{oneOf: ...}]`` instead).
@pytest.mark.parametrize("api", API_NAMES)
def test_every_request_body_has_a_generated_model(api: str, generated_client: ClientOf) -> None:
    gen = generated_client(api)
    untyped = []
    for item in load_spec(api)["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                function = gen.operation(operation["operationId"]).sync_detailed
                body = inspect.signature(function, eval_str=True).parameters["body"].annotation
                if body is Any:
                    untyped.append(operation["operationId"])
    assert not untyped, f"request bodies typed Any by the generator: {untyped}"


def test_unknown_operation_is_named(generated_client: ClientOf) -> None:
    with pytest.raises(OperationMissing, match="'deleteRecordsExport'"):
        generated_client("curaeai").operation("deleteRecordsExport")


def test_spec_the_generator_cannot_use_is_reported(tmp_path: Path) -> None:
    spec = tmp_path / "broken.yaml"
    spec.write_text(
        "openapi: 3.0.3\ninfo: {title: broken, version: '1'}\npaths:\n  /things:\n    get:\n"
        "      operationId: listThings\n      responses:\n        '200':\n          description: ok\n"
        "          content:\n            application/json:\n"
        "              schema: {$ref: '#/components/schemas/Missing'}\n",
        encoding="utf-8",
    )
    with pytest.raises(GenerationFailed, match="#/components/schemas/Missing"):
        generate_client(spec, tmp_path / "out", "broken")
