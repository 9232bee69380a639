"""The contract's JSON Schemas (draft 2020-12), shipped as package data, and their validators.

Schemas reference each other by ``urn:uapi:*`` ids through one ``referencing`` registry, so each
file stays small and the profile variants differ only where the profiles do.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource


@cache
def _registry() -> Registry[Any]:
    folder = resources.files(__package__).joinpath("schemas")
    resources_: list[tuple[str, Resource[Any]]] = []
    for entry in folder.iterdir():
        if entry.name.endswith(".json"):
            schema = json.loads(entry.read_text(encoding="utf-8"))
            resources_.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources_)


def schema(name: str) -> dict[str, Any]:
    """The schema document with id ``urn:uapi:<name>``."""
    contents: dict[str, Any] = _registry()[f"urn:uapi:{name}"].contents
    return contents


@cache
def validator(name: str) -> Draft202012Validator:
    """A validator for ``urn:uapi:<name>`` that resolves the other schemas' references."""
    return Draft202012Validator(schema(name), registry=_registry())


def schema_names() -> list[str]:
    return sorted(uri.removeprefix("urn:uapi:") for uri in _registry())
