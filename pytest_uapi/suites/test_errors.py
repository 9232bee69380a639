"""Every documented 400 code (D5-D20): one single-field fault (D26) per case; the exact status
and code (profile-aware spellings, D7), the error body (D25), and nothing changed (D27)."""

from __future__ import annotations

import pytest

from pytest_uapi.checking import checks
from pytest_uapi.checking.provision import CallProvisioner
from pytest_uapi.contract import Profile, Requirement
from pytest_uapi.suites._support import CONTRACT, cause_change, expect_rejection, param

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
    expect_rejection(
        uapi_calls,
        operation,
        cause_change(requirement, cause),
        (400,),
        requirement.accepted_codes(uapi_profile.name),
        requirement.id,
    )
