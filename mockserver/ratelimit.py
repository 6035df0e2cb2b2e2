"""Documented rate limits: calls per tenant in fixed windows of the injected clock.

A vendor module that documents a quota (hookbridge: 1000 requests a minute per project; webadmit:
5000 calls an hour per key) counts each authenticated call with a ``WindowQuota``. The window is
``floor(clock.now() / window_seconds)``, so advancing the mock clock starts a new one, and the
count lives in the store, so it survives a restart on SQLite and ``/_control/reset`` clears it.

Whether a call over the quota is refused is the server's choice (``--rate-limits``): when it is
off the count still runs, so headers that report the quota stay truthful, but nothing is refused.

    >>> from mockserver.store import MemoryStore
    >>> quota = WindowQuota(MemoryStore(), lambda: 120.0, RateLimit(2, 60), namespace="demo", enforce=True)
    >>> [quota.take("primary").refused for _ in range(3)]
    [False, False, True]
    >>> quota.take("primary").retry_after
    60
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from mockserver.errors import ConfigError
from mockserver.store import Store


@dataclass(frozen=True)
class RateLimit:
    """A documented quota: ``limit`` calls per ``window_seconds``."""

    limit: int
    window_seconds: int

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window_seconds < 1:
            raise ConfigError("rate-limit", f"limit and window must be >= 1, got {self.limit}/{self.window_seconds}s")


@dataclass(frozen=True)
class QuotaUse:
    """One tenant's quota as one call left it.

    ``used`` counts this call unless it was ``refused``; ``retry_after`` is the whole seconds
    (at least 1) until the window that ends at ``resets_at`` is over.
    """

    limit: int
    used: int
    resets_at: float
    retry_after: int
    refused: bool

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)


class WindowQuota:
    """Counts calls per key (a tenant's name) in fixed windows on an injected clock.

    Args:
        store: where the counts live (``namespace``, key ``"<key>:<window number>"``).
        now: the injected clock's ``now``.
        rate: the quota.
        namespace: the store namespace of this quota (one per API).
        enforce: refuse calls over the quota (``--rate-limits``); when false they are counted.
    """

    def __init__(
        self, store: Store, now: Callable[[], float], rate: RateLimit, *, namespace: str, enforce: bool
    ) -> None:
        self.store = store
        self.now = now
        self.rate = rate
        self.namespace = namespace
        self.enforce = enforce

    def window(self, at: float) -> int:
        """The number of the window ``at`` falls in."""
        return math.floor(at / self.rate.window_seconds)

    def slot(self, key: str, at: float | None = None) -> str:
        """The store key that counts ``key``'s calls in the window of ``at`` (default: now)."""
        return f"{key}:{self.window(self.now() if at is None else at)}"

    def take(self, key: str) -> QuotaUse:
        """Count one call of ``key``; ``refused`` (and not counted) when over an enforced quota."""
        now = self.now()
        window = self.window(now)
        slot = f"{key}:{window}"  # as ``self.slot(key, now)``, the window computed once (every call counts)
        used = int(self.store.get_value(self.namespace, slot) or 0)
        resets_at = float((window + 1) * self.rate.window_seconds)
        retry_after = max(math.ceil(resets_at - now), 1)
        if self.enforce and used >= self.rate.limit:
            return QuotaUse(self.rate.limit, used, resets_at, retry_after, refused=True)
        # No await between the read and the write: on the event loop this pair is atomic.
        self.store.put_value(self.namespace, slot, str(used + 1))
        return QuotaUse(self.rate.limit, used + 1, resets_at, retry_after, refused=False)
