"""The UAPI PhoneCalls contract as data: requirements, operations, profiles, schemas, dataset.

Everything else in the package reads from here; nothing here imports the plugin, the suites or
the reference server.
"""

from __future__ import annotations

from .dataset import Dataset, Extension, Organization, User, load_dataset, parse_dataset
from .model import (
    CATEGORIES,
    PROFILES,
    Case,
    Cause,
    Contract,
    Document,
    FieldRule,
    Operation,
    Profile,
    Requirement,
    load_contract,
    parse_contract,
)

__all__ = [
    "CATEGORIES",
    "PROFILES",
    "Case",
    "Cause",
    "Contract",
    "Dataset",
    "Document",
    "Extension",
    "FieldRule",
    "Operation",
    "Organization",
    "Profile",
    "Requirement",
    "User",
    "load_contract",
    "load_dataset",
    "parse_contract",
    "parse_dataset",
]
