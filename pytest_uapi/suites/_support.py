"""What the suites share: parameters from the contract data, performing an operation, and the
state snapshots that D24 (effects) and D27 (no side effects) compare.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from pytest_uapi.checking import checks
from pytest_uapi.checking.marks import covers
from pytest_uapi.checking.provision import (
    SETTLE_INTERVAL,
    SETTLE_SECONDS,
    Call,
    CallProvisioner,
    skip_precondition,
)
from pytest_uapi.checking.request_spec import REMOVE, RequestSpec, build
from pytest_uapi.contract import Requirement, load_contract
from pytest_uapi.transport.exchange import Exchange

CONTRACT = load_contract()
OPERATIONS = tuple(CONTRACT.operations)
ACTIONS = tuple(name for name, op in CONTRACT.operations.items() if op.is_action)


def param(*values: Any, id: str, requirements: Iterable[str]) -> Any:
    return pytest.param(*values, id=id, marks=covers(*requirements))


def requirement_for(slug_suffix: str, operation: str) -> Requirement:
    """The per-operation requirement ``<slug>.<suffix>`` (e.g. ``transfer.ack``)."""
    return CONTRACT.requirement(f"{CONTRACT.operations[operation].slug}.{slug_suffix}")


def success_statuses(operation: str, profile: Any) -> tuple[int, ...]:
    statuses: tuple[int, ...] = (
        profile.action_statuses
        if CONTRACT.operations[operation].is_action
        else profile.make_call_statuses
    )
    return statuses


def cause_change(requirement: Requirement, cause_name: str) -> dict[str, Any]:
    cause = next(c for c in requirement.causes if c.name == cause_name)
    return {cause.field: REMOVE if cause.remove else cause.value}


@dataclass
class Performed:
    """An operation sent to the target: the call it acted on, the request, the exchange."""

    call: Call | None
    spec: RequestSpec
    exchange: Exchange

    @property
    def status(self) -> int:
        assert self.exchange.response is not None
        return self.exchange.response.status_code

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300


def prepare(
    calls: CallProvisioner,
    operation: str,
    change: Mapping[str, Any] | None = None,
    state: str | None = None,
    *,
    bulk: bool = False,
) -> tuple[Call | None, RequestSpec]:
    """The call the operation acts on (if any) and the request to send, with ``change``."""
    op = CONTRACT.operations[operation]
    state = state or op.state
    call = calls.make(state) if state and not bulk else None
    values = calls.values(call)
    spec = build(op, values, bulk=bulk).with_changes(change or {}, values)
    return call, spec


def perform(
    calls: CallProvisioner,
    operation: str,
    change: Mapping[str, Any] | None = None,
    state: str | None = None,
) -> Performed:
    call, spec = prepare(calls, operation, change, state)
    exchange = calls.send(spec)
    if operation == "MakeCall":
        calls.adopt(exchange)  # whatever it created is hung up at teardown
    return Performed(call, spec, exchange)


def require_accepted(performed: Performed, operation: str) -> None:
    """Flow checks need a success answer first; without one they cannot run."""
    if not performed.accepted:
        skip_precondition(
            f"the {operation} request was not accepted (see test_success)", performed.exchange
        )


# -- numbers and effects (D24) ----------------------------------------------------------------


def same_number(a: str, b: str) -> bool:
    """Equal numbers, counting a short extension equal to its extended form (D6, D18)."""
    if a == b:
        return True
    short_a, short_b = a.rsplit("*", 1)[-1], b.rsplit("*", 1)[-1]
    return ("*" in a) != ("*" in b) and short_a == short_b


def numbers_in(call: Mapping[str, Any]) -> list[str]:
    numbers: list[str] = []
    views = call.get("phoneCallView")
    for view in views if isinstance(views, list) else []:
        if isinstance(view, dict):
            for key in ("source", "destination"):
                value = view.get(key)
                if isinstance(value, list):
                    numbers += [str(n) for n in value]
    return numbers


def takes_part(number: str, call: Mapping[str, Any]) -> bool:
    return any(same_number(number, n) for n in numbers_in(call))


def wait_for(
    read: Callable[[], dict[str, Any] | None],
    reached: Callable[[dict[str, Any]], bool],
) -> dict[str, Any] | None:
    """Read until ``reached`` holds (bounded: a 202 may apply its effect a moment later)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        body = read()
        if body is not None and reached(body):
            return body
        if time.monotonic() > deadline:
            return body
        time.sleep(SETTLE_INTERVAL)


# -- snapshots for D27 -------------------------------------------------------------------------


def snapshot(calls: CallProvisioner, call: Call | None) -> Any:
    """What a rejected request must leave as it was (D27): the call acted on, or for making
    calls, the ids of the caller's calls."""
    if call is not None:
        return calls.read(call.id)
    ids = calls.list_ids(calls.target.caller)
    if ids is None:
        skip_precondition("listing the caller's calls failed", calls.client.last)
    return sorted(ids or [])


def marker_of(spec: RequestSpec) -> str:
    """A value only this test's make-call request carries: its nonce, or (when the nonce is the
    field at fault) its callerId. Other tests' calls on a shared target never carry it."""
    body = spec.body if isinstance(spec.body, dict) else {}
    nonce = body.get("nonce")
    if isinstance(nonce, str) and nonce:
        return nonce
    views = body.get("phoneCallView") or [{}]
    return str(views[0].get("callerId"))


def new_marked_calls(
    calls: CallProvisioner, before: list[str], after: list[str], marker: str
) -> list[str]:
    """Calls that appeared between two listings and carry ``marker``: made by our request."""
    made = []
    for call_id in sorted(set(after) - set(before)):
        body = calls.read_call(call_id)
        if body is None:
            continue
        views = body.get("phoneCallView")
        caller_ids = (
            [v.get("callerId") for v in views if isinstance(v, dict)]
            if isinstance(views, list)
            else []
        )
        if body.get("nonce") == marker or marker in caller_ids:
            made.append(call_id)
    return made


def expect_rejection(
    calls: CallProvisioner,
    operation: str,
    change: Mapping[str, Any] | None,
    statuses: Iterable[int],
    codes: tuple[str, ...] | None,
    requirement: str,
    *,
    auth: bool | str = True,
    headers: Mapping[str, str] | None = None,
    content: bytes | None = None,
) -> None:
    """Send ``operation`` with ``change``: it must be refused with one of ``statuses``, the D25
    error body and (when given) one of ``codes``, and leave everything as it was (D27)."""
    call, spec = prepare(calls, operation, change)
    before = snapshot(calls, call)
    exchange = calls.send(spec, auth=auth, headers=headers, content=content)
    if call is None:
        calls.adopt(exchange)  # a server that made the call anyway: hang it up at teardown
    checks.error_answer(exchange, tuple(statuses), codes, requirement)
    after = snapshot(calls, call)
    if call is None:
        made = new_marked_calls(calls, before, after, marker_of(spec))
        checks.unchanged([], made, exchange, "the calls of the caller's extension")
    else:
        checks.unchanged(before, after, exchange, "the call")
