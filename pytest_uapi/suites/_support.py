"""What the suites share: parameters from the contract data, performing an operation, the
effects D24 names, the self-link check (D21, D22), and the state snapshots that D27 (no side
effects) compares.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from pytest_uapi.checking import checks
from pytest_uapi.checking.marks import covers
from pytest_uapi.checking.preconditions import skip_precondition
from pytest_uapi.checking.provision import (
    Call,
    CallProvisioner,
    extract_call,
    self_link,
    status_text,
)
from pytest_uapi.checking.request_spec import RequestSpec, build
from pytest_uapi.contract import Profile, Requirement, load_contract
from pytest_uapi.transport.exchange import CheckFailure, Exchange

CONTRACT = load_contract()
OPERATIONS = tuple(CONTRACT.operations)
ACTIONS = tuple(name for name, op in CONTRACT.operations.items() if op.is_action)
ON_CALL = CONTRACT.support.view_status["on_call"]
RINGING = CONTRACT.support.view_status["ringing"]


def param(*values: Any, id: str, requirements: Iterable[str]) -> Any:
    """A test parameter carrying the requirements it proves, each checked against the contract."""
    return pytest.param(*values, id=id, marks=covers(*CONTRACT.ids(*requirements)))


def requirement_for(slug_suffix: str, operation: str) -> Requirement:
    """The per-operation requirement ``<slug>.<suffix>`` (e.g. ``transfer.ack``)."""
    return CONTRACT.requirement(f"{CONTRACT.operations[operation].slug}.{slug_suffix}")


def success_statuses(operation: str, profile: Profile) -> tuple[int, ...]:
    if CONTRACT.operations[operation].is_action:
        return profile.action_statuses
    return profile.make_call_statuses


@dataclass
class Performed:
    """An operation sent to the target: the call it acted on, the request, the exchange."""

    operation: str
    call: Call | None
    spec: RequestSpec
    exchange: Exchange

    @property
    def status(self) -> int:
        return self.exchange.status

    @property
    def accepted(self) -> bool:
        return self.exchange.accepted


def prepare(
    calls: CallProvisioner,
    operation: str,
    changes: Mapping[str, Any] | None = None,
    state: str | None = None,
    *,
    bulk: bool = False,
    call: Call | None = None,
    extra: Mapping[str, Any] | None = None,
) -> tuple[Call | None, RequestSpec]:
    """The call the operation acts on (``call``, or a new one in the operation's state) and the
    request to send, with ``changes`` applied (placeholders filled, ``extra`` values too)."""
    op = CONTRACT.operations[operation]
    state = state or op.state
    if call is None and state and not bulk:
        call = calls.make(state)
    values = {**calls.values(call), **(extra or {})}
    spec = build(op, values, bulk=bulk).with_changes(changes or {}, values)
    return call, spec


def perform(
    calls: CallProvisioner,
    operation: str,
    changes: Mapping[str, Any] | None = None,
    state: str | None = None,
    *,
    call: Call | None = None,
) -> Performed:
    call, spec = prepare(calls, operation, changes, state, call=call)
    exchange = calls.send(spec)
    if operation == "MakeCall":
        calls.adopt(exchange)  # whatever it created is hung up at teardown
    return Performed(operation, call, spec, exchange)


def require_accepted(performed: Performed) -> None:
    """Flow checks need a success answer first; without one they cannot run."""
    if not performed.accepted:
        skip_precondition(
            f"the {performed.operation} request was not accepted (see test_success)",
            performed.exchange,
        )


# -- numbers and effects (D24) ----------------------------------------------------------------


def _digits(number: str) -> str:
    # A leading + is the international form of the same digits (D8); compare without it.
    return number[1:] if number.startswith("+") else number


def same_number(a: str, b: str) -> bool:
    """Equal numbers, counting a short extension equal to its extended form (D6, D18) and a
    number equal to itself with a leading + (D8)."""
    a, b = _digits(a), _digits(b)
    if a == b:
        return True
    short_a, short_b = a.rsplit("*", 1)[-1], b.rsplit("*", 1)[-1]
    return ("*" in a) != ("*" in b) and short_a == short_b


def numbers_in(call: Mapping[str, Any]) -> list[str]:
    numbers: list[str] = []
    for view in views_of(call):
        for key in ("source", "destination"):
            value = view.get(key)
            if isinstance(value, list):
                numbers += [str(n) for n in value]
    return numbers


def views_of(call: Mapping[str, Any]) -> list[dict[str, Any]]:
    views = call.get("phoneCallView")
    return [v for v in views if isinstance(v, dict)] if isinstance(views, list) else []


def takes_part(number: str, call: Mapping[str, Any]) -> bool:
    return any(same_number(number, n) for n in numbers_in(call))


@dataclass(frozen=True)
class Effect:
    """What a successful operation must make visible in its call (D24)."""

    reached: Callable[[dict[str, Any]], bool]
    expected: str


def effect_of(performed: Performed) -> Effect:
    """The visible effect of ``performed``, from its operation's ``effect`` in the contract."""
    op = CONTRACT.operations[performed.operation]
    body = performed.spec.body
    if op.effect == "send_call_to_visible":
        target = str(body["sendCallTo"])
        return Effect(
            lambda call: takes_part(target, call), f"{target} in a view's source or destination"
        )
    if op.effect == "off_hold":
        view_id = performed.call.view_id if performed.call else ""

        def off_hold(call: dict[str, Any]) -> bool:
            return any(
                str(v.get("id")) == view_id
                and v.get("onHold") is None
                and status_text(v) == ON_CALL
                for v in views_of(call)
            )

        return Effect(off_hold, f"view {view_id!r} without onHold and with status {ON_CALL}")
    view = body["phoneCallView"][0]  # call_made, the only other effect the contract allows
    nonce = body.get("nonce")

    def made(call: dict[str, Any]) -> bool:
        numbers = numbers_in(call)
        return (
            all(any(same_number(d, n) for n in numbers) for d in view["destination"])
            and any(any(same_number(s, n) for n in numbers) for s in view["source"])
            and (nonce is None or call.get("nonce") == nonce)
        )

    expected = f"destination {view['destination']} and one of source {view['source']}"
    return Effect(made, expected + (f" and nonce {nonce!r}" if nonce is not None else ""))


def acted_call_id(calls: CallProvisioner, performed: Performed) -> str:
    """The id of the call ``performed`` acted on or made (a skip when a made call has none)."""
    if performed.call is not None:
        return performed.call.id
    ids = calls.adopted(performed.exchange)
    if not ids:
        skip_precondition("the make-call answer names no call id (see test_acknowledgement)")
    return ids[0]


def check_effect(calls: CallProvisioner, performed: Performed, requirement: str) -> None:
    """The operation's effect shows in its call, within the settle bound (D24, D31)."""
    call_id = acted_call_id(calls, performed)
    effect = effect_of(performed)
    body = performed.spec.body
    if performed.call is not None and performed.operation != "OffHold":
        target = str(body.get("sendCallTo", ""))
        if target and takes_part(target, performed.call.body):
            skip_precondition(f"{target} already took part in the call before the request")
    seen = calls.wait_for(lambda: calls.read_call(call_id), effect.reached)
    checks.require(
        seen is not None and effect.reached(seen),
        CheckFailure(
            title="Effect not visible",
            expected=effect.expected,
            received=f"the call as listed: {seen!r}" if seen is not None else "no call to read",
            requirements=(requirement,),
            exchange=calls.client.last,
        ),
    )


# -- acknowledgements and the self link (D15, D20, D21, D22) -----------------------------------


def acknowledgements(performed: Performed, requirement: str) -> list[Any]:
    """The acknowledgements in the answer: an array for making calls (D20), else one object."""
    body = checks.json_body(performed.exchange)
    if CONTRACT.operations[performed.operation].is_action:
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


def check_self_link(
    calls: CallProvisioner, profile: Profile, performed: Performed, requirement: str
) -> None:
    """The answer's self link answers 200 with the acknowledged PhoneCall (D21, D22)."""
    ack_requirement = requirement_for("ack", performed.operation).id
    acks = acknowledgements(performed, ack_requirement)
    ack = acks[0] if isinstance(acks[0], dict) else {}
    call_id = ack.get("id")
    if not isinstance(call_id, str):
        skip_precondition("the acknowledgement names no call id (see test_acknowledgement)")
    link = self_link(ack)
    if link is None:
        if "phoneCallView" in ack and profile.full_phonecall_in_200:
            # D15: a 200 may carry the whole PhoneCall; it is then its own answer to check.
            checks.schema(ack, "phonecall", requirement, performed.exchange, "Malformed PhoneCall")
            return
        skip_precondition("the acknowledgement has no self link (see test_acknowledgement)")
    exchange = calls.client.request("GET", link)
    checks.status(exchange, (200,), requirement, title="Self link does not answer 200")
    body = checks.json_body(exchange)
    checks.schema(
        body, profile.self_schema, requirement, exchange, "Malformed PhoneCall from the self link"
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


# -- snapshots for D27 -------------------------------------------------------------------------


def snapshot(calls: CallProvisioner, call: Call | None) -> Any:
    """What a rejected request must leave as it was (D27): the call acted on, or for making
    calls, the ids of the caller's calls."""
    if call is not None:
        return calls.read(call.id)
    entries = calls.list_entries(calls.target.caller)
    if entries is None:
        skip_precondition("listing the caller's calls failed", calls.client.last)
    return {str(entry.get("id")): entry for entry in entries or []}


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
    calls: CallProvisioner,
    before: Mapping[str, Any],
    after: Mapping[str, Mapping[str, Any]],
    marker: str,
) -> list[str]:
    """Calls that appeared between two listings (``snapshot``: entries by id) and carry
    ``marker``: made by our request. A listed entry that shows the call's nonce and views
    answers that itself; others are read (on a shared target, the new calls are mostly other
    workers')."""
    made = []
    for call_id in sorted(set(after) - set(before)):
        entry = after[call_id]
        body = entry if "nonce" in entry and "phoneCallView" in entry else calls.read_call(call_id)
        if body is None:
            continue
        caller_ids = [v.get("callerId") for v in views_of(body)]
        if body.get("nonce") == marker or marker in caller_ids:
            made.append(call_id)
    return made


def unchanged_call(
    calls: CallProvisioner, call: Call, before: Any, exchange: Exchange, requirement: str
) -> None:
    """The call reads as it did before (documented fields only, D27, D36)."""
    checks.unchanged(
        before,
        calls.read(call.id),
        exchange,
        f"call {call.id}",
        title="Another call changed",
        requirement=requirement,
    )


def expect_rejection(
    calls: CallProvisioner,
    operation: str,
    changes: Mapping[str, Any] | None,
    statuses: Iterable[int],
    codes: tuple[str, ...] | None,
    requirement: str,
    *,
    auth: bool | str = True,
    headers: Mapping[str, str] | None = None,
    content: bytes | None = None,
    extra: Mapping[str, Any] | None = None,
) -> None:
    """Send ``operation`` with ``changes``: it must be refused with one of ``statuses``, the D25
    error body and (when given) one of ``codes``, and leave everything as it was (D27)."""
    call, spec = prepare(calls, operation, changes, extra=extra)
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
