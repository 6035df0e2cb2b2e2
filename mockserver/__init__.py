"""A stateful fake of the export APIs, served by one Connexion app.

    >>> from mockserver import create_app, MemoryStore, VirtualClock, SignedUrlSigner
    >>> app = create_app(store=MemoryStore(), clock=VirtualClock(), signer=SignedUrlSigner())  # doctest: +SKIP

See ``mockserver.testing.running_mock`` to run it inside a test suite, ``mockserver.cli`` for
``python -m mockserver``, and ``mockserver.vendors`` for the interface of a vendor module.
"""

from mockserver.app import MockServer, available_apis, build_server, create_app
from mockserver.clock import Clock, VirtualClock
from mockserver.errors import (
    ClockError,
    ConfigError,
    ControlError,
    MockError,
    StorageError,
    StoreError,
    VendorError,
)
from mockserver.signing import SignedUrlSigner
from mockserver.store import Job, MemoryStore, SqliteStore, Store, open_store

__all__ = [
    "Clock",
    "ClockError",
    "ConfigError",
    "ControlError",
    "Job",
    "MemoryStore",
    "MockError",
    "MockServer",
    "SignedUrlSigner",
    "SqliteStore",
    "StorageError",
    "Store",
    "StoreError",
    "VendorError",
    "VirtualClock",
    "available_apis",
    "build_server",
    "create_app",
    "open_store",
]
