"""The five hand-written OpenAPI specs, and the reader of their ``x-lifecycle`` extension.

This is the lowest layer: ``mockserver`` and ``contract_tests`` both derive everything vendor
specific from here.

    >>> from specs import load_spec, Lifecycle
    >>> spec = load_spec("curaeai")
    >>> Lifecycle.from_spec(spec).downloadable
    ('READY',)
"""

from specs.errors import LifecycleError, SpecError, UnknownApiError
from specs.lifecycle import (
    Artifact,
    Download,
    ErrorEnvelope,
    Lifecycle,
    Lifetime,
    Operations,
    Refusal,
)
from specs.loader import API_NAMES, SPECS_DIR, load_spec, spec_path

__all__ = [
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
]
