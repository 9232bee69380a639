"""The simulated PBX: live calls, their views and how actions change them.

Pure Python and no HTTP. Call progress is immediate and deterministic (decisions.md, "The
reference dataset"): a call whose destination answers is on call (status "5") as soon as it is
made; a call to an extension that never answers keeps that view ringing (status "3").

Callers hold ``Pbx.lock`` around each request's read-validate-write, so a request sees and leaves
a consistent state whichever thread or event loop drives the app. The methods here do not take
the lock themselves, except ``snapshot`` (meant for observers outside a request).
"""

from __future__ import annotations

import json
import secrets
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pytest_uapi.contract import Dataset, Extension, Organization

# D23
STATUS_RINGING = "3"
STATUS_ON_CALL = "5"
# Views are numbered as in every example.
FIRST_VIEW_ID = "01"
DEFAULT_MAX_CALLS_PER_USER = 10_000


class TooManyCalls(Exception):
    """The user already has the maximum number of live calls."""


def now_iso() -> str:
    """ISO 8601 with an explicit offset, as in the examples (D22)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class View:
    id: str
    extension: str
    source: list[str]
    destination: list[str]
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


@dataclass
class Call:
    id: str
    owner: str
    extension: str
    organization: Organization
    published: str
    views: list[View] = field(default_factory=list)
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


def _new_call_id() -> str:
    return secrets.token_hex(10)


class Pbx:
    """Live calls in creation order (the List request answers oldest first)."""

    def __init__(
        self,
        dataset: Dataset,
        *,
        max_calls_per_user: int = DEFAULT_MAX_CALLS_PER_USER,
        new_call_id: Callable[[], str] = _new_call_id,
        clock: Callable[[], str] = now_iso,
    ) -> None:
        self.dataset = dataset
        self.lock = threading.Lock()
        self.max_calls_per_user = max_calls_per_user
        self._new_call_id = new_call_id
        self._clock = clock
        self._calls: dict[str, Call] = {}
        self._live_per_user: Counter[str] = Counter()

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
        """The call was made with ``extension`` or one of its views involves it."""
        if call.extension == extension:
            return True
        org = call.organization.id
        return any(
            self.resolve(number, org) == extension
            for view in call.views
            for number in (*view.source, *view.destination)
        )

    def find(self, owner: str, extension: str | None, call_id: str) -> Call | None:
        """A call of ``owner`` by id, involving ``extension`` (``None``: any of the owner's)."""
        call = self._calls.get(call_id)
        if call is None or call.owner != owner:
            return None
        if extension is not None and not self.takes_part(call, extension):
            return None
        return call

    def calls_of(self, owner: str, extension: str | None) -> list[Call]:
        return [
            call
            for call in self._calls.values()
            if call.owner == owner and (extension is None or self.takes_part(call, extension))
        ]

    def __len__(self) -> int:
        return len(self._calls)

    def snapshot(self) -> str:
        """Every live call, rendered; equal snapshots mean nothing changed (D27)."""
        with self.lock:
            state = [(call.owner, call.render()) for call in self._calls.values()]
        return json.dumps(state, sort_keys=True)

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
        if self._live_per_user[owner] >= self.max_calls_per_user:
            raise TooManyCalls(owner)
        organization = self.dataset.organizations[extension.organization]
        now = self._clock()
        answered = any(self.answers(number, organization.id) for number in destination)
        view = View(
            id=FIRST_VIEW_ID,
            extension=extension.number,
            source=list(source),
            destination=list(destination),
            status=STATUS_ON_CALL if answered else STATUS_RINGING,
            caller_id=caller_id,
            answered=now if answered else None,
        )
        call = Call(
            id=self._unused_id(),
            owner=owner,
            extension=extension.number,
            organization=organization,
            published=now,
            views=[view],
            answered=now if answered else None,
            nonce=nonce,
        )
        self._calls[call.id] = call
        self._live_per_user[owner] += 1
        return call

    def _unused_id(self) -> str:
        while True:
            call_id = self._new_call_id()
            if call_id not in self._calls:
                return call_id

    def hang_up(self, call: Call) -> None:
        if self._calls.pop(call.id, None) is not None:
            self._live_per_user[call.owner] -= 1

    def _connect(self, call: Call, view: View) -> None:
        now = self._clock()
        view.status = STATUS_ON_CALL
        if view.answered is None:
            view.answered = now
        if call.answered is None:
            call.answered = now

    def transfer(self, call: Call, send_call_to: str) -> None:
        """Transfer and TransferToVoicemail: the call now goes to ``send_call_to`` (D24)."""
        for view in call.views:
            view.destination = [send_call_to]
            self._connect(call, view)

    def pick_up(self, call: Call, view: View, send_call_to: str, caller_id: str | None) -> None:
        """PickUp: ``send_call_to`` takes the ringing call (D13, D24)."""
        view.destination = [send_call_to]
        if caller_id is not None:
            view.caller_id = caller_id
        self._connect(call, view)

    def hold(self, view: View) -> None:
        """OnHold (D29)."""
        view.on_hold = True

    def unhold(self, call: Call, view: View) -> None:
        """OffHold: off hold and on call (D24)."""
        view.on_hold = False
        self._connect(call, view)
