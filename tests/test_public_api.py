"""The curated public surface of each package: ``__all__`` lists exactly what is meant to be used."""

from __future__ import annotations

import importlib

import pytest

PUBLIC = {
    "specs": {
        "API_NAMES",
        "SPECS_DIR",
        "Artifact",
        "Download",
        "ErrorEnvelope",
        "Lifecycle",
        "LifecycleError",
        "Lifetime",
        "Operations",
        "Refusal",
        "SpecError",
        "UnknownApiError",
        "load_spec",
        "spec_path",
    },
    "mockserver": {
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
    },
}


@pytest.mark.parametrize("package", sorted(PUBLIC))
def test_all_is_exactly_the_public_surface(package: str) -> None:
    module = importlib.import_module(package)
    assert set(module.__all__) == PUBLIC[package]
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert not missing, f"{package}.__all__ names what it does not define: {missing}"
