"""The realistic behaviour: delays as states over a clock the test moves, answers as they go out.

Delays are seen as ordering and state, never as wall-clock bounds: the timeline's clock is the
test's own, and the latency is proven by the order in which concurrent requests are handled and
answered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.types import Message, Receive, Scope, Send

from pytest_uapi.reference import create_app
from pytest_uapi.reference.behaviour import Behaviour, ShapedAnswers
from pytest_uapi.reference.pbx import Call
from pytest_uapi.reference.timeline import Timeline

from .support import TOKEN, VALUES, AsgiApi, HttpApi

CALLER = VALUES["caller"]
LIST = f"/uapi/phoneCalls/12/{CALLER}"


class Clock:
    """A monotonic clock that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _app(clock: Clock, **options: Any) -> Starlette:
    timeline: Timeline[Call] = Timeline(clock)
    return create_app(behaviour=Behaviour(**options), timeline=timeline)


def _api(clock: Clock, **options: Any) -> AsgiApi:
    return AsgiApi(_app(clock, **options))


@pytest.fixture
def delayed_app(clock: Clock) -> Starlette:
    """A server that answers calls after 2 s and shows effects 3 s after their 202."""
    return _app(clock, answer_delay=2.0, effect_delay=3.0)


@pytest.fixture
def delayed(delayed_app: Starlette) -> Iterator[AsgiApi]:
    api = AsgiApi(delayed_app)
    yield api
    api.close()


def _statuses(api: AsgiApi, call_id: str) -> list[str]:
    answer = api.get(api.call_path(call_id))
    assert answer.status_code == 200, answer.text
    return [view["status"] for view in answer.json()["phoneCallView"]]


def _listed(api: AsgiApi, extension: str = CALLER) -> list[str]:
    return [call["id"] for call in api.get(f"/uapi/phoneCalls/12/{extension}").json()["entry"]]


@pytest.mark.parametrize(("callee", "settled"), [("public", "5"), ("ringing", "3")])
def test_a_made_call_is_trying_until_the_answer_delay_has_passed(
    delayed: AsgiApi, clock: Clock, callee: str, settled: str
) -> None:
    call_id = delayed.make_call(VALUES[callee])["id"]
    assert _statuses(delayed, call_id) == ["2"]  # D23 trying, listed and readable at once (D21)
    assert call_id in _listed(delayed)
    clock.advance(1.75)
    assert _statuses(delayed, call_id) == ["2"]
    clock.advance(0.25)
    assert _statuses(delayed, call_id) == [settled]
    answered = delayed.get(delayed.call_path(call_id)).json()
    assert ("answered" in answered) == (settled == "5")


def test_an_effect_shows_only_after_the_effect_delay(delayed: AsgiApi, clock: Clock) -> None:
    call_id = delayed.make_call()["id"]
    clock.advance(2.0)
    body = {"action": "Transfer", "sendCallTo": VALUES["colleague"], "transferFromNumber": CALLER}
    answer = delayed.put(delayed.call_path(call_id), body)
    assert answer.status_code == 202, answer.text
    destination = [
        v["destination"] for v in delayed.get(delayed.call_path(call_id)).json()["phoneCallView"]
    ]
    assert destination == [[VALUES["public"]]]
    clock.advance(3.0)
    view = delayed.get(delayed.call_path(call_id)).json()["phoneCallView"][0]
    assert view["destination"] == [VALUES["colleague"]]


def test_hold_and_off_hold_show_after_the_effect_delay(delayed: AsgiApi, clock: Clock) -> None:
    call_id = delayed.make_call()["id"]
    clock.advance(2.0)
    path = delayed.call_path(call_id)
    assert delayed.put(path, {"action": "OnHold", "phoneCallViewId": "01"}).status_code == 202
    assert "onHold" not in delayed.get(path).json()["phoneCallView"][0]
    clock.advance(3.0)
    assert delayed.get(path).json()["phoneCallView"][0]["onHold"] is True
    assert delayed.put(path, {"action": "OffHold", "phoneCallViewId": "01"}).status_code == 202
    assert delayed.get(path).json()["phoneCallView"][0]["onHold"] is True
    clock.advance(3.0)
    assert "onHold" not in delayed.get(path).json()["phoneCallView"][0]


def test_a_hung_up_call_goes_after_the_effect_delay(delayed: AsgiApi, clock: Clock) -> None:
    call_id = delayed.make_call()["id"]
    path = delayed.call_path(call_id)
    assert delayed.delete(path).status_code == 200
    assert call_id in _listed(delayed)  # accepted, not yet done (D31)
    assert delayed.delete(path).status_code == 200  # it still exists: nothing is refused
    clock.advance(3.0)
    assert call_id not in _listed(delayed)
    gone = delayed.delete(path)
    assert gone.status_code == 400, gone.text  # D32: a call that is gone
    assert gone.json()["error"]["code"] == "pc_phonecall_invalid"


def test_a_bulk_transfer_shows_on_every_call_after_the_effect_delay(
    delayed: AsgiApi, clock: Clock
) -> None:
    ringing = VALUES["ringing"]
    ids = [delayed.make_call(ringing)["id"] for _ in range(2)]
    clock.advance(2.0)
    body = {"action": "Transfer", "sendCallTo": VALUES["colleague"], "transferFromNumber": CALLER}
    answer = delayed.put(f"/uapi/phoneCalls/12/{ringing}", body)
    assert answer.status_code == 202, answer.text
    assert sorted(a["id"] for a in answer.json()) == sorted(ids)
    assert sorted(_listed(delayed, ringing)) == sorted(ids)
    clock.advance(3.0)
    assert _listed(delayed, ringing) == []  # transferred away from the ringing terminal


def test_a_refused_request_schedules_nothing(
    delayed: AsgiApi, delayed_app: Starlette, clock: Clock
) -> None:
    call_id = delayed.make_call()["id"]
    clock.advance(2.0)
    app = delayed_app
    before = app.state.pbx.snapshot()  # the call answered: nothing is pending any more
    body = {"action": "Transfer", "sendCallTo": "abc", "transferFromNumber": CALLER}
    assert delayed.put(delayed.call_path(call_id), body).status_code == 400
    assert len(app.state.pbx.timeline) == 0
    clock.advance(10.0)
    assert app.state.pbx.snapshot() == before  # D27


def test_multi_view_lists_the_caller_and_each_destination(clock: Clock) -> None:
    api = _api(clock, multi_view=True)
    try:
        call_id = api.make_call(VALUES["ringing"])["id"]
        views = api.get(api.call_path(call_id)).json()["phoneCallView"]
        assert [(v["id"], v["extension"], v["status"]) for v in views] == [
            ("v1", CALLER, "4"),  # the caller hears the other side ringing
            ("v2", VALUES["ringing"], "3"),
        ]
        pick_up = {"action": "PickUp", "sendCallTo": VALUES["colleague"], "phoneCallViewId": "v2"}
        assert api.put(api.call_path(call_id), pick_up).status_code == 202
        after = api.get(api.call_path(call_id)).json()["phoneCallView"]
        assert after[0] == views[0]  # D35: only the view named changes
        assert (after[1]["status"], after[1]["destination"]) == ("5", [VALUES["colleague"]])
    finally:
        api.close()


def test_unknown_fields_are_added_to_every_answer(clock: Clock) -> None:
    api = _api(clock, extra_fields=True)
    try:
        made = api.request("POST", "/uapi/phoneCalls/12/simple", json=_make_body(), token=TOKEN)
        assert made.headers["content-type"] == "application/json; charset=utf-8"
        assert "x-uapi-request" in made.headers
        ack = made.json()[0]
        assert {"id", "extension", "link", "requestId"} <= set(ack)
        listed = api.get(LIST).json()
        assert {"entry", "total"} <= set(listed)
        assert {"duration", "vendor"} <= set(listed["entry"][0])
        assert "statusText" in listed["entry"][0]["phoneCallView"][0]
        error = api.get(api.call_path("nosuchcall")).json()
        assert error["error"]["code"] == "pc_phonecall_invalid"
        assert "details" in error["error"] and "requestId" in error
    finally:
        api.close()


def _make_body() -> dict[str, Any]:
    return {"phoneCallView": [{"source": [CALLER], "destination": [VALUES["public"]]}]}


def test_chunked_answers_have_no_content_length_and_204_no_body() -> None:
    api = HttpApi(create_app(behaviour=Behaviour(chunked=True, close_connections=True)))
    try:
        made = api.request("POST", "/uapi/phoneCalls/12/simple", json=_make_body(), token=TOKEN)
        assert made.status_code == 202
        assert made.headers.get("transfer-encoding") == "chunked"
        assert "content-length" not in made.headers
        assert made.headers["connection"] == "close"
        head = api.request("HEAD", LIST)
        assert head.status_code == 200 and head.content == b""
        bulk = {
            "action": "Transfer",
            "sendCallTo": VALUES["colleague"],
            "transferFromNumber": CALLER,
        }
        empty = api.put(f"/uapi/phoneCalls/12/{VALUES['ringing']}", bulk)
        assert empty.status_code == 204 and empty.content == b""
        assert "content-length" not in empty.headers and "transfer-encoding" not in empty.headers
    finally:
        api.close()


def test_latency_holds_each_answer_without_holding_the_loop() -> None:
    """Two requests at once: both are handled before either answer goes out, so the wait is
    spent on the answer and the event loop serves others meanwhile."""
    events: list[str] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        events.append(f"handled {scope['path']}")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    shaped = ShapedAnswers(inner, Behaviour(latency=0.2))

    async def one(path: str) -> None:
        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                events.append(f"answered {path}")

        await shaped({"type": "http", "path": path, "method": "GET"}, receive, send)

    async def both() -> None:
        await asyncio.gather(one("/a"), one("/b"))

    asyncio.run(both())
    assert events[:2] == ["handled /a", "handled /b"]
    assert sorted(events[2:]) == ["answered /a", "answered /b"]


def test_latency_delays_every_answer_by_at_least_its_seconds() -> None:
    api = HttpApi(create_app(behaviour=Behaviour(latency=0.3)))
    try:
        answer = api.get(LIST)
        assert answer.status_code == 200
        assert answer.elapsed.total_seconds() >= 0.29  # a sleep never ends early; only later
    finally:
        api.close()


def test_behaviour_refuses_negative_or_endless_delays() -> None:
    with pytest.raises(ValueError, match="latency must be a number of seconds >= 0"):
        Behaviour(latency=-1)
    with pytest.raises(ValueError, match="effect_delay"):
        Behaviour(effect_delay=float("inf"))


def test_behaviour_describes_what_differs() -> None:
    assert Behaviour().describe() == "reference"
    assert Behaviour(latency=0.05, multi_view=True).describe() == "latency=0.05,multi-view"
