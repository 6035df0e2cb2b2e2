"""Deterministic export files: the same job (seed, API, id) always yields the same bytes.

Vendor modules build their artifact with these helpers (``fhir_observations``, ``csv_bytes``,
``json_bytes``) from ``job_random``; ``ArtifactCache`` keeps recent ones so a status poll that
reports ``sha256``/``byteSize`` does not rebuild the file.

    >>> rng = job_random(0, "curaeai", "j1")
    >>> data = fhir_observations(rng, count=2, subject="Patient/p1")
    >>> ArtifactFile(data, "application/fhir+ndjson", "j1.ndjson").size == len(data)
    True
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

LOINC_VITALS = (
    ("8867-4", "Heart rate", "/min", 50, 110),
    ("8310-5", "Body temperature", "Cel", 36, 39),
    ("9279-1", "Respiratory rate", "/min", 10, 24),
    ("59408-5", "Oxygen saturation", "%", 90, 100),
    ("29463-7", "Body weight", "kg", 45, 120),
)


@dataclass(frozen=True)
class ArtifactFile:
    """The bytes of one export and how the object store serves them.

    ``filename`` is also the last segment of the object key, so it must be URL-safe;
    ``display_name``, when given, is the name ``Content-Disposition`` carries instead (any text).
    """

    data: bytes
    content_type: str
    filename: str
    display_name: str | None = None
    sha256: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha256", hashlib.sha256(self.data).hexdigest())

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def content_disposition(self) -> str:
        """``attachment; filename="..."``, or RFC 6266 ``filename*`` for a name not in printable ASCII."""
        name = self.filename if self.display_name is None else self.display_name
        if all(" " <= char <= "~" for char in name):
            return 'attachment; filename="' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return "attachment; filename*=UTF-8''" + quote(name, safe="")


def job_random(seed: int, api: str, job_id: str) -> random.Random:
    """A random generator private to one job: same seed, API and id -> same sequence."""
    digest = hashlib.sha256(f"{seed}:{api}:{job_id}".encode()).digest()
    return random.Random(int.from_bytes(digest[:16], "big"))


def fhir_observations(rng: random.Random, *, count: int, subject: str, issued: str = "2024-01-01T00:00:00Z") -> bytes:
    """FHIR R4 ``Observation`` resources as NDJSON (one compact JSON object per line)."""
    lines = []
    for index in range(count):
        code, display, unit, low, high = LOINC_VITALS[rng.randrange(len(LOINC_VITALS))]
        resource = {
            "resourceType": "Observation",
            "id": f"obs-{rng.getrandbits(48):012x}-{index}",
            "status": "final",
            "category": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                            "code": "vital-signs",
                        }
                    ]
                }
            ],
            "code": {"coding": [{"system": "http://loinc.org", "code": code, "display": display}]},
            "subject": {"reference": subject},
            "issued": issued,
            "valueQuantity": {
                "value": round(rng.uniform(low, high), 1),
                "unit": unit,
                "system": "http://unitsofmeasure.org",
                "code": unit,
            },
        }
        lines.append(json.dumps(resource, separators=(",", ":"), sort_keys=True))
    return ("\n".join(lines) + "\n").encode()


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """RFC 4180 CSV (CRLF line ends) with a header row."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def json_bytes(value: Any) -> bytes:
    """A JSON document, UTF-8, members sorted (stable bytes)."""
    return json.dumps(value, sort_keys=True, indent=2).encode() + b"\n"


class ArtifactCache:
    """A small LRU of built artifacts, keyed by (API, job id)."""

    def __init__(self, capacity: int = 256) -> None:
        self.capacity = capacity
        self._items: OrderedDict[tuple[str, str], ArtifactFile] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str], build: Callable[[], ArtifactFile]) -> ArtifactFile:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        built = build()
        with self._lock:
            self._items[key] = built
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
        return built

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
