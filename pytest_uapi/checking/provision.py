"""The call provisioner: puts calls in the states the suites act on, with documented requests
only (make a call, D29 OnHold, GET), and hangs up every call it made (D28).

A precondition the target does not let us reach is a skip naming the step, never a pass: the
requirement behind the test is then "not tested" (``preconditions``). A target may settle a
moment after it accepted a request (D31): every wait here polls, quickly at first, up to the
settle bound (``--uapi-settle``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ..settings.options import DEFAULT_SETTLE
from .pool import CallPool, Pending
from .preconditions import Preconditions
from .request_spec import RequestSpec, build, fill

if TYPE_CHECKING:
    from faker import Faker

    from ..contract import Contract
    from ..parallel import RoleLock
    from ..settings.target import Target
    from ..transport.client import UapiClient
    from ..transport.exchange import Exchange

T = TypeVar("T")

# Polls come quickly at first (an effect is usually there at once, or within a round trip) and
# then every quarter second, so a slow target costs few requests and a fast one no waiting.
_POLL_INTERVALS = (0.01, 0.02, 0.05, 0.1, 0.15)
_POLL_INTERVAL = 0.25

# The make-call request for each state: which role is called (D-dataset: the public number and
# the colleague answer at once, the ringing terminal never does).
_CALLEE = {
    "on_call": "public",
    "on_call_internal": "colleague",
    "ringing": "ringing",
    "on_hold": "public",
    "on_hold_internal": "colleague",
}
STATES = tuple(_CALLEE)
"""The states ``make`` brings a call to."""


def poll_intervals() -> Iterator[float]:
    yield from _POLL_INTERVALS
    while True:
        yield _POLL_INTERVAL


def status_text(view: Mapping[str, Any]) -> str:
    return str(view.get("status"))


def self_link(ack: Mapping[str, Any]) -> str | None:
    """The acknowledgement's self link, under ``link`` or ``links`` (D15)."""
    for key in ("link", "links"):
        links = ack.get(key)
        if isinstance(links, dict) and isinstance(links.get("self"), str):
            return str(links["self"])
    return None


def extract_call(body: Any, call_id: str) -> dict[str, Any] | None:
    """The PhoneCall ``call_id`` from a PhoneCall body or a List collection (D22)."""
    if isinstance(body, dict) and isinstance(body.get("entry"), list):
        for entry in body["entry"]:
            if isinstance(entry, dict) and entry.get("id") == call_id:
                return entry
        return None
    if isinstance(body, dict) and body.get("id") == call_id:
        return body
    return None


def documented_view(call: Mapping[str, Any]) -> Any:
    """The parts of a PhoneCall the contract defines (D22, D24): what D27 compares.

    Fields a server may add (durations, timestamps it refreshes) are left out, so a conforming
    server is never failed for reporting more than the documents ask.
    """
    views = call.get("phoneCallView")
    documented = [
        {
            "id": v.get("id"),
            "source": v.get("source"),
            "destination": v.get("destination"),
            # D23: "5" and 5 are one status; D24: an absent onHold and a null one are one state
            "status": None if v.get("status") is None else str(v.get("status")),
            "onHold": bool(v.get("onHold")),
            "callerId": v.get("callerId"),
        }
        if isinstance(v, dict)
        else v
        for v in (views if isinstance(views, list) else [])
    ]
    return {
        "id": call.get("id"),
        "nonce": call.get("nonce"),
        # Views in id order: a server may list them in any order from one read to the next.
        "phoneCallView": sorted(
            documented, key=lambda v: str(v.get("id") if isinstance(v, dict) else v)
        ),
    }


def _view_order(view: Any) -> str:
    return str(view.get("id") if isinstance(view, dict) else view)


@dataclass
class Call:
    """A call the provisioner made and brought to ``state``."""

    id: str
    state: str
    view_id: str
    body: dict[str, Any]


class CallProvisioner:
    """Makes calls in a given state and cleans them up; see the ``uapi_calls`` fixture."""

    def __init__(
        self,
        client: UapiClient,
        target: Target,
        contract: Contract,
        faker: Faker,
        *,
        settle: float = DEFAULT_SETTLE,
        preconditions: Preconditions | None = None,
        ringing_lock: RoleLock | None = None,
        pool: CallPool | None = None,
    ) -> None:
        self.client = client
        self.target = target
        self.contract = contract
        self.faker = faker
        self.settle = settle
        self.preconditions = preconditions or Preconditions()
        self.ringing_lock = ringing_lock
        """Held shared while this test has calls on the ringing terminal (see ``RoleLock``)."""
        self.pool = pool
        """Calls made ahead of time, against a target that settles late (see ``pool``)."""
        self.made: list[str] = []
        self._values = self._fresh_values()
        self._started = time.monotonic()

    def _fresh_values(self) -> dict[str, Any]:
        roles: dict[str, Any] = dict(self.target.roles())
        roles["nonce"] = self.faker.bothify("nonce????########")
        roles["caller_id"] = f"{self.faker.name()} <{self.target.caller}>"
        roles["view_id"] = "01"
        roles["call_id"] = "0"
        return roles

    def values(self, call: Call | None = None) -> dict[str, Any]:
        """Placeholder values: the target's roles, this test's nonce and callerId, the call."""
        values = dict(self._values)
        if call is not None:
            values["call_id"] = call.id
            values["view_id"] = call.view_id
        return values

    def send(
        self,
        spec: RequestSpec,
        *,
        auth: bool | str = True,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> Exchange:
        """Send a built request (or ``content`` in place of its JSON body); the exchange."""
        kwargs: dict[str, Any] = {"params": dict(spec.params) or None, "auth": auth}
        if headers:
            kwargs["headers"] = dict(headers)
        if content is not None:
            kwargs["content"] = content
            kwargs["headers"] = {"Content-Type": "application/json", **kwargs.get("headers", {})}
        elif spec.body is not None:
            kwargs["json"] = spec.body
        return self.client.request(spec.method, spec.path, **kwargs)

    def wait_for(
        self,
        read: Callable[[], T | None],
        reached: Callable[[T], bool],
        *,
        since: float | None = None,
        on_miss: Callable[[], None] | None = None,
    ) -> T | None:
        """Read until ``reached`` holds, up to the settle bound counted from ``since`` (the
        request whose effect is awaited; now by default); the last reading either way (None
        when there was nothing to read). ``on_miss`` runs once, after a first read that did
        not show it: the target settles late.

        The last read is sent once the bound has passed (a read sent before it and answered
        after it still counts as an early one), so whatever shows within the bound is seen,
        however the polls and the round trips fall: a state reached just in time passes.
        """
        deadline = (time.monotonic() if since is None else since) + self.settle
        for interval in poll_intervals():
            sent = time.monotonic()
            value = read()
            if value is not None and reached(value):
                return value
            if sent >= deadline:
                return value
            if on_miss is not None:
                on_miss()
                on_miss = None
            self._hold_waiting()  # the wait is idle time: calls made ahead move on meanwhile
            time.sleep(max(0.0, min(interval, deadline - time.monotonic())))
        raise AssertionError("unreachable")  # pragma: no cover

    # -- reading state ------------------------------------------------------------------------

    def call_path(self, call_id: str) -> str:
        return self.contract.support.call_path.format(
            userId=self.target.user_id, extension=self.target.caller, phoneCallId=call_id
        )

    def read(self, call_id: str) -> tuple[int, Any]:
        """The call as the target reports it now: (status, documented fields or error code)."""
        response = self.client.request("GET", self.call_path(call_id)).response
        assert response is not None
        try:
            body = response.json()
        except ValueError:
            return response.status_code, response.text
        call = extract_call(body, call_id) if response.status_code == 200 else None
        return response.status_code, documented_view(call) if call is not None else body

    def read_call(self, call_id: str) -> dict[str, Any] | None:
        response = self.client.request("GET", self.call_path(call_id)).response
        assert response is not None
        if response.status_code != 200:
            return None
        try:
            return extract_call(response.json(), call_id)
        except ValueError:
            return None

    def list_entries(self, extension: str) -> list[dict[str, Any]] | None:
        """The PhoneCalls the List request shows for ``extension``; None if it fails."""
        path = self.contract.support.list_path.format(
            userId=self.target.user_id, extension=extension
        )
        response = self.client.request("GET", path).response
        assert response is not None
        if response.status_code != 200:
            return None
        try:
            body = response.json()
        except ValueError:
            return None
        if isinstance(body, dict) and isinstance(body.get("entry"), list):
            return [e for e in body["entry"] if isinstance(e, dict)]
        return None

    def list_ids(self, extension: str) -> list[str] | None:
        """Ids of the calls the List request shows for ``extension``; None if it fails."""
        entries = self.list_entries(extension)
        return None if entries is None else [str(e.get("id")) for e in entries]

    # -- making calls ---------------------------------------------------------------------------

    def make(self, state: str) -> Call:
        """A new call in ``state`` (one of ``STATES``), or a skip naming the step that failed."""
        key = self._before_make(state)
        pending = self._pending(state)
        call = self._take(pending, key) if pending is not None else None
        if call is None:
            call = self._make_now(state, key)
        self._make_ahead(state)
        return call

    def make_together(self, state: str, count: int) -> list[Call]:
        """``count`` new calls in ``state``, all requested before any is waited for, so that
        against a target that settles late their waits overlap (none is taken from the pool:
        for the bulk checks, which have the extension to themselves)."""
        key = self._before_make(state)
        made = [self._request_call(state, key) for _ in range(count)]
        calls = [self._settle_made(state, key, call_id, at) for call_id, at in made]
        self._make_ahead(state)
        return calls

    def _before_make(self, state: str) -> str:
        key = f"make {state}"
        self.preconditions.check(key)
        if _CALLEE[state] == "ringing" and self.ringing_lock is not None:
            self.ringing_lock.acquire_shared()  # held until this test's calls are hung up
        self._hold_waiting()
        return key

    def _ahead_allowed(self, state: str) -> bool:
        """Calls may be made ahead in ``state``: not on the ringing terminal while this test has
        it alone (every call there is the test's), nor where its lock cannot record them."""
        if self.pool is None:
            return False
        if _CALLEE[state] != "ringing":
            return True
        lock = self.ringing_lock
        return lock is not None and lock.coordinates_ahead and not lock.exclusive_held

    def _pending(self, state: str) -> Pending | None:
        """The oldest call made ahead in ``state`` that is still up, if any."""
        if self.pool is None or not self._ahead_allowed(state):
            return None
        lock = self.ringing_lock if _CALLEE[state] == "ringing" else None
        while (pending := self.pool.take(state)) is not None:
            if lock is None or lock.take_ahead(pending.id):
                return pending
            # A bulk check claimed it and hangs it up: it is no longer this process's.
            self.pool.forget(state, {pending.id})
        return None

    def _make_request(self, state: str, client: UapiClient, values: Mapping[str, Any]) -> Exchange:
        callee = self.target.roles()[_CALLEE[state]]
        spec = build(self.contract.operations["MakeCall"], dict(values))
        spec = spec.changed("body.phoneCallView.0.destination", [callee])
        return client.request(spec.method, spec.path, json=spec.body)

    def _wanted(self, state: str) -> Callable[[Mapping[str, Any]], bool]:
        statuses = self.contract.support.view_status
        status = statuses["ringing" if state == "ringing" else "on_call"]
        return lambda v: status_text(v) == status

    def _late(self, state: str) -> Callable[[], None]:
        def late() -> None:
            if self.pool is not None:
                for late_state in self.pool.settles_late(state):
                    self._make_ahead(late_state)  # these settle while this test waits

        return late

    def _make_now(self, state: str, key: str) -> Call:
        return self._settle_made(state, key, *self._request_call(state, key))

    def _request_call(self, state: str, key: str) -> tuple[str, float]:
        """Request a call for ``state``: its id and when it was requested."""
        made = time.monotonic()
        exchange = self._make_request(state, self.client, self.values())
        call_id = self.adopt(exchange)
        if call_id is None:
            self.preconditions.fail(key, f"making a call for state {state!r} failed", exchange)
        return call_id, made

    def _settle_made(self, state: str, key: str, call_id: str, made: float) -> Call:
        """Wait for the call requested at ``made`` to reach ``state``."""
        late = self._late(state)
        call = self._settle(call_id, state, key, self._wanted(state), since=made, on_miss=late)
        if self.pool is not None and state != "ringing":
            self.pool.answered(time.monotonic() - made)
        if state.startswith("on_hold"):
            call = self._hold(call, state, key, on_miss=late)
        return call

    def _hold(
        self,
        call: Call,
        state: str,
        key: str,
        *,
        held: float | None = None,
        on_miss: Callable[[], None] | None = None,
    ) -> Call:
        """Put ``call`` on hold (D29), unless that was done at ``held``, and wait for it."""
        if held is None:
            held = time.monotonic()
            body = fill(dict(self.contract.support.onhold_body), self.values(call))
            onhold = self.client.request("PUT", self.call_path(call.id), json=body)
            if not onhold.accepted:
                self.preconditions.fail(key, "putting the call on hold (D29) failed", onhold)
        return self._settle(
            call.id, state, key, lambda v: bool(v.get("onHold")), since=held, on_miss=on_miss
        )

    def _take(self, pending: Pending, key: str) -> Call | None:
        """Hand a call made ahead to this test, once it reads in its state; None (and the call
        hung up) when it does not, so the test makes its own."""
        self.client.exchanges.extend(pending.exchanges)  # the test's evidence starts at the make
        self.made.append(pending.id)
        self.client.session.live.add(self.client, pending.id, pending.path)
        body = self.wait_for(
            lambda: self.read_call(pending.id),
            lambda b: _view_where(b, self._wanted(pending.state)) is not None,
            since=pending.made,
        )
        view = _view_where(body or {}, self._wanted(pending.state))
        if body is None or view is None:
            self.hang_up(pending.id)
            return None
        call = Call(pending.id, pending.state, str(view.get("id")), body)
        if pending.state.startswith("on_hold"):
            call = self._hold(call, pending.state, key, held=pending.held)
        return call

    def _make_ahead(self, state: str) -> None:
        """Top the pool up for ``state`` (nothing unless the target settles late), and put the
        calls made ahead in earlier tests on hold, so they have settled when they are taken."""
        pool = self.pool
        if pool is None or not self._ahead_allowed(state):
            return
        for _ in range(pool.wanted(state)):
            mark = len(pool.client.exchanges)
            made = time.monotonic()
            values = {**self.values(), "nonce": pool.nonce()}
            exchange = self._make_request(state, pool.client, values)
            ids = self.adopted(exchange)
            for call_id in ids:
                pool.client.session.live.add(pool.client, call_id, self.call_path(call_id))
            if not ids:  # the target refused it: the tests make their own calls and say why
                pool.recorded(mark)
                pool.stop(state)
                return
            if _CALLEE[state] == "ringing" and self.ringing_lock is not None:
                for call_id in ids:  # a bulk check hangs them up unless a test takes them first
                    self.ringing_lock.add_ahead(call_id)
            pool.put(Pending(ids[0], state, made, self.call_path(ids[0]), pool.recorded(mark)))
        if state.startswith("on_hold"):
            self._hold_ahead(pool, state)

    def _hold_waiting(self) -> None:
        """Put the calls made ahead for ``on_hold`` on hold as soon as they may be answered."""
        pool = self.pool
        if pool is not None and pool.waiting("on_hold") and self._ahead_allowed("on_hold"):
            self._hold_ahead(pool, "on_hold")

    def _hold_ahead(self, pool: CallPool, state: str) -> None:
        """One look at each call of the pool's ``state`` old enough to be answered (as old as the
        last call this process saw answered; before any, made before this test): those answered
        are put on hold now (D29); the others wait for a later look."""
        for pending in pool.waiting(state):
            if pending.held is not None or not self._may_be_answered(pool, pending):
                continue
            mark = len(pool.client.exchanges)
            response = pool.client.request("GET", pending.path).response
            body = _json(response) if response is not None and response.status_code == 200 else None
            call = extract_call(body, pending.id) if body is not None else None
            view = _view_where(call or {}, self._wanted(state))
            if call is not None and view is not None:
                values = {**self.values(), "call_id": pending.id, "view_id": str(view.get("id"))}
                body = fill(dict(self.contract.support.onhold_body), values)
                held = time.monotonic()
                if pool.client.request("PUT", pending.path, json=body).accepted:
                    pending.held = held
            pending.exchanges.extend(pool.recorded(mark))

    def _may_be_answered(self, pool: CallPool, pending: Pending) -> bool:
        if pool.answered_in is None:
            return pending.made < self._started
        return time.monotonic() - pending.made >= pool.answered_in

    @staticmethod
    def adopted(exchange: Exchange) -> list[str]:
        """The ids of the calls a make-call answer acknowledges (none unless it is a 2xx)."""
        if not exchange.accepted:
            return []
        body = exchange.json()
        acks = body if isinstance(body, list) else [body]
        return [str(a["id"]) for a in acks if isinstance(a, dict) and "id" in a]

    def adopt(self, exchange: Exchange) -> str | None:
        """Remember every call a make-call answer created (for hang-up); the first one's id."""
        ids = [i for i in self.adopted(exchange) if i not in self.made]
        self.made.extend(ids)
        for call_id in ids:  # session-wide too: hung up even if this test's teardown never runs
            self.client.session.live.add(self.client, call_id, self.call_path(call_id))
        first = self.adopted(exchange)
        return first[0] if first else None

    def _settle(
        self,
        call_id: str,
        state: str,
        key: str,
        reached: Callable[[Mapping[str, Any]], bool],
        *,
        since: float | None = None,
        on_miss: Callable[[], None] | None = None,
    ) -> Call:
        """Poll the call (bounded) until one of its views is in the wanted state."""

        def view_in_state(body: dict[str, Any]) -> bool:
            return _view_where(body, reached) is not None

        body = self.wait_for(
            lambda: self.read_call(call_id), view_in_state, since=since, on_miss=on_miss
        )
        view = _view_where(body or {}, reached)
        if body is None or view is None:
            self.preconditions.fail(
                key,
                f"the call did not reach state {state!r} within {self.settle:g}s",
                self.client.last,
            )
        return Call(call_id, state, str(view.get("id")), body)

    def gone_call(self) -> str:
        """The id of a call that was made and hung up: a call that no longer exists (D7, D32).

        A hang-up may take effect a moment after its answer (D31): until the List stops showing
        the call, the call still exists and acting on it may rightly succeed.
        """
        call = self.make("on_call")
        exchange = self.hang_up(call.id)
        if not exchange.accepted:
            self.preconditions.fail("hang up", "hanging up a call (D28) failed", exchange)
        caller = self.target.caller
        listed = self.wait_for(lambda: self.list_ids(caller), lambda ids: call.id not in ids)
        if listed is None or call.id in listed:
            self.preconditions.fail(
                "hang up",
                f"the hung-up call was still listed after {self.settle:g}s (see test_hang_up)",
                self.client.last,
            )
        return call.id

    def share_ringing(self) -> None:
        """Hold the ringing terminal shared (until ``hang_up_all``) for calls made there other
        than through ``make``, such as a sequence's."""
        if self.ringing_lock is not None:
            self.ringing_lock.acquire_shared()

    def exclusive_ringing(self) -> None:
        """Take the ringing terminal to this test alone (until ``hang_up_all``): for checks of
        every call of that extension (the bulk forms, D16), which another worker's call there
        would disturb. Call it before making any call."""
        lock = self.ringing_lock
        if lock is not None:
            lock.release()
            # The calls made ahead there are hung up as soon as no new test can come in, so
            # that they go while the tests already there finish; then those made meanwhile.
            # (A call a test has taken is no longer recorded, so none is hung up under a test.)
            lock.acquire_exclusive(on_gate=lambda: self._hang_up_ahead(lock.claim_ahead()))
            self._hang_up_ahead(lock.claim_ahead())

    def _hang_up_ahead(self, ids: list[str]) -> None:
        """Hang up the calls this run's workers made ahead on the ringing terminal (D28): the
        bulk check needs the extension to itself. Each owner finds them gone and leaves them."""
        if self.pool is not None:
            self.pool.forget("ringing", set(ids))
        for call_id in ids:
            try:
                self.client.request("DELETE", self.call_path(call_id))
            except AssertionError:  # no answer: the bulk check's own listing will tell
                continue

    def hang_up(self, call_id: str) -> Exchange:
        """Hang up one call now (D28); it is no longer hung up at teardown."""
        exchange = self.client.request("DELETE", self.call_path(call_id))
        if exchange.accepted and call_id in self.made:
            self.made.remove(call_id)
            self.client.session.live.discard(call_id)
        return exchange

    def hang_up_all(self) -> list[str]:
        """Hang up every call this test made (D28); returns the ids that would not hang up."""
        stuck = []
        live = self.client.session.live
        for call_id in self.made:
            if call_id not in live:  # hung up already (by an interruption's sweep)
                continue
            try:
                status = self.client.request("DELETE", self.call_path(call_id)).status
            except AssertionError:  # no answer: report it, the test's verdict stands
                stuck.append(call_id)
                continue
            if status >= 300 and status != 400:
                stuck.append(call_id)
            else:
                live.discard(call_id)
        self.made.clear()
        if self.ringing_lock is not None:
            self.ringing_lock.release()
        return stuck


def _json(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _view_where(
    body: Mapping[str, Any], reached: Callable[[Mapping[str, Any]], bool]
) -> Mapping[str, Any] | None:
    views = body.get("phoneCallView")
    for view in views if isinstance(views, list) else []:
        if isinstance(view, dict) and reached(view):
            return view
    return None
