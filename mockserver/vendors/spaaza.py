"""Spaaza Services API tasks: what ``specs/spaaza.yaml`` cannot say by itself.

- Tenants are chains: a privileged token ``{access_token_id}:{secret}`` (a UUID and a hex
  secret) and an integer ``chain`` each. A token acts for its own chain only: a create for
  another chain is 401 ``authentication_failed``; another chain's task is ``task_not_found``.
- ``trigger.once`` schedules the run: the task stays READY until then (a past time is due now,
  after ``mock.durations.READY``), then walks INPROGRESS and DONE (or ERROR, ``--failure-rate``).
- ``executeTask`` runs a READY or INPROGRESS task now: its trail is rewritten to end (DONE, or
  ERROR if it was going to fail) at this instant; a finished task answers its state unchanged.
- Logs: one entry per state entered after READY, paginated by ``log_limit``/``offset``.
- Download: 400 ``invalid_task_type`` for a task that is not an export (under the
  ``vendor-rules`` fault it is served like an export), 409 ``task_not_done`` before DONE,
  500 ``invalid_task_result`` for a DONE task without a valid result (provider state
  ``invalid-result``), else ``{"url"}`` of ``{Index}_Export-{id}.{csv|json}``, the prefix read
  from ``x-file-prefixes`` of the spec's ``ExportIndex``.
- Errors: ``{"result": {"code": 2, "status": "error"}, "error": {"code", "name", "description"}}``
  with the HTTP status as the numeric code; every 404 (a non-numeric id is an unknown route)
  is ``task_not_found`` with the one documented text, so a foreign task answers like a missing one.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from starlette.responses import Response

from mockserver.artifacts import ArtifactFile, csv_bytes, json_bytes
from mockserver.clock import rfc3339
from mockserver.errors import ConfigError, VendorError
from mockserver.lifecycle import LifecycleEngine, Progress, Trail
from mockserver.runtime import ApiRuntime
from mockserver.store import Job
from mockserver.vendors import TENANT_NAMES, Call, Derive, Handler, Tenant, Vendor
from specs import Lifecycle, load_spec

EXPORT = "export"
INVALID_RESULT = "_invalid_result"  # attrs flag of the ``invalid-result`` provider state
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
CONTENT_TYPES = {"csv": "text/csv", "json": "application/json"}
LOG_MESSAGES = {"INPROGRESS": "export started", "DONE": "export finished", "ERROR": "export failed"}
COLUMNS: Mapping[str, tuple[str, ...]] = {
    "transactions": ("transaction_id", "chain_id", "user_id", "branch_id", "total_value", "currency", "timestamp"),
    "users": ("user_id", "chain_id", "member_number", "first_name", "last_name", "opt_in", "joined_date"),
    "vouchers": ("voucher_id", "chain_id", "user_id", "campaign_id", "value", "status", "created_date"),
    "wallet-ledger": ("entry_id", "chain_id", "user_id", "wallet_id", "amount", "entry_type", "timestamp"),
    "products": ("product_id", "chain_id", "name", "category", "price", "currency", "active"),
    "product-variants": ("variant_id", "product_id", "chain_id", "sku", "barcode", "size", "price"),
    "rewards": ("reward_id", "chain_id", "user_id", "campaign_id", "value", "status", "timestamp"),
}
NAMES = ("Anna", "Bram", "Chloe", "Daan", "Eva", "Finn", "Lotte", "Milan", "Noor", "Sem")
WORDS = ("Classic", "Organic", "Urban", "Sport", "Eco", "Deluxe", "Mini", "Basic")


def file_prefixes(spec: Mapping[str, Any]) -> dict[str, str]:
    """``x-file-prefixes`` of ``ExportIndex``: export index -> ``{Index}`` of the file name."""
    schema = spec.get("components", {}).get("schemas", {}).get("ExportIndex", {})
    prefixes = schema.get("x-file-prefixes")
    if not isinstance(prefixes, Mapping) or set(prefixes) != set(schema.get("enum") or ()):
        raise ConfigError("spec", "spaaza: ExportIndex needs x-file-prefixes naming every index of its enum")
    return {str(k): str(v) for k, v in prefixes.items()}


def parse_trigger(text: Any) -> float:
    """``trigger.once`` (RFC 3339) as epoch seconds; 400 ``invalid_parameters`` otherwise."""
    if not isinstance(text, str) or not RFC3339.fullmatch(text):
        raise VendorError(400, "invalid_parameters", f"trigger.once: {text!r} is not an RFC 3339 date-time")
    normal = text.upper().replace("Z", "+00:00")
    normal = normal[:17] + "59" + normal[19:] if normal[17:19] == "60" else normal  # a leap second
    try:
        return datetime.fromisoformat(normal).timestamp()
    except ValueError:
        raise VendorError(400, "invalid_parameters", f"trigger.once: {text!r} is not a valid date-time") from None


def delay_to_trigger(trail: Trail, trigger: float) -> Trail:
    """The trail with every step after the first moved so the run starts no earlier than ``trigger``."""
    if len(trail) < 2 or trigger <= trail[1][1]:
        return trail
    shift = trigger - trail[1][1]
    return (trail[0], *((state, at + shift) for state, at in trail[1:]))


def run_now(lifecycle: Lifecycle, trail: Trail, now: float) -> Trail:
    """The trail of a task executed at ``now``: steps already taken, then the run, ending now.

    A task that was going to fail ends in ``failed``; any other ends in the ready state. A task
    already in a terminal state is left as it is.
    """
    progress = LifecycleEngine.progress(trail, now)
    if progress.state in lifecycle.terminal:
        return trail
    ending = lifecycle.failed if trail[-1][0] == lifecycle.failed else lifecycle.ready
    taken = [(state, at) for state, at in trail if at <= now]
    running = lifecycle.path[1]  # the state of a task that has started
    if running not in progress.entered:
        taken.append((running, now))
    return (*taken, (str(ending), now))


def _row(index: str, n: int, chain: int, rng: random.Random, when: str) -> list[Any]:
    """Row ``n`` of ``COLUMNS[index]`` for one chain, ids and amounts from ``rng``."""
    uid, key, money = rng.randrange(10_000, 99_999), rng.randrange(100_000, 999_999), round(rng.uniform(1, 250), 2)
    match index:
        case "transactions":
            return [key, chain, uid, rng.randrange(1, 40), money, "EUR", when]
        case "users":
            return [uid, chain, f"M{key}", rng.choice(NAMES), rng.choice(NAMES) + "sen", rng.random() < 0.6, when]
        case "vouchers":
            return [key, chain, uid, rng.randrange(100, 999), money, rng.choice(("claimed", "redeemed")), when]
        case "wallet-ledger":
            return [key, chain, uid, uid * 10 + 1, money * rng.choice((1, -1)), "purchase", when]
        case "products":
            return [key, chain, f"{rng.choice(WORDS)} item {n}", rng.choice(WORDS).lower(), money, "EUR", True]
        case "product-variants":
            return [key, uid, chain, f"SKU-{key}-{n}", f"87{rng.randrange(10**10):010d}", "M", money]
    return [key, chain, uid, rng.randrange(100, 999), money, "issued", when]  # rewards


class Spaaza(Vendor):
    """The Spaaza vendor module."""

    name = "spaaza"
    GENERIC_CODES = {
        400: "invalid_parameters",
        401: "authentication_failed",
        403: "forbidden",
        404: "task_not_found",
        405: "method_not_allowed",
        406: "not_acceptable",
        409: "task_not_done",
        415: "unsupported_media_type",
        429: "rate_limited",
        500: "internal_error",
        501: "not_implemented",
    }
    MESSAGES = {  # the fixed texts of docs.spaaza.com/api/tasks/download_url
        "task_not_found": "No task exists with the specified ID for this chain.",
        "authentication_failed": "No valid authentication provided or insufficient permissions.",
        "task_not_done": "task status is not DONE",
        "invalid_task_type": "invalid task type: only export tasks actions are allowed",
        "invalid_task_result": "the task completed successfully, but contains an invalid result",
    }

    def tenants(self, derive: Derive) -> Sequence[Tenant]:
        def chain(index: int, name: str) -> int:  # primary 1000..4999, secondary 5000..8999: never equal
            return 1000 + 4000 * index + int.from_bytes(derive.digest(f"chain:{name}")[:4], "big") % 4000

        return [
            Tenant(
                name,
                {"accessToken": f"{derive.uuid(f'token:{name}')}:{derive.token('', f'secret:{name}', 40)}"},
                {"chain": chain(index, name)},
            )
            for index, name in enumerate(TENANT_NAMES)
        ]

    def authenticate(self, api: ApiRuntime, scheme: str, value: str) -> Tenant | None:
        token_id, colon, secret = value.partition(":")
        if not (colon and token_id and secret):
            return None  # not ``{access_token_id}:{secret}``
        return api.tenant_by_credential(scheme, value)

    def error_code(self, status: int) -> str:
        return self.GENERIC_CODES.get(status, "error" if status < 500 else "internal_error")

    def error_body(self, error: VendorError, *, request_id: str, path: str) -> Any:
        return {
            "result": {"code": 2, "status": "error"},
            "error": {"code": error.status, "name": error.code, "description": self.message(error.code, error.message)},
        }

    def sample_attrs(self, tenant: Tenant) -> dict[str, Any]:
        return {
            "chain": tenant.fixtures["chain"],
            "desc": "Transaction export",
            "target": {"action": EXPORT, "export_index": "transactions", "export_format": "csv"},
            "trigger": {"once": "2026-01-01T00:00:00Z"},
        }

    def provider_state(self, api: ApiRuntime, state: str, params: Mapping[str, Any]) -> dict[str, Any] | None:
        tenant = api.tenant(str(params.get("tenant", "primary")))
        attrs = self.sample_attrs(tenant)
        if state == "non-export":
            campaign = 1 + int.from_bytes(api.derive.digest(f"campaign:{tenant.name}")[:3], "big")
            attrs.update(
                desc="Scheduled campaign rewards", target={"action": "bulk issue rewards", "campaign": campaign}
            )
        elif state == "invalid-result":
            attrs[INVALID_RESULT] = True
        else:
            return None
        job = api.create_job(tenant, attrs, state=api.lifecycle.ready)
        return {"id": job.id, "params": api.path_params(job)}

    def artifact(self, job: Job, rng: random.Random) -> ArtifactFile:
        target = job.attrs.get("target") or {}
        index = str(target.get("export_index", "rewards"))
        fmt = str(target.get("export_format", "csv"))
        prefix = file_prefixes(load_spec(job.api)).get(index, "Reward")  # a non-export task: no index
        chain = int(job.attrs.get("chain", 0))
        count = rng.randint(5, 25)
        rows = [_row(index, n, chain, rng, rfc3339(job.created - 3600 * n)) for n in range(1, count + 1)]
        columns = COLUMNS[index]
        data = (
            csv_bytes(columns, rows) if fmt == "csv" else json_bytes([dict(zip(columns, r, strict=True)) for r in rows])
        )
        return ArtifactFile(data, CONTENT_TYPES[fmt], f"{prefix}_Export-{job.id}.{fmt}")

    def state_object(self, api: ApiRuntime, job: Job, progress: Progress) -> dict[str, Any]:
        """The spec's ``TaskStateObject`` of ``job`` as ``progress`` shows it."""
        lc = api.lifecycle
        ran = progress.at(lc.path[1])
        if ran is None and progress.state == lc.failed:
            ran = progress.at(lc.failed)  # failed before it started: that attempt was its run
        return {
            "code": progress.state,
            "last_run_date": None if ran is None else rfc3339(ran),
            "last_modified": rfc3339(max(progress.entered.values(), default=job.created)),
            "created_date": rfc3339(job.created),
        }

    def render(self, api: ApiRuntime, job: Job, progress: Progress, *, limit: int = 10, offset: int = 0) -> Any:
        """The spec's ``Task`` of ``job``, with one page of its logs."""
        entered = sorted(progress.entered.items(), key=lambda step: step[1])
        logs = [{"date": rfc3339(at), "message": LOG_MESSAGES[s]} for s, at in entered if s in LOG_MESSAGES]
        if logs and job.attrs.get(INVALID_RESULT) and progress.state == api.lifecycle.ready:
            logs[-1]["message"] = "export finished without a result file"
        return {
            "id": int(job.id),
            **{k: job.attrs[k] for k in ("chain", "desc") if k in job.attrs},
            "state": self.state_object(api, job, progress),
            "trigger": job.attrs.get("trigger"),
            "target": job.attrs.get("target"),
            "logs": logs[offset : offset + limit],
            "debug": job.attrs.get("debug", ""),
            "version": len(entered),
        }

    def operations(self, api: ApiRuntime) -> Mapping[str, Handler]:
        file_prefixes(api.spec)  # fail at start-up, not at the first download, if the spec lacks them

        async def create(call: Call) -> Response:
            body = call.body if isinstance(call.body, Mapping) else {}
            try:
                json.dumps(body, ensure_ascii=False).encode()
            except UnicodeEncodeError:
                raise VendorError(400, "invalid_parameters", "the body holds text that is not Unicode") from None
            if body.get("chain") != call.tenant.fixtures["chain"] and api.rules.check_credentials:
                raise VendorError(401, "authentication_failed", f"the token may not act for chain {body.get('chain')}")
            trigger = parse_trigger((body.get("trigger") or {}).get("once"))
            attrs = {k: body[k] for k in ("chain", "desc", "target", "trigger", "debug") if k in body}
            job = api.create_job(call.tenant, attrs)
            job = replace(job, trail=delay_to_trigger(job.trail, trigger))
            api.store.put_job(job)
            return api.json(call, self.render(api, job, api.progress(job)), 201)

        async def get(call: Call) -> Response:
            job = api.find_job(call.tenant, str(call.params["id"]))
            page = {"limit": int(call.params.get("log_limit", 10)), "offset": int(call.params.get("offset", 0))}
            return api.json(call, self.render(api, job, api.progress(job), **page))

        async def execute(call: Call) -> Response:
            job = api.find_job(call.tenant, str(call.params["id"]))
            now = api.now()
            trail = run_now(api.lifecycle, job.trail, now)
            if trail != job.trail:
                job = replace(job, trail=trail)
                api.store.put_job(job)
            return api.json(call, self.state_object(api, job, api.engine.progress(job.trail, now)))

        async def download(call: Call) -> Response:
            job = api.find_job(call.tenant, str(call.params["id"]))
            if (job.attrs.get("target") or {}).get("action") != EXPORT and api.rules.vendor_rules:
                raise VendorError(400, "invalid_task_type", "the task is not an export task")
            progress = api.progress(job)
            if job.attrs.get(INVALID_RESULT) and api.downloadable(progress.state):
                raise VendorError(500, "invalid_task_result", "the task has no result file")
            grant = api.grant_download(call, job, progress)
            assert grant is not None  # json style: never an "absent" refusal
            return api.json(call, {"url": grant.url})

        return {"createTask": create, "getTask": get, "executeTask": execute, "getTaskDownloadUrl": download}


VENDOR = Spaaza()
