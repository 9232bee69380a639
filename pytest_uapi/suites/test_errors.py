"""Every documented 400 code (D5-D20): one single-field fault (D26) per case, made on the valid
request or on one valid form of it; the exact status and code (profile-aware spellings, D7), the
error body (D25), and nothing changed (D27). And hanging up a call that does not exist (D32)."""

from __future__ import annotations

import pytest

from pytest_uapi.checking import checks
from pytest_uapi.checking.provision import CallProvisioner
from pytest_uapi.contract import Profile, Requirement
from pytest_uapi.suites._support import CONTRACT, expect_rejection, param

ERROR_BODY = CONTRACT.requirement("errors.body").id
NO_SIDE_EFFECTS = CONTRACT.requirement("errors.no_side_effects").id

CASES = [
    param(
        requirement,
        operation,
        cause.name,
        id=f"{operation}-{requirement.code}-{cause.name}",
        requirements=(requirement.id, ERROR_BODY, NO_SIDE_EFFECTS),
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
    fault = requirement.cause(cause)
    extra = {"gone_call_id": uapi_calls.gone_call()} if fault.needs == "gone_call" else {}
    expect_rejection(
        uapi_calls,
        operation,
        fault.changes,
        (400,),
        requirement.accepted_codes(uapi_profile.name),
        requirement.id,
        extra=extra,
    )


_UNKNOWN = CONTRACT.requirement("hangup.unknown_call")


@pytest.mark.parametrize(
    ("requirement", "case"),
    [
        param(_UNKNOWN, case, id=f"DELETE-{case}", requirements=(_UNKNOWN.id, ERROR_BODY))
        for case in ("never-existed", "hung-up")
    ],
)
def test_hang_up_a_call_that_does_not_exist(
    requirement: Requirement, case: str, uapi_calls: CallProvisioner
) -> None:
    call_id = "0000unknown0000call" if case == "never-existed" else uapi_calls.gone_call()
    exchange = uapi_calls.hang_up(call_id)
    statuses = CONTRACT.support.gone_statuses
    checks.status(exchange, statuses, requirement.id, title="Wrong status for a call that is gone")
    if exchange.status >= 400:
        checks.error_answer(exchange, statuses, (CONTRACT.support.gone_code,), requirement.id)
