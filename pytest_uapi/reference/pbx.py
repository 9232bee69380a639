"""The simulated PBX: live calls, their views and how actions change them.

Pure Python and no HTTP. Call progress is immediate and deterministic (decisions.md, "The
reference dataset"): a call whose destination answers is on call (status "5") as soon as it is
made; a call to an extension that never answers keeps that view ringing (status "3").

Callers hold ``Pbx.lock`` around each request's read-validate-write, so a request sees and leaves
a consistent state whichever thread or event loop drives the app. The methods here do not take
the lock themselves, except ``snapshot`` (meant for observers outside a request). Calls and views
are frozen values: a change stores a new version, so what a reader took under the lock can be
rendered after it has released the lock.

A server may also take a moment to settle (D31): ``later`` keeps a change on the ``Timeline``
until it falls due, and every reader here applies the changes that are due first, so a reader
never sees a change early or one that is due missing.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from pytest_uapi.contract import Dataset, Extension, Organization, load_contract

from .timeline import Change, Timeline

# D23, from the contract's support data: the suite reads the same table
STATUS_RINGING = load_contract().support.view_status["ringing"]
STATUS_ON_CALL = load_contract().support.view_status["on_call"]
# Views are numbered as in every example.
FIRST_VIEW_ID = "01"
DEFAULT_MAX_CALLS_PER_USER = 10_000


class TooManyCalls(Exception):
    """The user already has the maximum number of live calls."""


def now_iso() -> str:
    """ISO 8601 with an explicit offset, as in the examples (D22)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class View:
    id: str
    extension: str
    source: tuple[str, ...]
    destination: tuple[str, ...]
    status: str
    caller_id: str | None = None
    answered: str | None = None
    on_hold: bool = False

    def render(self) -> dict[str, Any]:
        # D22: optional fields are omitted rather than sent as null.
        out: dict[str, Any] = {"id": self.id, "extension": self.extension}
        if self.answered is not None:
            out["answered"] = self.answered
        out["status"] = self.status
        if self.caller_id is not None:
            out["callerId"] = self.caller_id
        out["source"] = list(self.source)
        out["destination"] = list(self.destination)
        if self.on_hold:
            out["onHold"] = True
        return out


@dataclass(frozen=True)
class Call:
    """One live call, as a value: a change stores a new ``Call`` in place of this one.

    So a reader that took calls under the lock can render them after releasing it, and sees
    each exactly as it was when taken.
    """

    id: str
    owner: str
    extension: str
    organization: Organization
    published: str
    views: tuple[View, ...]
    # The extensions (extended form) taking part (D6): ``sides`` are the call's own and its
    # sources, which no action changes; ``parties`` adds the destinations as they are now.
    sides: frozenset[str]
    parties: frozenset[str]
    answered: str | None = None
    nonce: str | None = None

    def view(self, view_id: str) -> View | None:
        for view in self.views:
            if view.id == view_id:
                return view
        return None

    def render(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "extension": self.extension,
            "ownerId": self.organization.owner_id,
            "ownerName": self.organization.name,
        }
        if self.answered is not None:
            out["answered"] = self.answered
        out["published"] = self.published
        if self.nonce is not None:
            out["nonce"] = self.nonce
        out["phoneCallView"] = [view.render() for view in self.views]
        return out


def new_call_id() -> str:
    return secrets.token_hex(10)


class Pbx:
    """Live calls, per owner in creation order (the List request answers oldest first)."""

    def __init__(
        self,
        dataset: Dataset,
        *,
        max_calls_per_user: int = DEFAULT_MAX_CALLS_PER_USER,
        new_call_id: Callable[[], str] = new_call_id,
        clock: Callable[[], str] = now_iso,
        reuse_ids: bool = False,
        own_extension_only: bool = False,
        timeline: Timeline[Call] | None = None,
    ) -> None:
        self.dataset = dataset
        # Faults (faults.Switches): ids handed out again after a hang-up, and a call found only
        # under the extension it was made from.
        self._freed: list[str] | None = [] if reuse_ids else None
        self._own_extension_only = own_extension_only
        self.lock = threading.Lock()
        self.max_calls_per_user = max_calls_per_user
        self._new_call_id = new_call_id
        self._clock = clock
        self._owners: dict[str, str] = {}  # call id -> owner
        self._by_owner: dict[str, dict[str, Call]] = {}  # owner -> call id -> call
        self.timeline: Timeline[Call] = timeline if timeline is not None else Timeline()
        # While a change that fell due earlier is applied: when it fell due (the timeline's
        # clock), so that the times it records are when it happened, not when it was noticed.
        self._due_at: float | None = None

    def now(self) -> str:
        """The time a change made now happens at (``clock``, or when a due change fell due)."""
        if self._due_at is None:
            return self._clock()
        late = max(0.0, self.timeline.now() - self._due_at)
        return (datetime.now(UTC) - timedelta(seconds=late)).isoformat(timespec="seconds")

    # --- changes that fall due later (D31) ----------------------------------------------------

    def later(self, delay: float, call: Call, change: Change[Call]) -> None:
        """Apply ``change`` to ``call`` as it is ``delay`` seconds from now (at once if 0)."""
        if delay > 0:
            self.timeline.add(delay, call.id, change)
            return
        self._apply(call, change)

    def _apply(self, call: Call, change: Change[Call]) -> None:
        changed = change(call)
        if changed is None:
            self.hang_up(call)
        else:
            self.store(changed)

    def _catch_up(self) -> None:
        """Apply the changes that are due, to each call as it is then (one hung up is left)."""
        if self._due_at is not None or not len(self.timeline):
            return  # nothing due, or a change being applied reads the calls
        for at, call_id, change in self.timeline.due():
            owner = self._owners.get(call_id)
            call = self._by_owner[owner].get(call_id) if owner is not None else None
            if call is None:
                continue
            self._due_at = at
            try:
                self._apply(call, change)
            finally:
                self._due_at = None

    # --- reading ---------------------------------------------------------------------------

    def resolve(self, number: str, organization: str) -> str:
        """The extended form of ``number`` when it names an extension, else ``number``."""
        extension = self.dataset.resolve_extension(number, organization)
        return extension.number if extension is not None else number

    def answers(self, number: str, organization: str) -> bool:
        """Public numbers and unknown numbers answer; an extension answers if the data says so."""
        extension = self.dataset.resolve_extension(number, organization)
        return True if extension is None else extension.answers

    def takes_part(self, call: Call, extension: str) -> bool:
        """The call was made with ``extension`` or one of its views involves it now."""
        return extension in call.parties

    def find(self, owner: str, extension: str | None, call_id: str) -> Call | None:
        """A call of ``owner`` by id, involving ``extension`` (``None``: any of the owner's)."""
        self._catch_up()
        call = self._by_owner.get(owner, {}).get(call_id)
        if call is None:
            return None
        if extension is not None and not self.takes_part(call, extension):
            return None
        if extension is not None and self._own_extension_only and extension != call.extension:
            return None
        return call

    def calls_of(self, owner: str, extension: str | None) -> list[Call]:
        self._catch_up()
        calls = self._by_owner.get(owner, {}).values()
        if extension is None:
            return list(calls)
        return [call for call in calls if extension in call.parties]

    def __len__(self) -> int:
        self._catch_up()
        return len(self._owners)

    def snapshot(self) -> str:
        """Every live call, rendered; equal snapshots mean nothing changed (D27)."""
        with self.lock:
            self._catch_up()
            calls = [call for calls in self._by_owner.values() for call in calls.values()]
        return json.dumps([(call.owner, call.render()) for call in calls], sort_keys=True)

    # --- changing --------------------------------------------------------------------------

    def make_call(
        self,
        *,
        owner: str,
        extension: Extension,
        source: Sequence[str],
        destination: Sequence[str],
        caller_id: str | None = None,
        nonce: str | None = None,
    ) -> Call:
        self._catch_up()
        live = self._by_owner.setdefault(owner, {})
        if len(live) >= self.max_calls_per_user:
            raise TooManyCalls(owner)
        organization = self.dataset.organizations[extension.organization]
        now = self._clock()
        answered = any(self.answers(number, organization.id) for number in destination)
        view = View(
            id=FIRST_VIEW_ID,
            extension=extension.number,
            source=tuple(source),
            destination=tuple(destination),
            status=STATUS_ON_CALL if answered else STATUS_RINGING,
            caller_id=caller_id,
            answered=now if answered else None,
        )
        sides = self._resolved({extension.number, *source}, organization.id)
        call = Call(
            id=self._unused_id(),
            owner=owner,
            extension=extension.number,
            organization=organization,
            published=now,
            views=(view,),
            sides=sides,
            parties=sides | self._resolved(destination, organization.id),
            answered=now if answered else None,
            nonce=nonce,
        )
        live[call.id] = call
        self._owners[call.id] = owner
        return call

    def _unused_id(self) -> str:
        if self._freed:
            return self._freed.pop()
        while True:
            call_id = self._new_call_id()
            if call_id not in self._owners:
                return call_id

    def _resolved(self, numbers: Iterable[str], organization: str) -> frozenset[str]:
        return frozenset(self.resolve(number, organization) for number in set(numbers))

    def _version(self, call: Call, views: tuple[View, ...], answered: str | None) -> Call:
        """A new version of ``call`` with ``views`` (not stored)."""
        destinations = {number for view in views for number in view.destination}
        return Call(
            id=call.id,
            owner=call.owner,
            extension=call.extension,
            organization=call.organization,
            published=call.published,
            views=views,
            sides=call.sides,
            parties=call.sides | self._resolved(destinations, call.organization.id),
            answered=answered,
            nonce=call.nonce,
        )

    def store(self, call: Call) -> Call:
        """``call`` in place of its earlier version, which keeps its place in the List."""
        self._by_owner[call.owner][call.id] = call
        return call

    def hang_up(self, call: Call) -> None:
        if self._owners.pop(call.id, None) is not None:
            del self._by_owner[call.owner][call.id]
            if self._freed is not None:
                self._freed.append(call.id)

    # The changes below compute a new version and store nothing (they need no lock; ``store``
    # does); the dataset they read never changes.

    def with_view(self, call: Call, view_id: str, **changes: Any) -> Call:
        """``call`` with one view's fields changed."""
        views = tuple(replace(v, **changes) if v.id == view_id else v for v in call.views)
        return self._version(call, views, call.answered)

    def _connected(self, call: Call, view_ids: Container[str], **changes: Any) -> Call:
        """The views ``view_ids`` on call (answered now, unless they were) with ``changes``."""
        now = self.now()
        views = tuple(
            replace(view, status=STATUS_ON_CALL, answered=view.answered or now, **changes)
            if view.id in view_ids
            else view
            for view in call.views
        )
        return self._version(call, views, call.answered or now)

    def transferred(self, call: Call, send_call_to: str) -> Call:
        """Transfer and TransferToVoicemail: the call now goes to ``send_call_to`` (D24)."""
        every = {view.id for view in call.views}
        return self._connected(call, every, destination=(send_call_to,))

    def picked_up(self, call: Call, view: View, send_call_to: str, caller_id: str | None) -> Call:
        """PickUp: ``send_call_to`` takes the ringing call (D13, D24)."""
        changes: dict[str, Any] = {"destination": (send_call_to,)}
        if caller_id is not None:
            changes["caller_id"] = caller_id
        return self._connected(call, {view.id}, **changes)

    def held(self, call: Call, view: View) -> Call:
        """OnHold (D29)."""
        return self.with_view(call, view.id, on_hold=True)

    def unheld(self, call: Call, view: View) -> Call:
        """OffHold: off hold and on call (D24)."""
        return self._connected(call, {view.id}, on_hold=False)
