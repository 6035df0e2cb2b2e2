"""Command line of the mock: ``python -m mockserver`` (and ``exportkit serve``, which reuses
``add_serve_arguments`` and ``serve_from_args``).

    python -m mockserver --port 8080 --api curaeai --store sqlite:/tmp/mock.db --time-scale 10
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import socket
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import uvicorn

from mockserver.app import MockServer, build_server
from mockserver.clock import VirtualClock
from mockserver.errors import MockError
from mockserver.eventloop import loop_factory_name
from mockserver.signing import SignedUrlSigner
from mockserver.store import open_store

SECRET_ENV = "EXPORTKIT_SIGNING_SECRET"


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the mock's serve options to ``parser``."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to bind; 0 picks a free one (default 8080)")
    parser.add_argument(
        "--api", action="append", dest="apis", metavar="NAME", help="serve only this API (repeatable; default all)"
    )
    parser.add_argument("--store", default="memory", help="memory (default) or sqlite:PATH (survives restarts)")
    parser.add_argument(
        "--time-scale", type=float, default=1.0, help="divide lifecycle durations by this (default 1: real time)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of credentials, ids and artifacts (default 0)")
    parser.add_argument(
        "--signing-secret",
        default=os.environ.get(SECRET_ENV),
        help=f"secret of the signed download URLs (default ${SECRET_ENV}, else a random one)",
    )
    parser.add_argument("--failure-rate", type=float, default=0.0, help="share of new jobs that fail (default 0)")
    parser.add_argument(
        "--validate-responses", action="store_true", help="validate every response against its spec (slower)"
    )
    parser.add_argument(
        "--no-fast-path",
        dest="fast_path",
        action="store_false",
        help="send every request through Connexion (the fast path answers the hot reads alike, faster)",
    )
    parser.add_argument(
        "--rate-limits",
        action="store_true",
        help="refuse calls over the documented quotas with 429 (hookbridge 1000/min per project, "
        "webadmit 5000/hour per key, on the mock clock); off by default, webadmit's headers always count",
    )


def build_from_args(args: argparse.Namespace) -> MockServer:
    """The server the parsed options describe (raises ``MockError`` subclasses on bad options)."""
    store = open_store(args.store)
    return build_server(
        args.apis,
        store=store,
        clock=VirtualClock(scale=args.time_scale),
        signer=SignedUrlSigner(args.signing_secret),
        seed=args.seed,
        failure_rate=args.failure_rate,
        validate_responses=args.validate_responses,
        rate_limits=args.rate_limits,
        fast_path=getattr(args, "fast_path", True),
    )


def print_banner(server: MockServer, base_url: str, out: TextIO) -> None:
    """The base URL, and each API's URLs and tenant credentials (what a client puts in config)."""
    print(f"exportkit mock serving {base_url}  (control plane: {base_url}/_control/health)", file=out)
    for name, runtime in server.runtimes.items():
        print(f"\n  {name}: {base_url}/{name}   Swagger UI: {base_url}/{name}/ui/", file=out)
        print(f"    target: {base_url}/_control/{name}/target", file=out)
        for tenant in runtime.tenants.values():
            creds = ", ".join(f"{k}={v}" for k, v in tenant.credentials.items())
            fixtures = ", ".join(f"{k}={v}" for k, v in tenant.fixtures.items())
            print(f"    {tenant.name:<9} {creds}" + (f"  ({fixtures})" if fixtures else ""), file=out)
    out.flush()


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket, so the real port is known before the server starts (``port=0``)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def uvicorn_server(app: Any, *, log_level: str = "warning") -> uvicorn.Server:
    """The server ``serve`` runs: uvloop accepting every waiting connection at once
    (``mockserver.eventloop``) and httptools cut its own share of each request; no access log;
    plain asyncio/h11 where those are not installed."""
    config = uvicorn.Config(
        app,
        log_level=log_level,
        access_log=False,
        lifespan="off",
        loop=loop_factory_name(),
        http="httptools" if importlib.util.find_spec("httptools") is not None else "h11",
    )
    return uvicorn.Server(config)


def serve_from_args(args: argparse.Namespace) -> int:
    """Run the mock until interrupted; 0 on a clean stop, 2 on bad options."""
    try:
        server = build_from_args(args)
        sock = bind_socket(args.host, args.port)
    except (MockError, OSError) as exc:
        print(f"exportkit serve: {exc}", file=sys.stderr)
        return 2
    host, port = sock.getsockname()[:2]
    shown_host = f"[{host}]" if ":" in host else host
    print_banner(server, f"http://{shown_host}:{port}", sys.stdout)
    try:
        uvicorn_server(server.app).run(sockets=[sock])
    finally:
        sock.close()
        server.store.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m mockserver [options]``."""
    parser = argparse.ArgumentParser(prog="python -m mockserver", description="Stateful mock of the export APIs.")
    add_serve_arguments(parser)
    return serve_from_args(parser.parse_args(argv))
