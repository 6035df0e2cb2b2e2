"""The domain checks, one module per family, in the order a run executes them.

Order matters only where time moves: checks that advance the target's clock (``url-expiry``,
``vendor-rules``) come late, and ``error-envelope`` comes last because it judges every error
answer the others provoked.
"""

from __future__ import annotations

from contract_tests.checks.artifact import ARTIFACT
from contract_tests.checks.auth import AUTH
from contract_tests.checks.base import Check, Probe, run_check
from contract_tests.checks.download import READINESS_GATE, READY_DOWNLOAD
from contract_tests.checks.envelope import ERROR_ENVELOPE
from contract_tests.checks.lifecycle import LIFECYCLE
from contract_tests.checks.tenancy import TENANT_ISOLATION
from contract_tests.checks.urls import FRESH_URL, URL_EXPIRY, URL_TAMPER
from contract_tests.checks.vendor_rules import VENDOR_RULES
from contract_tests.errors import UnknownCheck

CHECKS: tuple[Check, ...] = (
    READINESS_GATE,
    READY_DOWNLOAD,
    ARTIFACT,
    URL_TAMPER,
    FRESH_URL,
    TENANT_ISOLATION,
    AUTH,
    LIFECYCLE,
    URL_EXPIRY,
    VENDOR_RULES,
    ERROR_ENVELOPE,
)
CHECK_IDS: tuple[str, ...] = tuple(c.id for c in CHECKS)


def get_check(check_id: str) -> Check:
    """The domain check with this id; raises ``UnknownCheck``."""
    for check in CHECKS:
        if check.id == check_id:
            return check
    raise UnknownCheck(check_id, CHECK_IDS)


__all__ = ["CHECKS", "CHECK_IDS", "Check", "Probe", "get_check", "run_check"]
