"""The app factory: one Connexion ``AsyncApp`` serving every API under ``/<api>``.

    >>> from mockserver import create_app, MemoryStore, VirtualClock, SignedUrlSigner
    >>> app = create_app(["curaeai"], store=MemoryStore(), clock=VirtualClock(),
    ...                  signer=SignedUrlSigner("secret"))                      # doctest: +SKIP

Connexion does routing, security (with the vendor's credentials) and request validation from
each spec; the vendor module answers the operations; ``/_control`` and ``/_storage`` are plain
routes of the same app; one error handler renders every error in the envelope of its path.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import logging
import warnings
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

with warnings.catch_warnings():
    # connexion 3.3 warns on import (starlette.testclient with httpx, jsonschema.RefResolver): not ours to fix.
    warnings.simplefilter("ignore")
    import connexion
from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionResponse
from connexion.middleware import ConnexionMiddleware, MiddlewarePosition
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver
from connexion.security import ApiKeySecurityHandler, BearerSecurityHandler
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from mockserver.clock import Clock
from mockserver.control import ControlPlane, base_url_of, restore_clock
from mockserver.envelopes import ErrorRenderer, request_id_for
from mockserver.errors import ConfigError, VendorError
from mockserver.fastpath import FastPath, tenant_for_credential
from mockserver.faults import FaultBook
from mockserver.limits import OperationIndex, RequestLimitMiddleware, RequestLimits
from mockserver.runtime import ApiRuntime
from mockserver.signing import SignedUrlSigner
from mockserver.storage import METHODS as STORAGE_METHODS
from mockserver.storage import ROUTE as STORAGE_ROUTE
from mockserver.storage import ObjectStore
from mockserver.store import Store
from mockserver.vendors import Call, Handler, Tenant, Vendor, load_vendor
from specs import API_NAMES, load_spec, spec_path

Endpoint = Callable[..., Awaitable[Response]]

# Connexion logs the records below at ERROR because the mock's endpoints take **kwargs.
PARAMETER_LOGGER = "connexion.decorators.parameter"


class IgnoredQueryParameterFilter(logging.Filter):
    """Drops Connexion's error for a query parameter the spec does not declare.

    Such a parameter is ignored, as the vendors ignore it; fuzzers send many, and each one printed
    "Function argument ... not defined in specification" on the console of ``serve`` and ``run``.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Function argument '%s' (non-sanitized: %s) not defined")


def _ignore_undeclared_query_parameters() -> None:
    logger = logging.getLogger(PARAMETER_LOGGER)
    if not any(isinstance(f, IgnoredQueryParameterFilter) for f in logger.filters):  # once per process
        logger.addFilter(IgnoredQueryParameterFilter())


@dataclass
class MockServer:
    """A built app and the services behind it (the CLI prints credentials from ``runtimes``)."""

    app: Any  # connexion.AsyncApp (untyped)
    runtimes: Mapping[str, ApiRuntime]
    store: Store
    clock: Clock
    signer: SignedUrlSigner
    faults: FaultBook


def available_apis() -> list[str]:
    """APIs that have both a spec file and a vendor module."""
    return [name for name in API_NAMES if spec_path(name).exists() and load_vendor(name) is not None]


def build_server(
    apis: Sequence[str] | None = None,
    *,
    store: Store,
    clock: Clock,
    signer: SignedUrlSigner,
    seed: int = 0,
    failure_rate: float = 0.0,
    validate_responses: bool = False,
    vendors: Mapping[str, Vendor] | None = None,
    specs: Mapping[str, Mapping[str, Any] | Path] | None = None,
    rate_limits: bool = False,
    limits: RequestLimits | None = None,
    fast_path: bool = True,
) -> MockServer:
    """Build the app and keep hold of its parts; ``create_app`` returns only the app.

    ``vendors`` and ``specs`` replace the registry and ``specs/`` (tests serve fixture APIs).
    ``fast_path=False`` sends every request through Connexion (``mockserver.fastpath``).
    """
    names = list(apis) if apis is not None else (list(vendors) if vendors else available_apis())
    if not names:
        raise ConfigError("api", "no API to serve: no spec in specs/ has a vendor module yet")
    if len(set(names)) != len(names):
        raise ConfigError("api", f"an API is named twice: {names}")
    _ignore_undeclared_query_parameters()
    faults = FaultBook(seed)
    restore_clock(store, clock)
    runtimes: dict[str, ApiRuntime] = {}
    for name in names:
        vendor = (vendors or {}).get(name) or (load_vendor(name) if name in API_NAMES else None)
        if vendor is None:
            raise ConfigError("api", f"no vendor module for {name!r}; available: {available_apis()}")
        spec = _spec_for(name, specs)
        runtimes[name] = ApiRuntime(
            name, spec, vendor, store=store, clock=clock, signer=signer, faults=faults, seed=seed,
            failure_rate=failure_rate, rate_limits=rate_limits,
        )  # fmt: skip

    renderer = ErrorRenderer(runtimes)
    limits = limits or RequestLimits()
    objects = ObjectStore(runtimes, signer)

    async def on_error(request: Any, exc: Exception) -> ConnexionResponse:
        starlette_request = getattr(request, "_starlette_request", request)
        response = await renderer.handle(starlette_request, exc)
        headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-type", "content-length")}
        return ConnexionResponse(
            status_code=response.status_code, mimetype=response.media_type, body=response.body, headers=headers
        )

    async def fast_error(request: Request, exc: Exception) -> Response:
        # the same answer Connexion builds from on_error's ConnexionResponse
        answer = await on_error(request, exc)
        return Response(answer.body, answer.status_code, answer.headers, answer.mimetype)

    middlewares: list[Any] = list(ConnexionMiddleware.default_middlewares)
    if fast_path and not validate_responses:
        # Outermost, before even Connexion's server-error middleware (whose send wrapper cost ~6 % of
        # a fast answer): it passes on anything over the header limit, and anything it cannot answer.
        fast = functools.partial(
            FastPath, runtimes=runtimes, objects=objects, on_error=fast_error, header_bytes=limits.header_bytes
        )
        middlewares.insert(0, fast)
    app = connexion.AsyncApp(__name__, middlewares=middlewares)
    for name, runtime in runtimes.items():
        app.add_api(
            copy.deepcopy(dict(runtime.spec)),  # Connexion resolves $refs in place; the loaded spec is shared
            base_path=f"/{name}",
            name=name,
            resolver=Resolver(function_resolver=lambda op_id, rt=runtime: _endpoint(rt, op_id)),
            security_map=_security_map(runtime),
            validate_responses=validate_responses,
            swagger_ui_options=SwaggerUIOptions(swagger_ui=True),
        )
    control = ControlPlane(runtimes, store=store, clock=clock, faults=faults)
    for route, view, methods in control.routes():
        app.add_url_rule(route, endpoint=route, view_func=view, methods=methods)
    app.add_url_rule(STORAGE_ROUTE, endpoint="storage", view_func=objects.get, methods=list(STORAGE_METHODS))

    app.add_middleware(
        RequestLimitMiddleware,
        position=MiddlewarePosition.BEFORE_EXCEPTION,  # refusals are rendered by the middleware itself
        limits=limits,
        index=OperationIndex({name: runtime.spec for name, runtime in runtimes.items()}),
        renderer=renderer,
    )

    for exc_type in (ProblemException, HTTPException, UnicodeDecodeError, Exception):
        app.add_error_handler(exc_type, on_error)
    return MockServer(app, runtimes, store, clock, signer, faults)


def create_app(
    apis: Sequence[str] | None = None,
    *,
    store: Store,
    clock: Clock,
    signer: SignedUrlSigner,
    seed: int = 0,
    failure_rate: float = 0.0,
    validate_responses: bool = False,
    vendors: Mapping[str, Vendor] | None = None,
    specs: Mapping[str, Mapping[str, Any] | Path] | None = None,
    rate_limits: bool = False,
    limits: RequestLimits | None = None,
    fast_path: bool = True,
) -> Any:
    """One ``connexion.AsyncApp`` serving ``apis`` (default: every spec with a vendor module).

    Args:
        apis: API names (``"curaeai"``...); each is served under ``/<name>`` with Swagger UI at
            ``/<name>/ui/``.
        store, clock, signer: the injected services (``MemoryStore``/``SqliteStore``,
            ``VirtualClock``, ``SignedUrlSigner``).
        seed: makes credentials, fixtures, ids and artifacts reproducible.
        failure_rate: share of new jobs that fail (seeded); 0 by default.
        validate_responses: let Connexion validate every response against the spec.
        rate_limits: refuse calls over a documented quota with 429 (hookbridge 1000 a minute per
            project, webadmit 5000 an hour per key, on the mock clock); off by default.
        limits: header, body and body-time limits (``mockserver.limits.RequestLimits()`` by default).
        fast_path: answer the hot reads without Connexion's per-request machinery, with the same
            answers (``mockserver.fastpath``); ``False`` sends every request through Connexion.
    """
    return build_server(
        apis, store=store, clock=clock, signer=signer, seed=seed, failure_rate=failure_rate,
        validate_responses=validate_responses, vendors=vendors, specs=specs, rate_limits=rate_limits,
        limits=limits, fast_path=fast_path,
    ).app  # fmt: skip


def _spec_for(name: str, specs: Mapping[str, Mapping[str, Any] | Path] | None) -> Mapping[str, Any]:
    given = (specs or {}).get(name)
    if isinstance(given, Mapping):
        return given
    if given is not None:
        return load_spec(given)
    if name not in API_NAMES or not spec_path(name).exists():
        raise ConfigError("api", f"no spec for {name!r} (expected specs/{name}.yaml)")
    return load_spec(name)


def _tenant_of(token_info: Any, runtime: ApiRuntime) -> Tenant:
    """The tenant Connexion's security resolved (one scheme, or all of an AND of schemes)."""
    if isinstance(token_info, Mapping):
        if "tenant" in token_info:
            return runtime.tenant(str(token_info["tenant"]))
        names = {str(v["tenant"]) for v in token_info.values() if isinstance(v, Mapping) and "tenant" in v}
        if len(names) == 1:
            return runtime.tenant(names.pop())
    raise VendorError(401, runtime.vendor.error_code(401), "the credentials do not belong to one account")


def _endpoint(runtime: ApiRuntime, operation_id: str) -> Endpoint:
    handler: Handler | None = runtime.handlers.get(operation_id)
    header = runtime.lifecycle.errors.request_id_header

    async def endpoint(**kwargs: Any) -> Response:
        request = Request(
            connexion.context.scope._get_current_object(), connexion.context.receive._get_current_object()
        )
        kwargs.pop("user", None)
        tenant = _tenant_of(kwargs.pop("token_info", None), runtime)
        body = kwargs.pop("body", None)
        request_id = request_id_for(request, runtime)
        fault = runtime.faults.get(runtime.name)
        if fault.latency_ms:
            await asyncio.sleep(fault.latency_ms / 1000)
        if runtime.faults.roll_error(runtime.name):
            raise VendorError(500, runtime.vendor.error_code(500), "injected error (fault errorRate)")
        if handler is None:
            raise VendorError(501, runtime.vendor.error_code(501), f"{operation_id} is not implemented by the mock")
        call = Call(request, tenant, kwargs, body, request_id, base_url_of(request))
        response = await handler(call)
        if header:
            response.headers[header] = request_id
        return response

    endpoint.__name__ = operation_id
    return endpoint


def _security_map(runtime: ApiRuntime) -> dict[str, type]:
    """Connexion security handlers that check credentials against the vendor's tenants."""
    schemes: Mapping[str, Any] = (runtime.spec.get("components") or {}).get("securitySchemes") or {}

    def info_function(scheme: Mapping[str, Any]) -> Callable[[str], dict[str, str] | None]:
        name = next((n for n, s in schemes.items() if s == scheme), "")

        def check(value: str) -> dict[str, str] | None:
            tenant = tenant_for_credential(runtime, name, value)
            return None if tenant is None else {"sub": tenant.name, "tenant": tenant.name}

        return check

    class Bearer(BearerSecurityHandler):  # type: ignore[misc]
        def _resolve_func(self, security_scheme: Mapping[str, Any]) -> Callable[[str], dict[str, str] | None]:
            return info_function(security_scheme)

    class ApiKey(ApiKeySecurityHandler):  # type: ignore[misc]
        def _resolve_func(self, security_scheme: Mapping[str, Any]) -> Callable[[str], dict[str, str] | None]:
            return info_function(security_scheme)

    return {"bearer": Bearer, "apiKey": ApiKey}
