"""Security (D30): missing, malformed and unknown tokens are refused with access_denied, another
user's token cannot act on the user's calls or extensions, and none of it changes anything."""

from __future__ import annotations

import pytest

from pytest_uapi.checking import checks
from pytest_uapi.checking.provision import CallProvisioner, skip_precondition
from pytest_uapi.contract import Profile
from pytest_uapi.suites._support import (
    ACTIONS,
    OPERATIONS,
    expect_rejection,
    param,
    prepare,
)

ACCESS_DENIED = ("access_denied",)

# How each case authenticates: False sends no Authorization header at all.
_CREDENTIALS: dict[str, tuple[str, dict[str, str] | None, bool]] = {
    "missing": ("security.missing_token", None, False),
    "basic-scheme": ("security.malformed_header", {"Authorization": "Basic dXNlcjpwYXNz"}, False),
    "empty-bearer": ("security.malformed_header", {"Authorization": "Bearer "}, False),
    "unknown": ("security.unknown_token", {"Authorization": "Bearer not-a-known-token-0"}, False),
}

CASES = [
    param(
        op,
        case,
        id=f"{op}-{case}",
        requirements=(_CREDENTIALS[case][0], checks.ERROR_BODY, checks.NO_SIDE_EFFECTS),
    )
    for op in OPERATIONS
    for case in _CREDENTIALS
]


@pytest.mark.parametrize(("operation", "case"), CASES)
def test_refused_credentials(
    operation: str, case: str, uapi_calls: CallProvisioner, uapi_profile: Profile
) -> None:
    requirement, headers, auth = _CREDENTIALS[case]
    expect_rejection(
        uapi_calls,
        operation,
        None,
        uapi_profile.auth_statuses,
        ACCESS_DENIED,
        requirement,
        headers=headers,
        auth=auth,
    )


_ANY_4XX = tuple(range(400, 500))


@pytest.mark.parametrize(
    "operation",
    [
        param(
            op,
            id=op,
            requirements=("security.cross_user_call", checks.ERROR_BODY, checks.NO_SIDE_EFFECTS),
        )
        for op in ACTIONS
    ],
)
def test_cross_user_call(operation: str, uapi_calls: CallProvisioner) -> None:
    second = uapi_calls.target.second_token
    if not second:
        skip_precondition("the target profile names no second user (second_token)")
    expect_rejection(
        uapi_calls, operation, None, _ANY_4XX, None, "security.cross_user_call", auth=second
    )


@pytest.mark.parametrize(
    "operation",
    [
        param(
            "MakeCall",
            id="MakeCall",
            requirements=("security.cross_user_extension", checks.ERROR_BODY),
        )
    ],
)
def test_cross_user_extension(operation: str, uapi_calls: CallProvisioner) -> None:
    target = uapi_calls.target
    if not target.second_user_id:
        skip_precondition("the target profile names no second user (second_user_id)")
    change = {
        "path.userId": target.second_user_id,
        "body.extension": target.colleague,
        "body.phoneCallView.0.source": [target.colleague],
    }
    _call, spec = prepare(uapi_calls, operation, change)
    exchange = uapi_calls.send(spec)
    uapi_calls.adopt(exchange)
    checks.error_answer(exchange, _ANY_4XX, None, "security.cross_user_extension")
