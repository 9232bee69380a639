"""Robustness (D8, D17): wrong JSON types, malformed JSON, unknown or missing action. Any 400
with an error body passes; a 2xx or a 5xx fails; and a rejection changes nothing (D27)."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_uapi.checking.provision import CallProvisioner
from pytest_uapi.contract.model import REMOVE
from pytest_uapi.suites._support import (
    ACTIONS,
    CONTRACT,
    OPERATIONS,
    expect_rejection,
    param,
)

# D8: values of the wrong JSON type for each rule's field. Array-valued rules get a scalar.
_WRONG: dict[str, dict[str, Any]] = {
    "scalar": {"number": 12345, "null": None, "array": ["12345"], "object": {"n": "1"}},
    "number_list": {"string": "12345", "number": 12345, "null": None, "object": {"n": "1"}},
    "positive_number": {"null": None, "array": [20], "object": {"n": 20}, "boolean": True},
}


def _wrong_values(rule: str) -> dict[str, Any]:
    return _WRONG.get(rule, _WRONG["scalar"])


def _body_fields(operation: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for requirement in CONTRACT.errors_of(operation):
        for field in requirement.fields:
            if field.location == "body":
                fields.setdefault(field.name, field.rule)
    return fields


ERROR_BODY = CONTRACT.requirement("errors.body").id
NO_SIDE_EFFECTS = CONTRACT.requirement("errors.no_side_effects").id
_WRONG_TYPE = CONTRACT.requirement("robustness.wrong_type").id
_MALFORMED = CONTRACT.requirement("robustness.malformed_json").id
_MISSING_ACTION = CONTRACT.requirement("robustness.missing_action").id
_ROBUST = (_WRONG_TYPE, ERROR_BODY, NO_SIDE_EFFECTS)
WRONG_TYPES = [
    param(op, field, kind, id=f"{op}-{field.rsplit('.', 1)[-1]}-{kind}", requirements=_ROBUST)
    for op in OPERATIONS
    for field, rule in _body_fields(op).items()
    for kind in _wrong_values(rule)
]


@pytest.mark.parametrize(("operation", "field", "kind"), WRONG_TYPES)
def test_wrong_type(operation: str, field: str, kind: str, uapi_calls: CallProvisioner) -> None:
    value = _wrong_values(_body_fields(operation)[field])[kind]
    expect_rejection(uapi_calls, operation, {field: value}, (400,), None, _WRONG_TYPE)


@pytest.mark.parametrize(
    "operation",
    [
        param(
            op,
            id=op,
            requirements=(_MALFORMED, ERROR_BODY, NO_SIDE_EFFECTS),
        )
        for op in OPERATIONS
    ],
)
def test_malformed_json(operation: str, uapi_calls: CallProvisioner) -> None:
    # A valid body cut short: the most common way a client sends broken JSON.
    action = CONTRACT.operations[operation].body.get("action", "")
    truncated = f'{{"action": "{action}", "sendCallTo": "0003'.encode()
    expect_rejection(uapi_calls, operation, {}, (400,), None, _MALFORMED, content=truncated)


_UNKNOWN_ACTION = CONTRACT.requirement("robustness.unknown_action")
_ACTION_REQS = (_UNKNOWN_ACTION.id, ERROR_BODY, NO_SIDE_EFFECTS)


def _actions_for(value: str) -> tuple[str, ...]:
    """A near miss of one documented action is tried on that action; anything else on all."""
    near = tuple(
        op
        for op in ACTIONS
        if value.strip().casefold() == str(CONTRACT.operations[op].body["action"]).casefold()
    )
    return near or ACTIONS


def _value_id(value: str) -> str:
    return value.strip() + ("-padded" if value != value.strip() else "")


UNKNOWN_ACTIONS = [
    param(
        op,
        value,
        # The first value keeps the test ids of the first release.
        id=op if value == _UNKNOWN_ACTION.values[0] else f"{op}-{_value_id(value)}",
        requirements=_ACTION_REQS,
    )
    for value in _UNKNOWN_ACTION.values
    for op in _actions_for(str(value))
]


@pytest.mark.parametrize(("operation", "value"), UNKNOWN_ACTIONS)
def test_unknown_action(operation: str, value: str, uapi_calls: CallProvisioner) -> None:
    """D17: an undocumented action, a near miss of a documented one included, is refused."""
    expect_rejection(
        uapi_calls, operation, {"body.action": value}, (400,), None, _UNKNOWN_ACTION.id
    )


@pytest.mark.parametrize(
    "operation",
    [param(op, id=op, requirements=(_MISSING_ACTION, *_ACTION_REQS[1:])) for op in ACTIONS],
)
def test_missing_action(operation: str, uapi_calls: CallProvisioner) -> None:
    expect_rejection(uapi_calls, operation, {"body.action": REMOVE}, (400,), None, _MISSING_ACTION)
