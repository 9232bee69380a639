"""Sequences with an oracle: seeded random runs of the whole API, judged by the reference model.

Every other test is one short story (make a call, do one thing, look, hang up). Servers break in
the middle of longer ones: the second call of an extension, an action after a hold, a hang-up
while another call rings, an id reused after a hang-up, state that drifts after a refusal. Here
Hypothesis' stateful testing draws sequences of documented requests over several calls at once:
making calls to every kind of destination, Transfer, TransferToVoicemail, PickUp, OnHold/OffHold,
hang-ups, reads of a call, and invalid requests in between (the contract's single-field faults,
another user's token, a call that is gone).

The oracle is the reference server, in-process, on the reference dataset: each step goes to it
too, in that dataset's numbers. Its answer says what the target's must be (a success, or that
error code), and after every step the target's calls must read as the oracle's do, on what the
contract defines: which of them the caller's List shows, which ring, are answered, are on hold
(and which the ringing terminal's List shows while they ring there), and the numbers the
documents make visible (D24). Call and view ids are mapped, timestamps and fields the documents
do not name are ignored, every reading the profile allows is accepted, and a target that settles
a moment later is waited for (D31).

A failing sequence is shrunk by Hypothesis to a shortest one and reported as numbered steps with
a curl line each; ``--uapi-seed`` reproduces it.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule

from pytest_uapi.checking.provision import extract_call, poll_intervals, status_text
from pytest_uapi.checking.request_spec import RequestSpec, build
from pytest_uapi.contract import Cause, Contract, Profile, Requirement
from pytest_uapi.settings.target import Target
from pytest_uapi.transport.client import UapiClient
from pytest_uapi.transport.curl import curl_command
from pytest_uapi.transport.exchange import CheckFailure, Exchange

MAX_LIVE = 4
"""Calls a sequence keeps at once: enough for every kind of neighbour a call can have."""
STATE = "sequence.state"
CALLEES = ("public", "colleague", "ringing", "second_public")
TRANSFER_TO = ("colleague", "public")
PICK = st.integers(0, 15)


@dataclass(frozen=True)
class Side:
    """One server a step goes to: the target, or the oracle (the reference, in-process)."""

    name: str
    client: UapiClient
    target: Target
    second_token: str | None


@dataclass(frozen=True)
class Observed:
    """A call as the caller's List shows it, in the contract's terms only."""

    listed: bool
    ringing: bool = False
    answered: bool = False
    held: bool = False
    numbers: tuple[str, ...] = ()
    ringing_view: str | None = None
    answered_view: str | None = None
    held_view: str | None = None

    @property
    def state(self) -> tuple[bool, bool, bool, bool]:
        return (self.listed, self.ringing, self.answered, self.held)

    def describe(self) -> str:
        if not self.listed:
            return "not listed"
        flags = [n for n, on in (("ringing", self.ringing), ("answered", self.answered)) if on]
        flags += ["on hold"] if self.held else []
        return f"listed, {', '.join(flags) or 'neither ringing nor answered'}"


def observe(entry: Mapping[str, Any] | None, statuses: Mapping[str, str]) -> Observed:
    if entry is None:
        return Observed(listed=False)
    views = [v for v in entry.get("phoneCallView") or [] if isinstance(v, dict)]
    ringing = [v for v in views if status_text(v) == statuses["ringing"]]
    answered = [v for v in views if status_text(v) == statuses["on_call"]]
    held = [v for v in views if v.get("onHold")]
    numbers = tuple(
        str(n)
        for v in views
        for key in ("source", "destination")
        if isinstance(v.get(key), list)
        for n in v[key]
    )
    free = [v for v in answered if not v.get("onHold")]
    return Observed(
        listed=True,
        ringing=bool(ringing),
        answered=bool(answered),
        held=bool(held),
        numbers=numbers,
        ringing_view=str(ringing[0].get("id")) if ringing else None,
        answered_view=str(free[0].get("id")) if free else None,
        held_view=str(held[0].get("id")) if held else None,
    )


@dataclass
class Tracked:
    """A call of the sequence, as both sides know it."""

    label: str
    ids: dict[str, str]
    """Its id on each side."""
    visible: str | None = None
    """The role whose number the documents make visible in it now (D24)."""
    gone: bool = False


@dataclass
class Step:
    number: int
    what: str
    exchange: Exchange | None = None
    outcome: str = ""


@dataclass
class Timing:
    """How long the target may take to agree with the oracle, and how long shrinking may take.

    Until a sequence has failed, every step waits up to the settle bound (D31). Shrinking then
    replays many shorter sequences, most of which fail the same way; waiting out the full bound
    in each would take minutes against a slow target. So while shrinking, a mismatch is called
    after three times the longest the target ever took to agree (at least a tenth of a second); the
    final replay of the shortest sequence, the one reported, waits the full bound again.
    """

    settle: float
    longest: float = 0.0
    failed_at: float | None = None

    @staticmethod
    def final() -> bool:
        from hypothesis.control import current_build_context

        return bool(current_build_context().is_final)

    def bound(self) -> float:
        if self.failed_at is None or self.final():
            return self.settle
        return min(self.settle, max(0.1, 3 * self.longest))


@dataclass(frozen=True)
class World:
    """What every sequence of one test shares: both sides, the contract, the settle wait."""

    target: Side
    oracle: Side
    contract: Contract
    profile: Profile
    timing: Timing
    secrets: tuple[str, ...]
    faults: tuple[tuple[Requirement, str, Cause], ...] = field(default=())

    @property
    def sides(self) -> tuple[Side, Side]:
        return (self.oracle, self.target)


def faults_of(contract: Contract) -> tuple[tuple[Requirement, str, Cause], ...]:
    """The contract's single-field faults a sequence can send on the spot (no set-up)."""
    return tuple(
        (requirement, operation, cause)
        for requirement in contract.by_category("error")
        if requirement.code
        for operation in requirement.operations
        for cause in requirement.causes
        if cause.needs is None
    )


def _acknowledged(exchange: Exchange) -> list[str]:
    """The ids of the calls a make-call answer acknowledges (none unless it is a 2xx)."""
    body = exchange.json() if exchange.accepted else None
    acks = body if isinstance(body, list) else [body]
    return [str(a["id"]) for a in acks if isinstance(a, dict) and isinstance(a.get("id"), str)]


def _digits(number: str) -> str:
    return number.removeprefix("+")


def _same(a: str, b: str) -> bool:
    a, b = _digits(a), _digits(b)
    return a == b or (("*" in a) != ("*" in b) and a.rsplit("*", 1)[-1] == b.rsplit("*", 1)[-1])


class SequenceMachine(RuleBasedStateMachine):
    """One sequence: its calls on both sides, its steps, and the comparison after each step.

    Hypothesis builds a machine per sequence from the class; ``for_world`` makes the class that
    knows the test's ``World``.
    """

    world: World

    @classmethod
    def for_world(cls, world: World) -> type[SequenceMachine]:
        return type(f"{cls.__name__}InTest", (cls,), {"world": world})

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[Tracked] = []
        self.steps: list[Step] = []
        self.seen: dict[str, dict[str, Observed]] = {"oracle": {}, "target": {}}
        self.strays: list[str] = []
        """Target calls made by requests the oracle refused: hung up at teardown."""
        self._counter = itertools.count(1)
        # Hypothesis runs the failing sequence last, shrunk: the report keeps that one sequence's
        # exchanges, not the thousands its search sent (memory stays bounded by one sequence).
        for side in (self.world.target, self.world.oracle):
            side.client.exchanges.clear()

    # -- what there is to act on ---------------------------------------------------------

    def live(self) -> list[Tracked]:
        return [c for c in self.calls if not c.gone]

    def gone(self) -> list[Tracked]:
        return [c for c in self.calls if c.gone]

    def where(self, predicate: Callable[[Observed], bool]) -> list[Tracked]:
        """Live calls whose oracle reading satisfies ``predicate`` (the oracle settles at once)."""
        seen = self.seen["oracle"]
        return [c for c in self.live() if c.label in seen and predicate(seen[c.label])]

    def free(self) -> list[Tracked]:
        return self.where(lambda o: o.answered and not o.held and not o.ringing)

    def ringing(self) -> list[Tracked]:
        return self.where(lambda o: o.ringing)

    def on_hold(self) -> list[Tracked]:
        return self.where(lambda o: o.held)

    # -- sending -----------------------------------------------------------------------

    def _values(self, side: Side, call: Tracked | None, view: str | None) -> dict[str, Any]:
        values: dict[str, Any] = dict(side.target.roles())
        number = next(self._counter)
        values["nonce"] = f"sequence-nonce-{number}"
        values["caller_id"] = f"Sequence Step {number} <{side.target.caller}>"
        values["call_id"] = call.ids[side.name] if call is not None else "0"
        values["view_id"] = view or "01"
        return values

    def _spec(
        self,
        side: Side,
        operation: str,
        call: Tracked | None,
        changes: Mapping[str, Any],
        view: Callable[[Observed], str | None] | None = None,
    ) -> RequestSpec:
        observed = self.seen[side.name].get(call.label) if call is not None else None
        values = self._values(side, call, view(observed) if view and observed else None)
        return build(self.world.contract.operations[operation], values).with_changes(
            dict(changes), values
        )

    def _call_path(self, side: Side, call: Tracked) -> str:
        roles = side.target.roles()
        return self.world.contract.support.call_path.format(
            userId=roles["user_id"], extension=roles["caller"], phoneCallId=call.ids[side.name]
        )

    def _on_call(self, side: Side, method: str, call: Tracked) -> Exchange:
        return side.client.request(method, self._call_path(side, call))

    def _send(self, side: Side, spec: RequestSpec, auth: bool | str = True) -> Exchange:
        kwargs: dict[str, Any] = {"params": dict(spec.params) or None, "auth": auth}
        if spec.body is not None:
            kwargs["json"] = spec.body
        return side.client.request(spec.method, spec.path, **kwargs)

    # -- judging -----------------------------------------------------------------------

    def _fail(self, title: str, expected: str, received: str, *requirements: str) -> NoReturn:
        if self.world.timing.failed_at is None:
            self.world.timing.failed_at = time.monotonic()
        details = ["", "The sequence, shrunk to a shortest one that fails:"]
        for step in self.steps:
            details.append(f"  {step.number}. {step.what}: {step.outcome}")
            if step.exchange is not None:
                details.append(f"       {curl_command(step.exchange.request, self.world.secrets)}")
        raise CheckFailure(
            title=f"Step {len(self.steps)} of the sequence: {title}",
            expected=expected,
            received=received,
            requirements=tuple(dict.fromkeys((*requirements, STATE))),
            exchange=self.steps[-1].exchange if self.steps else None,
            details=tuple(details),
        )

    @staticmethod
    def _answer(exchange: Exchange) -> str:
        body = exchange.json()
        error = body.get("error") if isinstance(body, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        return f"{exchange.status} {code}" if code else str(exchange.status)

    def _accepted_codes(self, operation: str | None, code: str) -> tuple[str, ...]:
        if operation is not None:
            for requirement in self.world.contract.errors_of(operation):
                if requirement.code == code:
                    return requirement.accepted_codes(self.world.profile.name)
        return (code,)

    def _judge(
        self,
        what: str,
        oracle: Exchange,
        target: Exchange,
        *,
        operation: str | None,
        success: Sequence[int],
        requirement: str,
        any_refusal: bool = False,
    ) -> None:
        """The target's answer is of the oracle's class: a success, or the same refusal."""
        step = Step(len(self.steps) + 1, what, target, self._answer(target))
        self.steps.append(step)
        if oracle.accepted:
            if target.status not in success:
                step.outcome += f" (expected {' or '.join(map(str, success))})"
                self._fail(
                    f"{what} refused",
                    " or ".join(map(str, success)),
                    self._answer(target),
                    requirement,
                )
            return
        expected_code = str((oracle.json() or {}).get("error", {}).get("code", ""))
        if any_refusal:
            if not 400 <= target.status < 500:
                step.outcome += " (expected a 4xx)"
                self._fail(f"{what} not refused", "a 4xx", self._answer(target), requirement)
            return
        codes = self._accepted_codes(operation, expected_code)
        body = target.json()
        error = body.get("error") if isinstance(body, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        if target.status != oracle.status or code not in codes:
            expected = f"{oracle.status} {' or '.join(codes)}"
            step.outcome += f" (expected {expected})"
            self._fail(f"{what}: wrong answer", expected, self._answer(target), requirement)

    def _read(self, side: Side) -> tuple[dict[str, Observed], set[str]] | None:
        """Each call as the caller's List shows it, and the ones the ringing terminal lists."""
        support = self.world.contract.support
        roles = side.target.roles()
        readings = []
        for extension in (roles["caller"], roles["ringing"]):
            path = support.list_path.format(userId=roles["user_id"], extension=extension)
            body = side.client.request("GET", path).json()
            if not isinstance(body, dict) or not isinstance(body.get("entry"), list):
                return None
            readings.append(body)
        statuses = support.view_status
        seen = {
            c.label: observe(extract_call(readings[0], c.ids[side.name]), statuses)
            for c in self.calls
        }
        at_ringing = {str(e.get("id")) for e in readings[1]["entry"] if isinstance(e, dict)}
        return seen, {c.label for c in self.calls if c.ids[side.name] in at_ringing}

    def _mismatches(
        self,
        oracle: tuple[dict[str, Observed], set[str]],
        target: tuple[dict[str, Observed], set[str]] | None,
    ) -> list[tuple[Tracked, str, str]]:
        """(call, expected, received) for each call the target shows otherwise."""
        if target is None:
            return [
                (c, "a List", "no List of the caller or the ringing terminal") for c in self.calls
            ]
        found = []
        roles = self.world.target.target.roles()
        for call in self.calls:
            want, got = oracle[0][call.label], target[0][call.label]
            if want.state != got.state:
                found.append((call, want.describe(), got.describe()))
                continue
            if want.ringing and call.label not in target[1]:
                found.append((call, "listed by the ringing terminal", "not listed there"))
            elif want.listed and call.visible is not None:
                number = roles[call.visible]
                if not any(_same(number, n) for n in got.numbers):
                    found.append((call, f"{number} taking part (D24)", f"numbers {got.numbers}"))
        return found

    def _settle(self, acted: Tracked | None, effect: str, isolation: str) -> None:
        """After a step: the target's calls read as the oracle's, within the settle bound."""
        oracle = self._read(self.world.oracle)
        assert oracle is not None, "the reference server lists its calls"
        timing = self.world.timing
        started = time.monotonic()
        deadline = started + timing.bound()
        for interval in poll_intervals():
            sent = time.monotonic()
            reading = self._read(self.world.target)
            problems = self._mismatches(oracle, reading)
            if not problems or sent >= deadline:
                break
            # The last reading is sent once the bound has passed (see CallProvisioner.wait_for).
            time.sleep(max(0.0, min(interval, deadline - time.monotonic())))
        if not problems:
            timing.longest = max(timing.longest, time.monotonic() - started)
        self.seen["oracle"] = oracle[0]
        if reading is not None:
            self.seen["target"] = reading[0]
        if problems:
            call, expected, received = problems[0]
            requirement = effect if call is acted else isolation
            self.steps[-1].outcome += f" — then {call.label} {received}"
            self._fail(
                f"{call.label} is not as it should be",
                f"{call.label} {expected}",
                f"{call.label} {received}",
                requirement,
            )

    # -- the rules -----------------------------------------------------------------------

    @precondition(lambda self: len(self.live()) < MAX_LIVE)
    @rule(callee=st.sampled_from(CALLEES), user=st.sampled_from(("{user_id}", "@me")))
    def make_call(self, callee: str, user: str) -> None:
        label = f"call{len(self.calls) + 1}"
        change = {"path.userId": user, "body.phoneCallView.0.destination": [f"{{{callee}}}"]}
        exchanges = {}
        for side in self.world.sides:
            exchanges[side.name] = self._send(side, self._spec(side, "MakeCall", None, change))
        oracle, target = exchanges["oracle"], exchanges["target"]
        ids = {
            name: made[0]
            for name, exchange in exchanges.items()
            if (made := _acknowledged(exchange))
        }
        if "target" in ids and "oracle" not in ids:
            self.strays.append(ids["target"])
        self._judge(
            f"make a call from the caller to the {callee} ({label})",
            oracle,
            target,
            operation="MakeCall",
            success=self.world.profile.make_call_statuses,
            requirement="make_call.success",
        )
        if "oracle" not in ids:
            return
        if "target" not in ids:
            self._fail(
                "the made call names no id",
                "an acknowledgement with an id",
                "none",
                "make_call.ack",
            )
        call = Tracked(label, ids, visible=callee)
        self.calls.append(call)
        self._settle(call, "make_call.effect", STATE)

    @precondition(lambda self: bool(self.live()))
    @rule(pick=PICK)
    def hang_up(self, pick: int) -> None:
        call = self.live()[pick % len(self.live())]
        oracle = self.world.oracle.client.request(
            "DELETE", self._call_path(self.world.oracle, call)
        )
        target = self.world.target.client.request(
            "DELETE", self._call_path(self.world.target, call)
        )
        self._judge(
            f"hang up {call.label}",
            oracle,
            target,
            operation=None,
            success=self.world.profile.hangup_statuses,
            requirement="hangup.success",
        )
        call.gone = oracle.accepted
        self._settle(call, "hangup.effect", "hangup.isolation")

    def _act(
        self,
        operation: str,
        call: Tracked,
        changes: Mapping[str, Any],
        what: str,
        view: Callable[[Observed], str | None] | None = None,
        visible: str | None = None,
        certified: bool = True,
    ) -> None:
        # OnHold (D29) is sent as OffHold's request with its action changed; it is not certified,
        # so what goes wrong with it names the sequence requirement only.
        slug = self.world.contract.operations[operation].slug if certified else None
        exchanges = {
            side.name: self._send(side, self._spec(side, operation, call, changes, view))
            for side in self.world.sides
        }
        self._judge(
            what,
            exchanges["oracle"],
            exchanges["target"],
            operation=operation,
            success=self.world.profile.action_statuses,
            requirement=f"{slug}.success" if slug else STATE,
        )
        if exchanges["oracle"].accepted and visible is not None:
            call.visible = visible
        self._settle(
            call, f"{slug}.effect" if slug else STATE, f"{slug}.isolation" if slug else STATE
        )

    @precondition(lambda self: bool(self.free()))
    @rule(
        pick=PICK,
        action=st.sampled_from(("Transfer", "TransferToVoicemail")),
        to=st.sampled_from(TRANSFER_TO),
    )
    def transfer(self, pick: int, action: str, to: str) -> None:
        call = self.free()[pick % len(self.free())]
        self._act(
            action,
            call,
            {"body.sendCallTo": f"{{{to}}}"},
            f"{action} {call.label} to the {to}",
            visible=to,
        )

    @precondition(lambda self: bool(self.ringing()))
    @rule(pick=PICK)
    def pick_up(self, pick: int) -> None:
        call = self.ringing()[pick % len(self.ringing())]
        self._act(
            "PickUp",
            call,
            {},
            f"PickUp {call.label} at the colleague",
            view=lambda o: o.ringing_view,
            visible="colleague",
        )

    @precondition(lambda self: bool(self.free()))
    @rule(pick=PICK)
    def hold(self, pick: int) -> None:
        call = self.free()[pick % len(self.free())]
        body = dict(self.world.contract.support.onhold_body)
        changes = {f"body.{key}": value for key, value in body.items()}
        self._act(
            "OffHold",
            call,
            changes,
            f"OnHold {call.label}",
            view=lambda o: o.answered_view,
            certified=False,
        )

    @precondition(lambda self: bool(self.on_hold()))
    @rule(pick=PICK)
    def unhold(self, pick: int) -> None:
        call = self.on_hold()[pick % len(self.on_hold())]
        self._act("OffHold", call, {}, f"OffHold {call.label}", view=lambda o: o.held_view)

    @precondition(lambda self: bool(self.calls))
    @rule(pick=PICK)
    def read(self, pick: int) -> None:
        call = self.calls[pick % len(self.calls)]
        oracle, target = (self._on_call(side, "GET", call) for side in self.world.sides)
        state = "gone" if call.gone else "live"
        self._judge(
            f"read {call.label} ({state})",
            oracle,
            target,
            operation="Transfer",  # its pc_phonecall_invalid spellings (D7)
            success=(200,),
            requirement="make_call.self_link",
        )
        self._settle(None, STATE, STATE)

    @rule(choice=st.integers(0, 10_000))
    def invalid(self, choice: int) -> None:
        """One of the contract's single-field faults, on a call in the state its operation
        needs (or on a new call for MakeCall): refused with its code, nothing changed (D27)."""
        states: dict[str, list[Tracked | None]] = {
            "": [None],
            "on_call": [*self.free()],
            "on_call_internal": [*self.free()],
            "ringing": [*self.ringing()],
            "on_hold": [*self.on_hold()],
        }
        options = [
            (requirement, operation, cause, call)
            for requirement, operation, cause in self.world.faults
            for call in states.get(self.world.contract.operations[operation].state, [])[:1]
        ]
        if not options:
            return
        requirement, operation, cause, call = options[choice % len(options)]
        view = None
        if call is not None:
            view = {"ringing": lambda o: o.ringing_view, "on_hold": lambda o: o.held_view}.get(
                self.world.contract.operations[operation].state, lambda o: o.answered_view
            )
        exchanges = {
            side.name: self._send(side, self._spec(side, operation, call, cause.changes, view))
            for side in self.world.sides
        }
        if operation == "MakeCall":
            self.strays += _acknowledged(exchanges["target"])
        on = f" on {call.label}" if call is not None else ""
        self._judge(
            f"{operation}{on} with {cause.name} ({requirement.code})",
            exchanges["oracle"],
            exchanges["target"],
            operation=operation,
            success=(),
            requirement=requirement.id,
        )
        self._settle(None, "errors.no_side_effects", "errors.no_side_effects")

    @precondition(lambda self: bool(self.live()) and self.world.target.second_token is not None)
    @rule(pick=PICK)
    def other_user(self, pick: int) -> None:
        call = self.live()[pick % len(self.live())]
        exchanges = {
            side.name: self._send(
                side, self._spec(side, "Transfer", call, {}), auth=side.second_token or False
            )
            for side in self.world.sides
        }
        self._judge(
            f"Transfer {call.label} with the second user's token",
            exchanges["oracle"],
            exchanges["target"],
            operation=None,
            success=(),
            requirement="security.cross_user_call",
            any_refusal=True,
        )
        self._settle(None, "security.cross_user_call", "security.cross_user_call")

    @precondition(lambda self: bool(self.gone()))
    @rule(pick=PICK, action=st.sampled_from(("Transfer", "TransferToVoicemail")))
    def act_on_gone(self, pick: int, action: str) -> None:
        call = self.gone()[pick % len(self.gone())]
        exchanges = {
            side.name: self._send(side, self._spec(side, action, call, {}))
            for side in self.world.sides
        }
        slug = self.world.contract.operations[action].slug
        self._judge(
            f"{action} {call.label}, which is gone",
            exchanges["oracle"],
            exchanges["target"],
            operation=action,
            success=(),
            requirement=f"{slug}.error.pc_phonecall_invalid",
        )
        self._settle(None, STATE, STATE)

    def teardown(self) -> None:
        for side in self.world.sides:
            for call in self.live():
                side.client.request("DELETE", self._call_path(side, call))
        target = self.world.target
        roles = target.target.roles()
        for stray in self.strays:
            path = self.world.contract.support.call_path.format(
                userId=roles["user_id"], extension=roles["caller"], phoneCallId=stray
            )
            target.client.request("DELETE", path)
