"""Every endpoint, in process and over HTTP, against the strict schemas."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from pytest_uapi.contract.schemas import validator

from .support import CONTRACT, VALUES, Api, HttpApi, Req


def assert_valid(schema: str, body: Any) -> None:
    errors = sorted(validator(schema).iter_errors(body), key=str)
    assert not errors, [e.message for e in errors]


def assert_error(answer: httpx.Response, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert_valid("error", answer.json())
    assert answer.json()["error"]["code"] == code


def test_make_call_answers_202_with_one_acknowledgement(api: Api) -> None:
    answer = api.send_req(Req(CONTRACT.operations["MakeCall"]))
    assert answer.status_code == 202
    assert answer.headers["content-type"] == "application/json"
    acks = answer.json()
    assert isinstance(acks, list) and len(acks) == 1
    assert_valid("ack-strict", acks[0])
    assert acks[0]["extension"] == VALUES["caller"]
    assert acks[0]["link"]["self"] == f"{api.base}/uapi/phoneCalls/12/0003*210/{acks[0]['id']}"


def test_self_link_answers_the_phonecall(api: Api) -> None:
    ack = api.make_call(nonce="abc", phoneCallView=[_view(callerId="Ann <0003*210>")])
    answer = api.get(ack["link"]["self"])
    assert answer.status_code == 200
    call = answer.json()
    assert_valid("phonecall", call)
    assert call["id"] == ack["id"]
    assert call["link"]["self"] == ack["link"]["self"]
    assert call["nonce"] == "abc"
    assert call["phoneCallView"][0]["callerId"] == "Ann <0003*210>"


def test_the_reference_ignores_the_marker_of_the_viewless_fault(api: Api) -> None:
    # The fault "<op>.self_link:no-views" marks its links with a query parameter; a client
    # that adds it to the reference server's link must still get the views.
    ack = api.make_call()
    answer = api.get(ack["link"]["self"] + "?uapi-fault-viewless=1")
    assert answer.status_code == 200
    assert_valid("phonecall", answer.json())


def test_list_answers_the_collection_oldest_first(api: Api) -> None:
    first = api.make_call()["id"]
    second = api.make_call(VALUES["colleague"])["id"]
    answer = api.get("/uapi/phoneCalls/12/0003*210")
    assert answer.status_code == 200
    assert_valid("collection", answer.json())
    assert [c["id"] for c in answer.json()["entry"]] == [first, second]
    assert api.get("/uapi/phoneCalls/12/0003*211").json() == {"entry": []}


@pytest.mark.parametrize("operation", ["Transfer", "TransferToVoicemail", "PickUp", "OffHold"])
def test_each_action_answers_202_and_a_followable_link(api: Api, operation: str) -> None:
    op = CONTRACT.operations[operation]
    call_id = api.prepare(op.state)
    answer = api.send_req(Req(op, call_id))
    assert answer.status_code == 202, answer.text
    assert_valid("ack-strict", answer.json())
    assert answer.json()["id"] == call_id
    followed = api.get(answer.json()["link"]["self"])
    assert followed.status_code == 200
    assert_valid("phonecall", followed.json())


@pytest.mark.parametrize("operation", ["Transfer", "TransferToVoicemail"])
def test_bulk_action_answers_204_then_202_with_every_call(api: Api, operation: str) -> None:
    req = Req(CONTRACT.operations[operation], bulk=True)
    empty = api.send_req(req)
    assert empty.status_code == 204
    assert empty.content == b""
    ids = [api.prepare("on_call"), api.prepare("on_call")]
    answer = api.send_req(req)
    assert answer.status_code == 202
    assert [a["id"] for a in answer.json()] == ids
    for ack in answer.json():
        assert_valid("ack-strict", ack)
        view = api.get(ack["link"]["self"]).json()["phoneCallView"][0]
        assert view["destination"] == [VALUES["colleague"]]


def test_hang_up_removes_the_call(api: Api) -> None:
    call_id = api.prepare("on_call")
    answer = api.delete(api.call_path(call_id))
    assert answer.status_code == 200
    assert answer.json() == {"id": call_id, "extension": VALUES["caller"]}
    assert_error(api.get(api.call_path(call_id)), 400, "pc_phonecall_invalid")
    assert_error(api.delete(api.call_path(call_id)), 400, "pc_phonecall_invalid")


def test_hang_up_all_answers_200_then_204(api: Api) -> None:
    ids = [api.prepare("on_call"), api.prepare("ringing")]
    answer = api.delete("/uapi/phoneCalls/12/0003*210")
    assert answer.status_code == 200
    assert [a["id"] for a in answer.json()] == ids
    again = api.delete("/uapi/phoneCalls/12/0003*210")
    assert again.status_code == 204
    assert again.content == b""


def test_unknown_route_and_wrong_method_answer_error_bodies(api: Api) -> None:
    assert_error(api.get("/uapi/nothing"), 404, "not_found")
    assert_error(api.get("/uapi/phoneCalls/12/0003*210/abc/extra"), 404, "not_found")
    assert_error(api.get("/uapi/phoneCalls/12/0003*210/"), 404, "not_found")
    wrong = api.request("POST", "/uapi/phoneCalls/12/0003*210/abc", json={})
    assert_error(wrong, 405, "method_not_allowed")
    assert "PUT" in wrong.headers["allow"]
    assert_error(api.request("PATCH", "/uapi/phoneCalls/12/simple"), 405, "method_not_allowed")


def test_served_under_a_path_prefix(app: Starlette) -> None:
    api = HttpApi(app, prefix="/pbx/v1")
    try:
        assert api.base.endswith("/pbx/v1")
        ack = api.make_call()
        assert ack["link"]["self"].startswith(f"{api.base}/uapi/phoneCalls/12/")
        assert api.get(ack["link"]["self"]).status_code == 200
        outside = api.get(api.base.removesuffix("/pbx/v1") + "/uapi/phoneCalls/12/0003*210")
        assert_error(outside, 404, "not_found")
    finally:
        api.close()


def _view(**extra: Any) -> dict[str, Any]:
    return {"source": [VALUES["caller"]], "destination": [VALUES["public"]], **extra}
