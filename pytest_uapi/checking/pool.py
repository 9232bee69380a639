"""Calls made ahead of the tests that act on them, for a target that settles late (D31).

Against a PBX that answers a moment after its 202, every test that needs a call waits that moment
out before its check, one test after another: about 0.6 s times 200 tests against a server that
answers in 0.6 s. The pool overlaps those waits. Once a state has been seen to settle late (or a
state a call passes on the way to it: a call is answered before it is put on hold), each call a
test takes from the pool is replaced at once by a new one, so the call a later test takes has
had the time of the tests in between to settle. Calls made ahead for ``on_hold`` are put on
hold as soon as they may have been answered, at the next make or between the polls of a wait.

Nothing gets looser: the test that takes a call reads it in the wanted state itself, with the
settle bound counted from the moment the call was made, and the exchanges that made it join that
test's evidence. Against a target that settles at once the pool stays empty and adds no request:
every call is made by the test that needs it.

Calls made ahead to the ringing terminal sit on an extension the bulk checks need to themselves:
each is recorded with its ``RoleLock`` until a test takes it, and a bulk check claims and hangs
up every recorded call of the run before it starts, as soon as it has closed the extension to
new tests. The internal states are too rare to be worth a call made ahead.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..transport.client import UapiClient
    from ..transport.exchange import Exchange

POOLED = ("on_call", "on_hold", "ringing")
"""The states made ahead of time once the target has settled one of them late."""

_THROUGH = {"on_call": ("on_hold",)}
"""The pooled states a call passes ``state`` on the way to: late if it is late."""

DEPTH = {"on_call": 3, "on_hold": 4, "ringing": 3}
"""Calls kept ready per state: enough that the call a test takes was made a few tests earlier
(an OnHold call needs two waits, so it is made one test further ahead). Chosen by measurement:
``benchmarks/bench_remote.py`` with asynchronous progress."""


@dataclass
class Pending:
    """A call made ahead of time, not yet handed to a test."""

    id: str
    state: str
    made: float
    """When the make-call request was sent (``time.monotonic``): the settle bound counts from it."""
    path: str
    exchanges: list[Exchange] = field(default_factory=list)
    """The requests sent for this call so far: they join the evidence of the test that takes it."""
    held: float | None = None
    """For ``on_hold``: when its OnHold request was accepted."""


class CallPool:
    """The calls of one process made ahead of time, by state; see the module docstring.

    ``client`` is the pool's own client (its exchanges are handed to the tests that take the
    calls); the provisioner of each test sends the requests, as it knows how to make each state.
    """

    def __init__(self, client: UapiClient) -> None:
        self.client = client
        self._late: set[str] = set()
        self._stopped: set[str] = set()
        self._pending: dict[str, deque[Pending]] = defaultdict(deque)
        self._made = 0
        self.answered_in: float | None = None
        """How long the last call this process made itself took to be answered (seconds): a
        call made ahead is not looked at before it is that old."""

    def __len__(self) -> int:
        return sum(len(q) for q in self._pending.values())

    def nonce(self) -> str:
        """The nonce of the next call made ahead: the pool's own, so that a later test's marker
        (its nonce, ``marker_of``) never matches a call it did not make."""
        self._made += 1
        return f"nonceahead{self._made:08d}"

    def settles_late(self, state: str) -> list[str]:
        """``state`` was not there at the first look after its request: make calls ahead, for
        it and for the states reached through it (a call is answered before it is put on
        hold). Returns the states that settle late by this reading."""
        late = [s for s in (state, *_THROUGH.get(state, ())) if s in POOLED]
        self._late.update(late)
        return late

    def answered(self, seconds: float) -> None:
        """A call this process made was read answered ``seconds`` after its make-call request."""
        self.answered_in = seconds

    def stop(self, state: str) -> None:
        """The target refused a call made ahead: its tests make their own calls from now on."""
        self._stopped.add(state)

    def wanted(self, state: str) -> int:
        """How many calls of ``state`` to make ahead now."""
        if state not in self._late or state in self._stopped:
            return 0
        return max(0, DEPTH[state] - len(self._pending[state]))

    def put(self, pending: Pending) -> None:
        self._pending[pending.state].append(pending)

    def take(self, state: str) -> Pending | None:
        """The oldest call made ahead in ``state``, now the caller's to settle and hang up."""
        queue = self._pending.get(state)
        return queue.popleft() if queue else None

    def forget(self, state: str, ids: set[str]) -> None:
        """Drop the calls ``ids`` of ``state``: someone else hung them up."""
        queue = self._pending.get(state)
        if queue:
            self._pending[state] = deque(p for p in queue if p.id not in ids)
        for call_id in ids:
            self.client.session.live.discard(call_id)

    def waiting(self, state: str) -> list[Pending]:
        """The calls of ``state`` still in the pool, oldest first."""
        return list(self._pending.get(state, ()))

    def recorded(self, since: int) -> list[Exchange]:
        """The pool client's exchanges after the first ``since``; the list is then emptied (they
        belong to the calls now, and the pool lives as long as the session)."""
        exchanges = self.client.exchanges[since:]
        self.client.exchanges.clear()
        return exchanges

    def drain(self, ours: Callable[[Pending], bool] = lambda pending: True) -> None:
        """Hang up every call still in the pool that is still ``ours`` (D28, the end of the
        session; a bulk check may have claimed one, and hangs it up itself)."""
        live = self.client.session.live
        for queue in self._pending.values():
            while queue:
                pending = queue.popleft()
                if not ours(pending):
                    live.discard(pending.id)
                    continue
                try:
                    exchange = self.client.request("DELETE", pending.path)
                except AssertionError:  # no answer: the session's sweep tries once more
                    continue
                if exchange.accepted or exchange.status == 400:
                    live.discard(pending.id)
        self.client.exchanges.clear()
