"""Isolation (D35): an action, a hold and a hang-up change only the call and the view they name.

A suite that makes one call at a time never sees a server that acts on the wrong call. Here every
test makes two calls of the same extension in the same state, acts on the first and requires the
second to read exactly as before (its documented fields, D27, D36); OffHold also requires the
acted call's other views to keep their state (they exist on servers with a view per party).
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_uapi.checking import checks
from pytest_uapi.checking.preconditions import skip_precondition
from pytest_uapi.checking.provision import CallProvisioner, documented_view
from pytest_uapi.contract import Requirement
from pytest_uapi.suites._support import (
    CONTRACT,
    effect_of,
    param,
    perform,
    require_accepted,
    requirement_for,
    unchanged_call,
    views_of,
)
from pytest_uapi.transport.exchange import CheckFailure

_ACTIONS = [
    param(op, id=op, requirements=(requirement_for("isolation", op).id,))
    for op in CONTRACT.operations
    if any(r.id == f"{CONTRACT.operations[op].slug}.isolation" for r in CONTRACT.requirements)
]


def _other_views(call: dict[str, Any] | None, named: str) -> list[Any]:
    views = [v for v in views_of(call or {}) if str(v.get("id")) != named]
    documented: list[Any] = documented_view({"phoneCallView": views})["phoneCallView"]
    return documented


@pytest.mark.parametrize("operation", _ACTIONS)
def test_action_changes_only_its_call(operation: str, uapi_calls: CallProvisioner) -> None:
    requirement = requirement_for("isolation", operation).id
    state = CONTRACT.operations[operation].state
    acted, other = uapi_calls.make(state), uapi_calls.make(state)
    other_before = uapi_calls.read(other.id)
    views_before = _other_views(uapi_calls.read_call(acted.id), acted.view_id)
    performed = perform(uapi_calls, operation, call=acted)
    require_accepted(performed)
    # The acted call's own effect first: whatever the server does to the other call it has
    # done by then, however late it applies changes (D31).
    effect = effect_of(performed)
    acted_after = uapi_calls.wait_for(lambda: uapi_calls.read_call(acted.id), effect.reached)
    unchanged_call(uapi_calls, other, other_before, performed.exchange, requirement)
    if operation == "OffHold":
        views_after = _other_views(acted_after, acted.view_id)
        checks.require(
            views_after == views_before,
            CheckFailure(
                title="OffHold changed another view of the call",
                expected=f"the views other than {acted.view_id!r} unchanged: {views_before}",
                received=f"{views_after}",
                requirements=(requirement,),
                exchange=performed.exchange,
            ),
        )


_HANGUP = CONTRACT.requirement("hangup.isolation")


@pytest.mark.parametrize("requirement", [param(_HANGUP, id="DELETE", requirements=(_HANGUP.id,))])
def test_hang_up_ends_only_its_call(requirement: Requirement, uapi_calls: CallProvisioner) -> None:
    ended, other = uapi_calls.make("on_call"), uapi_calls.make("on_call")
    other_before = uapi_calls.read(other.id)
    exchange = uapi_calls.hang_up(ended.id)
    if not exchange.accepted:
        skip_precondition("hanging up a call was refused (see test_hang_up)", exchange)
    caller = uapi_calls.target.caller
    uapi_calls.wait_for(lambda: uapi_calls.list_ids(caller), lambda ids: ended.id not in ids)
    unchanged_call(uapi_calls, other, other_before, exchange, requirement.id)
    listed = uapi_calls.list_ids(caller)
    checks.require(
        listed is not None and other.id in listed,
        CheckFailure(
            title="Hanging up one call ended another",
            expected=f"call {other.id} still listed for {caller}",
            received="it is gone" if listed is not None else "no List",
            requirements=(requirement.id,),
            exchange=uapi_calls.client.last,
        ),
    )
