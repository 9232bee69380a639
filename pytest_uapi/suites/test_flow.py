"""The 202-then-list flow (D15, D20-D24): the acknowledgement validates and names the call, its
self link answers 200 with that PhoneCall, the action's effect is visible there, the List shows
calls in every state, the bulk forms act on every call (D16), and a hung-up call is gone (D28)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pytest_uapi.checking import checks
from pytest_uapi.checking.preconditions import skip_precondition
from pytest_uapi.checking.provision import CallProvisioner
from pytest_uapi.contract import Profile, Requirement
from pytest_uapi.suites._support import (
    CONTRACT,
    OPERATIONS,
    acknowledgements,
    check_effect,
    check_self_link,
    param,
    perform,
    prepare,
    require_accepted,
    requirement_for,
    success_statuses,
    takes_part,
)
from pytest_uapi.transport.exchange import CheckFailure

JSON_BODY = CONTRACT.requirement("response.json").id


def _params(suffix: str, *more: str) -> list[Any]:
    return [
        param(op, id=op, requirements=(requirement_for(suffix, op).id, *more)) for op in OPERATIONS
    ]


@pytest.mark.parametrize("operation", _params("ack", JSON_BODY))
def test_acknowledgement(
    operation: str, uapi_calls: CallProvisioner, uapi_profile: Profile
) -> None:
    requirement = requirement_for("ack", operation).id
    performed = perform(uapi_calls, operation)
    require_accepted(performed)
    name = uapi_profile.ack_schema_for(performed.status)
    for ack in acknowledgements(performed, requirement):
        checks.schema(ack, name, requirement, performed.exchange, "Malformed acknowledgement")
        if performed.call is not None:
            checks.require(
                ack.get("id") == performed.call.id,
                CheckFailure(
                    title="Acknowledgement names another call",
                    expected=f"id {performed.call.id!r}",
                    received=f"id {ack.get('id')!r}",
                    requirements=(requirement,),
                    exchange=performed.exchange,
                ),
            )


@pytest.mark.parametrize("operation", _params("self_link", JSON_BODY))
def test_self_link(operation: str, uapi_calls: CallProvisioner, uapi_profile: Profile) -> None:
    performed = perform(uapi_calls, operation)
    require_accepted(performed)
    check_self_link(uapi_calls, uapi_profile, performed, requirement_for("self_link", operation).id)


@pytest.mark.parametrize("operation", _params("effect"))
def test_effect(operation: str, uapi_calls: CallProvisioner) -> None:
    performed = perform(uapi_calls, operation)
    require_accepted(performed)
    check_effect(uapi_calls, performed, requirement_for("effect", operation).id)


_LIST = CONTRACT.requirement("list.states")


@pytest.mark.parametrize("requirement", [param(_LIST, id="List", requirements=(_LIST.id,))])
def test_list_shows_every_state(requirement: Requirement, uapi_calls: CallProvisioner) -> None:
    """Every call the suite can make, in each state it can bring one to, is listed (D22)."""
    target = uapi_calls.target
    made = {state: uapi_calls.make(state) for state in ("on_call", "ringing", "on_hold")}
    where = {target.caller: made, target.ringing: {"ringing": made["ringing"]}}
    for extension, expected in where.items():
        wanted = {call.id for call in expected.values()}
        seen = _listed(uapi_calls, extension, wanted)
        missing = sorted(
            f"{call.id} ({state})"
            for state, call in expected.items()
            if seen is None or call.id not in seen
        )
        checks.require(
            not missing,
            CheckFailure(
                title="The List leaves calls out",
                expected=f"the List of {extension} to show {', '.join(sorted(wanted))}",
                received=f"no {', '.join(missing)}" if seen is not None else "no List",
                requirements=(requirement.id,),
                exchange=uapi_calls.client.last,
            ),
        )


def _listed(calls: CallProvisioner, extension: str, wanted: set[str]) -> list[str] | None:
    """The List of ``extension`` once it shows ``wanted`` (or as it is when the bound ends)."""
    found: list[str] | None = calls.wait_for(
        lambda: calls.list_ids(extension), lambda ids: wanted <= set(ids)
    )
    return found


def _read_until(
    calls: CallProvisioner, call_id: str, reached: Callable[[dict[str, Any]], bool]
) -> dict[str, Any] | None:
    """The call once ``reached`` holds (or as it is when the bound ends)."""
    found: dict[str, Any] | None = calls.wait_for(lambda: calls.read_call(call_id), reached)
    return found


_BULK = [r for r in CONTRACT.by_category("flow") if r.bulk]


@pytest.mark.parametrize(
    ("requirement", "operation"),
    [param(r, op, id=op, requirements=(r.id,)) for r in _BULK for op in r.operations],
)
def test_bulk_with_calls(
    requirement: Requirement, operation: str, uapi_calls: CallProvisioner, uapi_profile: Profile
) -> None:
    """D16: the bulk form acts on every call of the extension (two ringing calls here)."""
    extension = uapi_calls.target.ringing
    uapi_calls.exclusive_ringing()  # no other test's call there while every call is acted on
    ours = uapi_calls.make_together("ringing", 2)
    mine = {call.id for call in ours}
    # Calls an earlier test hung up may take a moment to go (D31).
    ids = uapi_calls.wait_for(lambda: uapi_calls.list_ids(extension), lambda ids: set(ids) <= mine)
    if set(ids or []) - mine:
        skip_precondition(f"{extension} has calls of another client; the bulk check needs ours")
    _, spec = prepare(uapi_calls, operation, {"path.extension": extension}, bulk=True)
    exchange = uapi_calls.send(spec)
    checks.status(
        exchange,
        success_statuses(operation, uapi_profile),
        requirement.id,
        title="Bulk action on an extension with calls not accepted",
    )
    target = str(spec.body["sendCallTo"])
    for call in ours:
        seen = _read_until(uapi_calls, call.id, lambda b: takes_part(target, b))
        checks.require(
            seen is not None and takes_part(target, seen),
            CheckFailure(
                title="A call of the extension was not transferred",
                expected=f"{target} in call {call.id} (one of {len(ours)} calls of {extension})",
                received=f"the call as listed: {seen!r}" if seen else "no call to read",
                requirements=(requirement.id,),
                exchange=uapi_calls.client.last,
            ),
        )


_HANGUP = CONTRACT.requirement("hangup.success")
_GONE = CONTRACT.requirement("hangup.effect")


@pytest.mark.parametrize(
    "requirement", [param(_HANGUP, id="DELETE", requirements=(_HANGUP.id, _GONE.id))]
)
def test_hang_up(
    requirement: Requirement, uapi_calls: CallProvisioner, uapi_profile: Profile
) -> None:
    call = uapi_calls.make("on_call")
    exchange = uapi_calls.hang_up(call.id)
    checks.status(
        exchange, uapi_profile.hangup_statuses, _HANGUP.id, title="Wrong status for a hang-up"
    )
    caller = uapi_calls.target.caller
    seen = uapi_calls.wait_for(lambda: uapi_calls.list_ids(caller), lambda ids: call.id not in ids)
    checks.require(
        seen is not None and call.id not in seen,
        CheckFailure(
            title="A hung-up call is still listed",
            expected=f"no call {call.id} in the List of {caller}",
            received="it is listed" if seen is not None else "no List",
            requirements=(_GONE.id,),
            exchange=uapi_calls.client.last,
        ),
    )
