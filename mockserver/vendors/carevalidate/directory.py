"""CareValidate's organisations and their people: one organisation per tenant, derived from ``--seed``.

Each tenant's organisation has two known patients (``PROFILES``), each with their own cases, and
one staff member (``STAFF``). Every id is a UUID derived from the seed and the API name, so the
same seed gives the same directory on every start; ``_directory`` and ``_patient`` memoise it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockserver.vendors import TENANT_NAMES, Derive

# Per tenant: patients (first name, last name, e-mail, phone, number of cases) and the staff member.
PROFILES: Mapping[str, tuple[tuple[str, str, str, str, int], ...]] = {
    "primary": (("Jane", "Doe", "patient@example.com", "+15551234567", 2),
                ("Sam", "Rivera", "sam.rivera@example.com", "+15551234568", 1)),
    "secondary": (("Alex", "Morgan", "alex.morgan@example.org", "+15557654321", 2),
                  ("Priya", "Shah", "priya.shah@example.org", "+15557654322", 1)),
}  # fmt: skip
STAFF = {"primary": ("Morgan", "Lee"), "secondary": ("Chris", "Okafor")}


@dataclass(frozen=True)
class Person:
    """A patient (with cases) or a staff member of one organisation."""

    id: str
    first_name: str
    last_name: str
    email: str = ""
    phone: str = ""
    cases: tuple[str, ...] = ()

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "firstName": self.first_name, "lastName": self.last_name}


@dataclass(frozen=True)
class Organisation:
    """One tenant's organisation: its id, patients and staff member, derived from ``--seed``."""

    tenant: str
    id: str
    patients: tuple[Person, ...]
    staff: Person

    def person(self, person_id: Any) -> Person | None:
        return next((p for p in (*self.patients, self.staff) if p.id == person_id), None)

    def patient(self, member: str, value: str) -> Person | None:
        """The patient whose ``email`` (trimmed, any case) or ``phoneNumber`` is ``value``."""
        if member == "email":
            return next((p for p in self.patients if p.email == value.strip().lower()), None)
        return next((p for p in self.patients if p.phone == value), None)


def directory(derive: Derive) -> dict[str, Organisation]:
    """Every tenant's organisation; stable for a seed."""
    return dict(_directory(derive.seed, derive.api))


@functools.lru_cache(maxsize=64)
def _directory(seed: int, api: str) -> dict[str, Organisation]:
    # dozens of sha256-derived ids, read on every authenticated call: built once per seed and API
    derive = Derive(seed, api)
    found = {}
    for tenant in TENANT_NAMES:
        patients = tuple(
            Person(derive.uuid(f"patient:{tenant}:{n}"), first, last, email, phone,
                   tuple(derive.uuid(f"case:{tenant}:{n}:{k}") for k in range(cases)))
            for n, (first, last, email, phone, cases) in enumerate(PROFILES[tenant])
        )  # fmt: skip
        staff = Person(derive.uuid(f"staff:{tenant}"), *STAFF[tenant])
        found[tenant] = Organisation(tenant, derive.uuid(f"organization:{tenant}"), patients, staff)
    return found


@functools.lru_cache(maxsize=256)
def _patient(seed: int, api: str, organisation: str, user: str) -> tuple[str, Person] | None:
    """The tenant and patient of ``user`` in ``organisation`` (staff and strangers are nobody's)."""
    for org in _directory(seed, api).values():
        patient = org.person(user) if org.id == organisation else None
        if patient is not None and patient in org.patients:
            return org.tenant, patient
    return None
