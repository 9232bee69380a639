"""Parameters and request bodies, from the contract's operations and their validated fields.

A field's schema is the form of its rule (``rules.RULE_SCHEMAS``), widened by the literal forms
that success requirements send in its place (``@me``, ``@self``); a field no rule names has no
documented code, so it takes only a JSON type, with the literal forms as examples (``video``).
Required means what the contract's rules say (D11-D14, D19), plus ``action``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator

from pytest_uapi.contract import Contract, FieldRule
from pytest_uapi.contract.rules import RULE_SCHEMAS

_JSON_TYPES = {str: "string", int: "number", float: "number", bool: "boolean"}


def _is_literal(value: Any) -> bool:
    # "{caller}" and "John Doe <+{public}>" are filled in from a target profile at run time.
    return isinstance(value, str) and "{" not in value


def rules_of(contract: Contract, operations: tuple[str, ...]) -> dict[str, FieldRule]:
    """The validated fields of the operations, by field path (``body.sendCallTo``)."""
    return {f.name: f for r in contract.errors_of_any(operations) for f in r.fields}


def literal_forms(contract: Contract, operations: tuple[str, ...], name: str) -> list[str]:
    """The literal values success requirements send as field ``name`` (not placeholders)."""
    forms = {
        value
        for r in contract.by_category("success")
        if set(r.operations) & set(operations)
        for case in r.cases
        for field, value in case.change.items()
        if field == name and _is_literal(value)
    }
    return sorted(forms)


def field_schema(
    contract: Contract, operations: tuple[str, ...], name: str, template: Any = None
) -> dict[str, Any]:
    rule = rules_of(contract, operations).get(name)
    forms = literal_forms(contract, operations, name)
    schema: dict[str, Any] | None = dict(RULE_SCHEMAS[rule.rule]) if rule else None
    if schema is not None:
        # Only the forms the rule's syntax leaves out widen it (``@me`` beside numeric ids).
        forms = [f for f in forms if not Draft202012Validator(schema).is_valid(f)]
    if schema is not None and forms:
        return {"anyOf": [schema, {"type": "string", "enum": forms}]}
    if schema is not None:
        return schema
    # No rule, no documented code: a server may ignore any value, so the forms only illustrate.
    loose: dict[str, Any] = {"type": _JSON_TYPES.get(type(template), "string")}
    if forms:
        loose["examples"] = forms
    return loose


def parameters(contract: Contract, operation: str, where: str) -> list[dict[str, Any]]:
    """The ``path`` or ``query`` parameters of an operation, in a stable order."""
    ops = (operation,)
    prefix = f"{where}."
    names: set[str] = {n for n in rules_of(contract, ops) if n.startswith(prefix)}
    for r in contract.by_category("success"):
        if operation in r.operations:
            names.update(f for case in r.cases for f in case.change if f.startswith(prefix))
    if where == "path":
        names.update(prefix + p for p in contract.operations[operation].path_params)
    out = []
    for name in sorted(names):
        out.append(
            {
                "name": name.removeprefix(prefix),
                "in": where,
                "required": where == "path",
                "schema": field_schema(contract, ops, name),
            }
        )
    return out


def _body_schema(
    contract: Contract, ops: tuple[str, ...], template: Any, path: str
) -> dict[str, Any]:
    rules = rules_of(contract, ops)
    if path in rules:
        return field_schema(contract, ops, path, template)
    if isinstance(template, Mapping):
        return _object_schema(contract, ops, template, path)
    if isinstance(template, list) and template:
        items = _body_schema(contract, ops, template[0], f"{path}.0")
        return {"type": "array", "minItems": 1, "items": items}
    return field_schema(contract, ops, path, template)


def _object_schema(
    contract: Contract, ops: tuple[str, ...], template: Mapping[str, Any], path: str
) -> dict[str, Any]:
    rules = rules_of(contract, ops)
    prefix = f"{path}."
    # The valid request's keys, then the validated fields it leaves out (transferNumber, ...).
    keys = list(template)
    for name in rules:
        if name.startswith(prefix):
            key = name.removeprefix(prefix).split(".", 1)[0]
            if key not in keys:
                keys.append(key)
    properties = {key: _body_schema(contract, ops, template.get(key), prefix + key) for key in keys}
    required = [k for k in keys if prefix + k in rules and rules[prefix + k].required]
    # The nested payload's parts are required as the rows beneath them are (D18, D19).
    required += [
        k
        for k in keys
        if k not in required
        and any(rules[n].required for n in rules if n.startswith(f"{prefix}{k}."))
    ]
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def body_schema(contract: Contract, operation: str) -> dict[str, Any]:
    """The JSON body of an operation; an action's ``action`` is its constant (D2)."""
    op = contract.operations[operation]
    schema = _object_schema(contract, (operation,), op.body, "body")
    if op.is_action:
        action = op.body["action"]
        schema["properties"]["action"] = {"type": "string", "const": action}
        schema["required"] = ["action", *schema.get("required", ())]
    return schema


def onhold_schema(contract: Contract, actions: tuple[str, ...]) -> dict[str, Any]:
    """D29's OnHold body: its fields take the form the actions give the same field."""
    body = contract.support.onhold_body
    properties: dict[str, Any] = {"action": {"type": "string", "const": body["action"]}}
    for key in body:
        if key != "action":
            properties[key] = field_schema(contract, actions, f"body.{key}", body[key])
    return {"type": "object", "properties": properties, "required": list(body)}
