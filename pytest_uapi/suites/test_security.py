"""Security (D30, D33): missing, malformed and unknown tokens are refused with access_denied, and
another user's token can neither act on, read, list nor hang up the user's calls, nor make calls
from their extensions; none of it changes anything."""

from __future__ import annotations

import pytest

from pytest_uapi.checking import checks
from pytest_uapi.checking.preconditions import skip_precondition
from pytest_uapi.checking.provision import CallProvisioner
from pytest_uapi.contract import Profile, Requirement
from pytest_uapi.suites._support import (
    ACTIONS,
    CONTRACT,
    OPERATIONS,
    expect_rejection,
    param,
    prepare,
)

ACCESS_DENIED = ("access_denied",)
ERROR_BODY = CONTRACT.requirement("errors.body").id
NO_SIDE_EFFECTS = CONTRACT.requirement("errors.no_side_effects").id

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
        requirements=(_CREDENTIALS[case][0], ERROR_BODY, NO_SIDE_EFFECTS),
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


def _second_token(calls: CallProvisioner) -> str:
    second = calls.target.second_token
    if not second:
        skip_precondition("the target profile names no second user (second_token)")
    return second


_CROSS_CALL = CONTRACT.requirement("security.cross_user_call").id


@pytest.mark.parametrize(
    "operation",
    [param(op, id=op, requirements=(_CROSS_CALL, ERROR_BODY, NO_SIDE_EFFECTS)) for op in ACTIONS],
)
def test_cross_user_call(operation: str, uapi_calls: CallProvisioner) -> None:
    second = _second_token(uapi_calls)
    expect_rejection(uapi_calls, operation, None, _ANY_4XX, None, _CROSS_CALL, auth=second)


_CROSS_EXTENSION = CONTRACT.requirement("security.cross_user_extension").id


@pytest.mark.parametrize(
    "operation",
    [param("MakeCall", id="MakeCall", requirements=(_CROSS_EXTENSION, ERROR_BODY))],
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
    checks.error_answer(exchange, _ANY_4XX, None, _CROSS_EXTENSION)


_READS = [
    CONTRACT.requirement(name)
    for name in (
        "security.cross_user_read",
        "security.cross_user_list",
        "security.cross_user_hangup",
    )
]


@pytest.mark.parametrize(
    "requirement",
    [
        param(r, id=r.id.rsplit("_", 1)[-1], requirements=(r.id, ERROR_BODY, NO_SIDE_EFFECTS))
        for r in _READS
    ],
)
def test_cross_user_other_methods(requirement: Requirement, uapi_calls: CallProvisioner) -> None:
    """D33: reading the call, listing its extension and hanging it up with another user's
    token answer 4xx, and the call stays as it was."""
    second = _second_token(uapi_calls)
    call = uapi_calls.make("on_call")
    before = uapi_calls.read(call.id)
    path = uapi_calls.call_path(call.id)
    if requirement.id.endswith("_list"):
        method, path = (
            "GET",
            CONTRACT.support.list_path.format(
                userId=uapi_calls.target.user_id, extension=uapi_calls.target.caller
            ),
        )
    else:
        method = "DELETE" if requirement.id.endswith("_hangup") else "GET"
    exchange = uapi_calls.client.request(method, path, auth=second)
    checks.error_answer(exchange, _ANY_4XX, None, requirement.id)
    checks.unchanged(before, uapi_calls.read(call.id), exchange, "the call")
