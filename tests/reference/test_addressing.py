"""A call is addressed under any extension of its user that takes part in it (decisions.md, the
dataset's last line), and every self link the server hands out answers 200 while the call lives
(D21), even after an action has taken the addressed extension out of the call."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette

from .support import CONTRACT, VALUES, Api, Req, fill

CALLER, RINGING, COLLEAGUE = VALUES["caller"], VALUES["ringing"], VALUES["colleague"]
# The call from the caller to the ringing terminal: both are user 12's and both take part.
ADDRESSED = [RINGING, "211", CALLER, "210", "@self"]
ACTIONS = ["Transfer", "TransferToVoicemail", "PickUp", "OnHold", "OffHold"]


def ringing_call(api: Api) -> str:
    call_id: str = api.make_call(RINGING)["id"]
    return call_id


def canonical(api: Api, call_id: str) -> str:
    return f"{api.base}/uapi/phoneCalls/12/{CALLER}/{call_id}"


def action_body(action: str) -> dict[str, Any]:
    if action == "OnHold":
        return fill(dict(CONTRACT.support.onhold_body), VALUES)
    body: dict[str, Any] = Req(CONTRACT.operations[action], "x").body
    return body


def follow(api: Api, link: str, call_id: str) -> dict[str, Any]:
    answer = api.get(link)
    assert answer.status_code == 200, (link, answer.text)
    call: dict[str, Any] = answer.json()
    assert call["id"] == call_id
    return call


@pytest.mark.parametrize("extension", ADDRESSED)
@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_under_every_extension_taking_part(
    api: Api, action: str, extension: str
) -> None:
    call_id = ringing_call(api)
    if action == "OffHold":  # D29 prepares it, under the caller
        onhold = api.put(api.call_path(call_id), action_body("OnHold"))
        assert onhold.status_code == 202
    answer = api.put(api.call_path(call_id, extension), action_body(action))
    assert answer.status_code == 202, answer.text
    ack = answer.json()
    assert ack["id"] == call_id
    # D15: the extension as addressed (the call's own for @self) ...
    assert ack["extension"] == (CALLER if extension == "@self" else extension)
    # ... and a link to the call that outlives the addressed extension's part in it.
    assert ack["link"]["self"] == canonical(api, call_id)
    call = follow(api, ack["link"]["self"], call_id)
    assert follow(api, call["link"]["self"], call_id) == call
    hung_up = api.delete(ack["link"]["self"])
    assert hung_up.status_code == 200
    assert api.get(ack["link"]["self"]).status_code == 400


@pytest.mark.parametrize("extension", [RINGING, "211", CALLER, "@self"])
def test_get_list_and_hang_up_under_every_extension_taking_part(
    api: Api, app: Starlette, extension: str
) -> None:
    call_id = ringing_call(api)
    call = follow(api, api.call_path(call_id, extension), call_id)
    assert call["link"]["self"] == canonical(api, call_id)
    listed = api.get(f"/uapi/phoneCalls/12/{extension}")
    assert listed.status_code == 200
    (entry,) = listed.json()["entry"]
    assert entry["id"] == call_id
    assert follow(api, entry["link"]["self"], call_id) == call
    answer = api.delete(api.call_path(call_id, extension))
    assert answer.status_code == 200
    assert answer.json() == {
        "id": call_id,
        "extension": CALLER if extension == "@self" else extension,
    }
    assert len(app.state.pbx) == 0


@pytest.mark.parametrize("action", ["Transfer", "TransferToVoicemail"])
def test_bulk_actions_under_the_ringing_terminal_give_links_that_answer(
    api: Api, action: str
) -> None:
    ids = [ringing_call(api), ringing_call(api)]
    api.make_call()  # not the ringing terminal's: left alone
    answer = api.put(f"/uapi/phoneCalls/12/{RINGING}", action_body(action))
    assert answer.status_code == 202, answer.text
    assert [ack["id"] for ack in answer.json()] == ids
    for ack in answer.json():
        assert ack["extension"] == RINGING
        view = follow(api, ack["link"]["self"], ack["id"])["phoneCallView"][0]
        assert view["destination"] == [COLLEAGUE]
    # The transfer took the ringing terminal out of both calls: its List is empty now.
    assert api.get(f"/uapi/phoneCalls/12/{RINGING}").json() == {"entry": []}


def test_an_extension_that_left_the_call_no_longer_addresses_it(api: Api) -> None:
    call_id = ringing_call(api)
    pick_up = api.put(api.call_path(call_id, RINGING), action_body("PickUp"))
    assert pick_up.status_code == 202
    gone = api.get(api.call_path(call_id, RINGING))
    assert gone.status_code == 400
    assert gone.json()["error"]["code"] == "pc_phonecall_invalid"
    follow(api, pick_up.json()["link"]["self"], call_id)
