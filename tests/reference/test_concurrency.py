"""What runs under the PBX lock: choosing and changing calls, never rendering them, and a bulk
action computes its changes outside the lock and stays atomic when calls change meanwhile."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette

from pytest_uapi.contract.schemas import validator
from pytest_uapi.reference.app import LIST_PIECE
from pytest_uapi.reference.pbx import Call, Pbx

from .support import CONTRACT, VALUES, Api, Req

CALLER, COLLEAGUE = VALUES["caller"], VALUES["colleague"]


def make_call(app: Starlette) -> str:
    """A call of user 12 to a public number, made on the PBX itself (the caller holds the lock)."""
    call: Call = app.state.pbx.make_call(
        owner="12",
        extension=app.state.dataset.extensions[CALLER],
        source=[CALLER],
        destination=[VALUES["public"]],
    )
    return call.id


def make_calls(app: Starlette, count: int) -> list[str]:
    with app.state.pbx.lock:
        return [make_call(app) for _ in range(count)]


def test_calls_are_rendered_outside_the_lock(
    api: Api, app: Starlette, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = make_calls(app, LIST_PIECE * 2 + 1)
    pbx: Pbx = app.state.pbx
    locked: list[bool] = []
    render = Call.render

    def watched(call: Call) -> dict[str, Any]:
        locked.append(pbx.lock.locked())
        return render(call)

    monkeypatch.setattr(Call, "render", watched)
    listed = api.get("/uapi/phoneCalls/12/@self")
    assert api.get(api.call_path(ids[0])).status_code == 200
    assert len(locked) == len(ids) + 1
    assert not any(locked), "a call was rendered while the PBX lock was held"
    # The List, streamed a piece at a time, is the same JSON as a short one.
    assert listed.status_code == 200
    assert listed.headers["content-type"] == "application/json"
    assert [entry["id"] for entry in listed.json()["entry"]] == ids
    assert not list(validator("collection").iter_errors(listed.json()))


def test_head_of_a_long_list_sends_no_body(api: Api, app: Starlette) -> None:
    make_calls(app, LIST_PIECE + 1)
    before = app.state.pbx.snapshot()
    head = api.request("HEAD", "/uapi/phoneCalls/12/@self")
    assert head.status_code == 200
    assert head.content == b""
    assert app.state.pbx.snapshot() == before


def test_a_bulk_action_is_computed_outside_the_lock_and_committed_as_of_now(
    asgi: Api, app: Starlette, monkeypatch: pytest.MonkeyPatch
) -> None:
    pbx: Pbx = app.state.pbx
    first, second = make_calls(app, 2)
    transferred = pbx.transferred
    meanwhile: list[str] = []

    def interleaved(call: Call, send_call_to: str) -> Call:
        # Another client's requests, run while the bulk action computes: possible only if the
        # lock is free at this point.
        if not meanwhile:
            assert pbx.lock.acquire(timeout=5), "the bulk action computes under the lock"
            try:
                held = pbx.find("12", None, first)
                assert held is not None
                pbx.store(pbx.held(held, held.views[0]))
                hung_up = pbx.find("12", None, second)
                assert hung_up is not None
                pbx.hang_up(hung_up)
                meanwhile.append(make_call(app))
            finally:
                pbx.lock.release()
        return transferred(call, send_call_to)

    monkeypatch.setattr(pbx, "transferred", interleaved)
    answer = asgi.send_req(Req(CONTRACT.operations["Transfer"], bulk=True))
    assert answer.status_code == 202, answer.text
    # As of the commit: the held call transferred and still on hold, the hung-up one left
    # out, the one made meanwhile transferred too.
    assert [ack["id"] for ack in answer.json()] == [first, meanwhile[0]]
    views = {call["id"]: call["phoneCallView"][0] for call in list_of(asgi)}
    assert views[first]["destination"] == [COLLEAGUE]
    assert views[first]["onHold"] is True
    assert views[meanwhile[0]]["destination"] == [COLLEAGUE]
    assert second not in views


def list_of(api: Api) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = api.get("/uapi/phoneCalls/12/@self").json()["entry"]
    return entries


def test_a_bulk_action_whose_calls_all_went_meanwhile_answers_204(
    asgi: Api, app: Starlette, monkeypatch: pytest.MonkeyPatch
) -> None:
    pbx: Pbx = app.state.pbx
    make_calls(app, 1)
    transferred = pbx.transferred

    def hung_up_meanwhile(call: Call, send_call_to: str) -> Call:
        with pbx.lock:
            pbx.hang_up(call)
        return transferred(call, send_call_to)

    monkeypatch.setattr(pbx, "transferred", hung_up_meanwhile)
    answer = asgi.send_req(Req(CONTRACT.operations["Transfer"], bulk=True))
    assert answer.status_code == 204
    assert len(pbx) == 0
