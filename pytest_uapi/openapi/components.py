"""The contract's JSON Schemas as OpenAPI ``components/schemas``.

OpenAPI 3.1 speaks JSON Schema 2020-12, so the contract's schemas go in as they are, with two
rewrites that tools need: each schema's ``$defs`` become components of their own, and the
``urn:uapi:*`` references become ``#/components/schemas/...`` pointers (tools resolve pointers
into the document, not the contract's private URNs). ``$id`` goes too: left in, it would
re-base the pointers inside the schema.
"""

from __future__ import annotations

from typing import Any

from pytest_uapi.contract import schemas

_URN = "urn:uapi:"
_LOCAL = "#/$defs/"


def component_name(schema: str, definition: str | None = None) -> str:
    """``phonecall`` -> ``phonecall``; its ``$defs/view`` -> ``phonecall.view``."""
    return f"{schema}.{definition}" if definition else schema


def ref(schema: str, definition: str | None = None) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{component_name(schema, definition)}"}


def _pointer(target: str, current: str) -> str:
    if target.startswith(_LOCAL):
        return ref(current, target.removeprefix(_LOCAL))["$ref"]
    if target.startswith(_URN):
        name, _, fragment = target.removeprefix(_URN).partition("#")
        definition = fragment.removeprefix("/$defs/") if fragment else None
        return ref(name, definition)["$ref"]
    raise ValueError(f"a reference the export cannot rewrite: {target!r}")


def _rewrite(value: Any, current: str) -> Any:
    if isinstance(value, dict):
        return {
            key: _pointer(item, current) if key == "$ref" else _rewrite(item, current)
            for key, item in value.items()
            if key not in ("$id", "$schema", "$defs")
        }
    if isinstance(value, list):
        return [_rewrite(item, current) for item in value]
    return value


def contract_components() -> dict[str, Any]:
    """Every contract schema and each of its ``$defs``, by component name, sorted."""
    out: dict[str, Any] = {}
    for name in schemas.schema_names():
        document = schemas.schema(name)
        out[component_name(name)] = _rewrite(document, name)
        for definition, body in document.get("$defs", {}).items():
            out[component_name(name, definition)] = _rewrite(body, name)
    return dict(sorted(out.items()))
