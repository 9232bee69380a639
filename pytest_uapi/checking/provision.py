"""The call provisioner: puts calls in the states the suites act on, with documented requests
only (make a call, D29 OnHold, GET), and hangs up every call it made (D28).

A precondition the target does not let us reach is a skip naming the step, never a pass: the
requirement behind the test is then "not tested".
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from .request_spec import RequestSpec, build, fill

if TYPE_CHECKING:
    from faker import Faker

    from ..contract import Contract
    from ..settings.target import Target
    from ..transport.client import UapiClient
    from ..transport.exchange import Exchange

# How long a target may take to reach a state after the request that causes it.
SETTLE_SECONDS = 5.0
SETTLE_INTERVAL = 0.05

# The make-call request for each state: which role is called (D-dataset: the public number and
# the colleague answer at once, the ringing terminal never does).
_CALLEE = {
    "on_call": "public",
    "on_call_internal": "colleague",
    "ringing": "ringing",
    "on_hold": "public",
}


def skip_precondition(step: str, exchange: Exchange | None = None) -> NoReturn:
    received = ""
    if exchange is not None and exchange.response is not None:
        received = f" (answered {exchange.response.status_code})"
    pytest.skip(f"precondition not met: {step}{received}")


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
    return {
        "id": call.get("id"),
        "nonce": call.get("nonce"),
        "phoneCallView": [
            {k: v.get(k) for k in ("id", "source", "destination", "status", "onHold", "callerId")}
            if isinstance(v, dict)
            else v
            for v in (views if isinstance(views, list) else [])
        ],
    }


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
        self, client: UapiClient, target: Target, contract: Contract, faker: Faker
    ) -> None:
        self.client = client
        self.target = target
        self.contract = contract
        self.faker = faker
        self.made: list[str] = []
        self._values = self._fresh_values()

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

    def list_ids(self, extension: str) -> list[str] | None:
        """Ids of the calls the List request shows for ``extension``; None if it fails."""
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
            return [str(e.get("id")) for e in body["entry"] if isinstance(e, dict)]
        return None

    # -- making calls ---------------------------------------------------------------------------

    def make(self, state: str) -> Call:
        """A new call in ``state`` (on_call, on_call_internal, ringing, on_hold), or a skip."""
        callee = self.target.roles()[_CALLEE[state]]
        spec = build(self.contract.operations["MakeCall"], self.values())
        spec = spec.changed("body.phoneCallView.0.destination", [callee])
        exchange = self.send(spec)
        call_id = self.adopt(exchange)
        if call_id is None:
            skip_precondition(f"making a call for state {state!r} failed", exchange)
        statuses = self.contract.support.view_status
        wanted = statuses["ringing" if state == "ringing" else "on_call"]
        call = self._settle(call_id, state, lambda v: status_text(v) == wanted)
        if state == "on_hold":
            body = fill(dict(self.contract.support.onhold_body), self.values(call))
            onhold = self.client.request("PUT", self.call_path(call.id), json=body)
            if not onhold.accepted:
                skip_precondition("putting the call on hold (D29) failed", onhold)
            call = self._settle(call.id, state, lambda v: bool(v.get("onHold")))
        return call

    def adopt(self, exchange: Exchange) -> str | None:
        """Remember every call a make-call answer created (for hang-up); the first one's id."""
        response = exchange.response
        if response is None or not 200 <= response.status_code < 300:
            return None
        try:
            body = response.json()
        except ValueError:
            return None
        acks = body if isinstance(body, list) else [body]
        ids = [str(a["id"]) for a in acks if isinstance(a, dict) and "id" in a]
        self.made.extend(ids)
        for call_id in ids:  # session-wide too: hung up even if this test's teardown never runs
            self.client.session.live.add(self.client, call_id, self.call_path(call_id))
        return ids[0] if ids else None

    def _settle(self, call_id: str, state: str, reached: Any) -> Call:
        """Poll the call (bounded) until one of its views is in the wanted state."""
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            body = self.read_call(call_id)
            views = body.get("phoneCallView") if body else None
            if isinstance(views, list):
                for view in views:
                    if isinstance(view, dict) and reached(view):
                        return Call(call_id, state, str(view.get("id")), body or {})
            if time.monotonic() > deadline:
                skip_precondition(
                    f"the call did not reach state {state!r} within {SETTLE_SECONDS:g}s",
                    self.client.last,
                )
            time.sleep(SETTLE_INTERVAL)

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
        return stuck
