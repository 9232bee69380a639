"""Every documented 400 code (D5-D20): one single-field fault (D26) per case; the exact status
and code (profile-aware spellings, D7), the error body (D25), and nothing changed (D27)."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_uapi import checks
from pytest_uapi.contract import Profile, Requirement
from pytest_uapi.provision import CallProvisioner
from pytest_uapi.suites._support import (
    CONTRACT,
    cause_change,
    marker_of,
    new_marked_calls,
    param,
    prepare,
    snapshot,
)

CASES = [
    param(
        requirement,
        operation,
        cause.name,
        id=f"{operation}-{requirement.code}-{cause.name}",
        requirements=(requirement.id, checks.ERROR_BODY, checks.NO_SIDE_EFFECTS),
    )
    for requirement in CONTRACT.by_category("error")
    if requirement.code
    for operation in requirement.operations
    for cause in requirement.causes
]


@pytest.mark.parametrize(("requirement", "operation", "cause"), CASES)
def test_error_code(
    requirement: Requirement,
    operation: str,
    cause: str,
    uapi_calls: CallProvisioner,
    uapi_profile: Profile,
) -> None:
    call, spec = prepare(uapi_calls, operation, cause_change(requirement, cause))
    before: Any = snapshot(uapi_calls, call)
    exchange = uapi_calls.send(spec)
    if call is None:
        uapi_calls.adopt(exchange)  # a server that made the call anyway: hang it up later
    checks.error_answer(
        exchange, (400,), requirement.accepted_codes(uapi_profile.name), requirement.id
    )
    after: Any = snapshot(uapi_calls, call)
    if call is None:
        made = new_marked_calls(uapi_calls, before, after, marker_of(spec))
        checks.unchanged([], made, exchange, "the calls of the caller's extension")
    else:
        checks.unchanged(before, after, exchange, "the call")
