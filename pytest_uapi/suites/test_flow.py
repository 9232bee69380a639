"""The 202-then-list flow (D15, D20-D24): the acknowledgement validates and names the call, its
self link answers 200 with that PhoneCall, and the action's effect is visible there."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_uapi.checking import checks
from pytest_uapi.checking.provision import (
    CallProvisioner,
    extract_call,
    self_link,
    skip_precondition,
    status_text,
)
from pytest_uapi.contract import Profile
from pytest_uapi.contract.schemas import ack_schema, self_schema
from pytest_uapi.suites._support import (
    CONTRACT,
    OPERATIONS,
    Performed,
    numbers_in,
    param,
    perform,
    require_accepted,
    requirement_for,
    same_number,
    takes_part,
    wait_for,
)
from pytest_uapi.transport.exchange import CheckFailure, Exchange


def _params(suffix: str, *more: str) -> list[Any]:
    return [
        param(op, id=op, requirements=(requirement_for(suffix, op).id, *more)) for op in OPERATIONS
    ]


def _acks(performed: Performed, operation: str, requirement: str) -> list[Any]:
    """The acknowledgements in the answer: an array for making calls (D20), else one object."""
    body = checks.json_body(performed.exchange)
    if CONTRACT.operations[operation].is_action:
        return [body]
    checks.require(
        isinstance(body, list) and len(body) >= 1,
        CheckFailure(
            title="Make-call answer is not an array of acknowledgements",
            expected="a JSON array with one acknowledgement per call",
            received=type(body).__name__ if not isinstance(body, list) else "an empty array",
            requirements=(requirement,),
            exchange=performed.exchange,
        ),
    )
    return list(body)


@pytest.mark.parametrize("operation", _params("ack", checks.JSON_BODY))
def test_acknowledgement(
    operation: str, uapi_calls: CallProvisioner, uapi_profile: Profile
) -> None:
    requirement = requirement_for("ack", operation).id
    performed = perform(uapi_calls, operation)
    require_accepted(performed, operation)
    name = ack_schema(uapi_profile.name, performed.status, uapi_profile.full_phonecall_in_200)
    for ack in _acks(performed, operation, requirement):
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


def _follow(uapi_calls: CallProvisioner, ack: dict[str, Any]) -> tuple[Exchange, str] | None:
    link = self_link(ack)
    if link is None:
        return None
    return uapi_calls.client.request("GET", link), link


@pytest.mark.parametrize("operation", _params("self_link", checks.JSON_BODY))
def test_self_link(operation: str, uapi_calls: CallProvisioner, uapi_profile: Profile) -> None:
    requirement = requirement_for("self_link", operation).id
    performed = perform(uapi_calls, operation)
    require_accepted(performed, operation)
    acks = _acks(performed, operation, requirement_for("ack", operation).id)
    ack = acks[0] if isinstance(acks[0], dict) else {}
    call_id = ack.get("id")
    if not isinstance(call_id, str):
        skip_precondition("the acknowledgement names no call id (see test_acknowledgement)")
    followed = _follow(uapi_calls, ack)
    if followed is None:
        if "phoneCallView" in ack and uapi_profile.full_phonecall_in_200:
            # D15: a 200 may carry the whole PhoneCall; it is then its own answer to check.
            checks.schema(ack, "phonecall", requirement, performed.exchange, "Malformed PhoneCall")
            return
        skip_precondition("the acknowledgement has no self link (see test_acknowledgement)")
    exchange, link = followed
    checks.status(exchange, (200,), requirement, title="Self link does not answer 200")
    body = checks.json_body(exchange)
    checks.schema(
        body,
        self_schema(uapi_profile.name),
        requirement,
        exchange,
        "Malformed PhoneCall from the self link",
    )
    checks.require(
        extract_call(body, call_id) is not None,
        CheckFailure(
            title="Self link does not show the acknowledged call",
            expected=f"the PhoneCall {call_id!r}",
            received=f"a body without it (GET {link})",
            requirements=(requirement,),
            exchange=exchange,
        ),
    )


@pytest.mark.parametrize("operation", _params("effect"))
def test_effect(operation: str, uapi_calls: CallProvisioner) -> None:
    requirement = requirement_for("effect", operation).id
    op = CONTRACT.operations[operation]
    performed = perform(uapi_calls, operation)
    require_accepted(performed, operation)
    call_id = performed.call.id if performed.call else uapi_calls.adopt(performed.exchange)
    if call_id is None:
        skip_precondition("the make-call answer names no call id (see test_acknowledgement)")
    body = performed.spec.body
    read = lambda: uapi_calls.read_call(call_id)  # noqa: E731
    if op.effect == "send_call_to_visible":
        target = str(body["sendCallTo"])
        if performed.call is not None and takes_part(target, performed.call.body):
            skip_precondition(f"{target} already took part in the call before {operation}")
        seen = wait_for(read, lambda call: takes_part(target, call))
        ok = seen is not None and takes_part(target, seen)
        expected = f"{target} in a view's source or destination"
    elif op.effect == "off_hold":
        view_id = performed.call.view_id if performed.call else ""
        on_call = CONTRACT.support.view_status["on_call"]

        def off_hold(call: dict[str, Any]) -> bool:
            views = [v for v in call.get("phoneCallView", []) if isinstance(v, dict)]
            return any(
                str(v.get("id")) == view_id
                and v.get("onHold") is None
                and status_text(v) == on_call
                for v in views
            )

        seen = wait_for(read, off_hold)
        ok = seen is not None and off_hold(seen)
        expected = f"view {view_id!r} without onHold and with status {on_call}"
    else:  # call_made
        view = body["phoneCallView"][0]

        def made(call: dict[str, Any]) -> bool:
            numbers = numbers_in(call)
            return (
                all(any(same_number(d, n) for n in numbers) for d in view["destination"])
                and any(any(same_number(s, n) for n in numbers) for s in view["source"])
                and call.get("nonce") == body["nonce"]
            )

        seen = wait_for(read, made)
        ok = seen is not None and made(seen)
        expected = (
            f"destination {view['destination']}, one of source {view['source']} "
            f"and nonce {body['nonce']!r}"
        )
    checks.require(
        ok,
        CheckFailure(
            title="Effect not visible",
            expected=expected,
            received=f"the call as listed: {seen!r}" if seen is not None else "no call to read",
            requirements=(requirement,),
            exchange=uapi_calls.client.last,
        ),
    )
