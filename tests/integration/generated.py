"""Generate a Python client from a spec with openapi-python-client, and import it.

    client = generate_client(spec_path("curaeai"), tmp_path, "curaeai")
    create = client.operation("createRecordsExport")        # the generated endpoint module
    with client.authenticated(base_url, token) as http:
        answer = create.sync_detailed(client=http, body=..., idempotency_key=...)

Generation runs in-process from a file (no network), without the generator's post hooks (they
only run ruff over the output), and fails on any diagnostic the generator reports: a warning
means it skipped or degraded an operation or a schema, which is exactly what these tests are for.
The package is imported under a name of its own, so no ``sys.path`` change is needed.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from openapi_python_client import generate
from openapi_python_client.config import Config, ConfigFile, MetaType
from openapi_python_client.parser.errors import GeneratorError, ParseError

PACKAGE_PREFIX = "exportkit_generated_"


@dataclass
class GenerationFailed(Exception):
    """The generator could not turn a spec into a client, or reported a problem doing it."""

    spec: Path
    diagnostics: tuple[str, ...]

    def __str__(self) -> str:
        listed = "\n".join(f"  - {line}" for line in self.diagnostics)
        return f"openapi-python-client on {self.spec}:\n{listed}"


@dataclass
class OperationMissing(Exception):
    """No generated endpoint module has the name the generator derives from an operationId."""

    package: str
    operation_id: str
    module_name: str

    def __str__(self) -> str:
        return f"{self.package} has no endpoint module {self.module_name!r} for operationId {self.operation_id!r}"


def snake_case(operation_id: str) -> str:
    """``createRecordsExport`` -> ``create_records_export``, as the generator names its modules."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", operation_id).lower()


@dataclass(frozen=True)
class GeneratedClient:
    """An imported client package generated from one spec."""

    api: str
    package: ModuleType
    directory: Path

    @property
    def models(self) -> ModuleType:
        """The generated ``models`` package (every schema class)."""
        return importlib.import_module(f"{self.package.__name__}.models")

    def operation(self, operation_id: str) -> ModuleType:
        """The endpoint module of ``operation_id`` (``sync``, ``sync_detailed``, ``asyncio``...)."""
        module_name = snake_case(operation_id)
        found = sorted((self.directory / "api").glob(f"*/{module_name}.py"))
        if len(found) != 1:
            raise OperationMissing(self.package.__name__, operation_id, module_name)
        tag = found[0].parent.name
        return importlib.import_module(f"{self.package.__name__}.api.{tag}.{module_name}")

    def authenticated(
        self,
        base_url: str,
        token: str,
        *,
        prefix: str = "Bearer",
        header: str = "Authorization",
        headers: dict[str, str] | None = None,
    ) -> Any:
        """The generated ``AuthenticatedClient``: undocumented statuses raise, redirects are not followed."""
        return self.package.AuthenticatedClient(
            base_url=base_url,
            token=token,
            prefix=prefix,
            auth_header_name=header,
            headers=headers or {},
            raise_on_unexpected_status=True,
            follow_redirects=False,
        )

    def unload(self) -> None:
        """Forget the package and its submodules (the next session imports a fresh copy)."""
        name = self.package.__name__
        for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[module]


def generate_client(spec: Path, out_dir: Path, api: str) -> GeneratedClient:
    """Generate the client of ``spec`` into ``out_dir`` and import it; raises ``GenerationFailed``."""
    name = PACKAGE_PREFIX + api
    directory = out_dir / name
    config = Config.from_sources(
        ConfigFile(post_hooks=[]),
        MetaType.NONE,
        spec,
        "utf-8",
        False,
        directory,
    )
    diagnostics = generate(config=config)
    if diagnostics:
        raise GenerationFailed(spec, tuple(_describe(d) for d in diagnostics))
    init = directory / "__init__.py"
    module_spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(directory)])
    if module_spec is None or module_spec.loader is None:
        raise GenerationFailed(spec, (f"no importable package at {directory}",))
    package = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = package  # the generated modules import each other relatively
    try:
        module_spec.loader.exec_module(package)
    except Exception:
        del sys.modules[name]
        raise
    return GeneratedClient(api, package, directory)


def _describe(diagnostic: GeneratorError) -> str:
    text = f"{diagnostic.level.value}: {diagnostic.header.strip()} {diagnostic.detail or ''}".strip()
    if isinstance(diagnostic, ParseError) and diagnostic.data is not None:
        # The offending part of the document, so a report can name the construct.
        part = json.dumps(diagnostic.data.model_dump(mode="json", by_alias=True, exclude_none=True))
        text += f" [in: {part[:300]}]"
    return text
