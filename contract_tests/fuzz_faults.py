"""What goes wrong in a Schemathesis run besides a failed check, sorted by whose fault it is.

A request that got no HTTP answer (reset, timeout, TLS, too many redirects, the server gone)
is the target's fault: ``fuzz`` records it as a failure of ``not_a_server_error``. An answer
Schemathesis cannot digest may kill one of its worker threads; that is the tool's trouble,
recorded as a line instead of a traceback on stderr.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from contract_tests.results import FailureRecord, Severity


def is_target_fault(error: BaseException) -> bool:
    """True when Schemathesis got no usable answer from the target (reset, timeout, TLS, outage)."""
    import requests
    from schemathesis.engine.errors import ServerUnavailable, UnhealthyAPIError, UnresponsiveOperationError

    faults = (requests.RequestException, ServerUnavailable, UnhealthyAPIError, UnresponsiveOperationError)
    return isinstance(error, faults)


def unanswered_record(label: str, title: str, detail: str, curl: str, *, severity: Severity) -> FailureRecord:
    """A request Schemathesis sent that got no HTTP answer: the target's fault, as a server error."""
    return FailureRecord(
        check_id="schemathesis:not_a_server_error",
        severity=severity,
        message=f"{label}: {title}: no HTTP answer",
        expected="an HTTP answer to every request",
        observed=detail[:1800],
        curl=curl.strip(),
        operation=label,
        spec_clause="schemathesis:not_a_server_error (network error)",
    )


@contextmanager
def worker_crashes_recorded(errors: list[str]) -> Iterator[None]:
    """Record an exception that kills a Schemathesis worker thread instead of printing its traceback.

    Schemathesis runs its cases in threads named ``schemathesis_*``; an answer it cannot digest
    (JSON nested deeper than Python parses) ends such a thread with a traceback on stderr.
    Other threads keep the hook that was there before.
    """
    previous = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        if args.thread is not None and args.thread.name.startswith("schemathesis"):
            errors.append(f"a Schemathesis worker stopped: {args.exc_type.__name__}: {args.exc_value}"[:300])
        else:
            previous(args)

    threading.excepthook = hook
    try:
        yield
    finally:
        threading.excepthook = previous


__all__ = ["is_target_fault", "unanswered_record", "worker_crashes_recorded"]
