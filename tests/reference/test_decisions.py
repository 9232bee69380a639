"""The decisions (D1-D30) the server implements, and the documents' examples replayed.

The examples are sent as the documents print them, with the typos read as decided: the GET of
000 is a PUT (D2), the singular path of 003 is plural (D1), the PickUp body's broken quote is the
obvious ``"callerId": ...`` (D4), and the headers are ``Content-Type`` and ``Authorization`` (D3).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.applications import Starlette

from pytest_uapi.contract.schemas import validator

from .support import CONTRACT, VALUES, Api, Req

CALLER, PUBLIC, COLLEAGUE, RINGING = (
    VALUES[k] for k in ("caller", "public", "colleague", "ringing")
)
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d\Z")


def view_of(api: Api, call_id: str, extension: str = CALLER) -> dict[str, Any]:
    answer = api.get(api.call_path(call_id, extension))
    assert answer.status_code == 200, answer.text
    view: dict[str, Any] = answer.json()["phoneCallView"][0]
    return view


# --- D1-D4: requests ---------------------------------------------------------------------------


def test_d1_the_singular_path_of_003_is_not_served(asgi: Api) -> None:
    call_id = asgi.prepare("on_hold")
    typo = asgi.put(
        f"/uapi/phoneCall/12/{CALLER}/{call_id}", {"action": "OffHold", "phoneCallViewId": "01"}
    )
    assert typo.status_code == 404
    assert typo.json()["error"]["code"] == "not_found"


def test_d3_any_request_content_type_is_read_as_json(asgi: Api) -> None:
    body = b'{"phoneCallView": [{"source": ["0003*210"], "destination": ["3235742879"]}]}'
    for content_type in ("application/json", "text/plain", "application/x-www-form-urlencoded"):
        answer = asgi.request(
            "POST",
            "/uapi/phoneCalls/12/simple",
            content=body,
            headers={"Content-Type": content_type},
        )
        assert answer.status_code == 202, content_type


@pytest.mark.parametrize("wait", [20, "20", 2.5, "2.5"])
def test_d4_d10_wait_for_pickup_is_a_number_or_a_numeric_string(asgi: Api, wait: object) -> None:
    call_id = asgi.prepare("ringing")
    req = Req(CONTRACT.operations["PickUp"], call_id).change("body.waitForPickup", wait)
    assert asgi.send_req(req).status_code == 202


# --- D5-D7: identifiers -------------------------------------------------------------------------


@pytest.mark.parametrize("user_id", ["@me", "@viewer", "@owner", "12"])
def test_d5_every_user_id_form_names_the_tokens_user(asgi: Api, user_id: str) -> None:
    ack = asgi.make_call(user=user_id)
    assert ack["link"]["self"].endswith(f"/uapi/phoneCalls/12/{CALLER}/{ack['id']}")
    req = Req(CONTRACT.operations["Transfer"], ack["id"]).change("path.userId", user_id)
    answer = asgi.send_req(req)
    assert answer.status_code == 202
    assert "/uapi/phoneCalls/12/" in answer.json()["link"]["self"]


def test_d5_owner_without_extension_is_the_owner_of_the_first_source(asgi: Api) -> None:
    ack = asgi.make_call(user="@owner", extension=None)
    assert ack["extension"] == CALLER


@pytest.mark.parametrize("user_id", ["999999", "abc", "@someone", "-1"])
def test_d5_a_user_id_naming_nobody_answers_user_invalid(asgi: Api, user_id: str) -> None:
    answer = asgi.request(
        "POST", f"/uapi/phoneCalls/{user_id}/simple", json={"phoneCallView": [_view()]}
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "user_invalid"


@pytest.mark.parametrize("extension", [CALLER, "210", "@self"])
def test_d6_extension_forms(asgi: Api, extension: str) -> None:
    call_id = asgi.prepare("on_call")
    req = Req(CONTRACT.operations["Transfer"], call_id).change("path.extension", extension)
    answer = asgi.send_req(req)
    assert answer.status_code == 202
    # The ack names the extension as addressed, except @self, which names the call's own; the
    # link is the call's one URL, under the extension it was made from.
    shown = CALLER if extension == "@self" else extension
    assert answer.json()["extension"] == shown
    assert answer.json()["link"]["self"].endswith(f"/12/{CALLER}/{call_id}")
    assert asgi.get(answer.json()["link"]["self"]).status_code == 200


def test_d6_a_call_is_addressed_under_any_extension_of_the_user_in_it(asgi: Api) -> None:
    call_id = asgi.prepare("ringing")
    assert view_of(asgi, call_id, RINGING)["status"] == "3"
    assert view_of(asgi, call_id, "211")["destination"] == [RINGING]
    assert [c["id"] for c in asgi.get(f"/uapi/phoneCalls/12/{RINGING}").json()["entry"]] == [
        call_id
    ]


@pytest.mark.parametrize(
    "call_id", ["0000unknown0000call", "not-a-call", "abc%20def", "%C3%A9t%C3%A9"]
)
def test_d7_a_bad_call_id_is_400_not_404(asgi: Api, call_id: str) -> None:
    asgi.prepare("on_call")
    for answer in (asgi.get(asgi.call_path(call_id)), asgi.delete(asgi.call_path(call_id))):
        assert answer.status_code == 400
        assert answer.json()["error"]["code"] == "pc_phonecall_invalid"


def test_d7_call_ids_are_opaque_alphanumeric_and_unique(asgi: Api) -> None:
    ids = [asgi.make_call()["id"] for _ in range(50)]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[0-9a-f]{20}", i) for i in ids)


# --- D11-D16, D29: actions ---------------------------------------------------------------------


def test_d11_transfer_accepts_a_public_number(asgi: Api) -> None:
    call_id = asgi.prepare("on_call_internal")
    req = Req(CONTRACT.operations["Transfer"], call_id).change("body.sendCallTo", PUBLIC)
    assert asgi.send_req(req).status_code == 202
    assert view_of(asgi, call_id)["destination"] == [PUBLIC]


def test_d12_voicemail_needs_no_transfer_numbers_and_takes_short_terminals(asgi: Api) -> None:
    call_id = asgi.prepare("on_call")
    answer = asgi.put(
        asgi.call_path(call_id), {"action": "TransferToVoicemail", "sendCallTo": "024"}
    )
    assert answer.status_code == 202
    assert view_of(asgi, call_id)["destination"] == ["024"]


def test_d13_pickup_connects_the_ringing_call(asgi: Api) -> None:
    call_id = asgi.prepare("ringing")
    before = view_of(asgi, call_id)
    assert before["status"] == "3" and "answered" not in before
    answer = asgi.send_req(Req(CONTRACT.operations["PickUp"], call_id))
    assert answer.status_code == 202
    after = view_of(asgi, call_id)
    assert after["status"] == "5" and ISO.match(after["answered"])
    assert after["destination"] == [COLLEAGUE]
    assert after["callerId"] == VALUES["caller_id"]


def test_d14_d29_hold_then_off_hold(asgi: Api) -> None:
    call_id = asgi.prepare("on_call")
    held = asgi.put(asgi.call_path(call_id), {"action": "OnHold", "phoneCallViewId": "01"})
    assert held.status_code == 202
    assert validator("ack-strict").is_valid(held.json())
    assert view_of(asgi, call_id)["onHold"] is True
    bad_view = asgi.put(asgi.call_path(call_id), {"action": "OnHold", "phoneCallViewId": "02"})
    assert bad_view.json()["error"]["code"] == "pc_phonecallview_invalid"
    asgi.send_req(Req(CONTRACT.operations["OffHold"], call_id))
    view = view_of(asgi, call_id)
    assert "onHold" not in view and view["status"] == "5"


@pytest.mark.parametrize("action", ["PickUp", "OffHold", "OnHold"])
def test_d16_only_transfers_have_a_bulk_form(asgi: Api, action: str) -> None:
    asgi.prepare("ringing")
    body = {"action": action, "sendCallTo": COLLEAGUE, "phoneCallViewId": "01"}
    answer = asgi.put(f"/uapi/phoneCalls/12/{CALLER}", body)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "pc_phonecall_invalid"


def test_d16_bulk_with_self_transfers_every_call_of_the_user(asgi: Api) -> None:
    ids = [asgi.prepare("on_call"), asgi.prepare("ringing")]
    body = {"action": "Transfer", "sendCallTo": PUBLIC, "transferFromNumber": CALLER}
    answer = asgi.put("/uapi/phoneCalls/@me/@self", body)
    assert answer.status_code == 202
    assert [(a["id"], a["extension"]) for a in answer.json()] == [(i, CALLER) for i in ids]


# --- D18-D20: making a call ---------------------------------------------------------------------


def test_d18_the_extension_defaults_to_the_first_source(asgi: Api) -> None:
    ack = asgi.make_call(extension=None, source="210")
    assert ack["extension"] == "210"
    assert ack["link"]["self"].endswith(f"/12/{CALLER}/{ack['id']}")


def test_d18_without_extension_the_first_source_must_be_the_users_terminal(asgi: Api) -> None:
    body = {"phoneCallView": [{"source": [PUBLIC], "destination": [CALLER]}]}
    answer = asgi.request("POST", "/uapi/phoneCalls/12/simple", json=body)
    assert answer.json()["error"]["code"] == "extension_invalid"
    body = {"phoneCallView": [{"source": ["abc"], "destination": [CALLER]}]}
    answer = asgi.request("POST", "/uapi/phoneCalls/12/simple", json=body)
    assert answer.json()["error"]["code"] == "pc_source_invalid"


@pytest.mark.parametrize(
    "query",
    [
        {"waitForPickup": "10", "callDuration": "60", "allowPublicTransfer": "true"},
        {"allowPublicTransfer": "false", "video": "anything"},
    ],
)
def test_d19_valid_query_parameters_are_accepted(asgi: Api, query: dict[str, str]) -> None:
    req = Req(CONTRACT.operations["MakeCall"])
    req.query.update(query)
    assert asgi.send_req(req).status_code == 202


def test_d20_one_call_per_request_reports_nonce_numbers_and_owner(asgi: Api) -> None:
    answer = asgi.send_req(Req(CONTRACT.operations["MakeCall"]))
    (ack,) = answer.json()
    call = asgi.get(ack["link"]["self"]).json()
    assert call["nonce"] == VALUES["nonce"]
    assert call["ownerId"] == "3" and call["ownerName"] == "Default Organization"
    assert ISO.match(call["published"]) and ISO.match(call["answered"])
    view = call["phoneCallView"][0]
    assert (view["source"], view["destination"]) == ([CALLER], [PUBLIC])


# --- D21-D24: the self link and the effects --------------------------------------------------


def test_d22_null_fields_are_omitted(asgi: Api) -> None:
    call_id = asgi.prepare("ringing")
    call = asgi.get(asgi.call_path(call_id)).json()
    assert "answered" not in call and "nonce" not in call
    assert "callerId" not in call["phoneCallView"][0]
    assert None not in call.values()


def test_d23_status_is_a_string(asgi: Api) -> None:
    assert view_of(asgi, asgi.prepare("on_call"))["status"] == "5"
    assert view_of(asgi, asgi.prepare("ringing"))["status"] == "3"


@pytest.mark.parametrize("operation", ["Transfer", "TransferToVoicemail", "PickUp"])
def test_d24_send_call_to_is_visible_after_the_action(asgi: Api, operation: str) -> None:
    op = CONTRACT.operations[operation]
    call_id = asgi.prepare(op.state)
    asgi.send_req(Req(op, call_id))
    view = view_of(asgi, call_id)
    assert COLLEAGUE in view["source"] + view["destination"]


# --- D27, D28, D30 ------------------------------------------------------------------------------


def test_d27_a_refused_request_changes_nothing(asgi: Api, app: Starlette) -> None:
    call_id = asgi.prepare("on_call")
    before = app.state.pbx.snapshot()
    req = Req(CONTRACT.operations["Transfer"], call_id).change("body.transferNumber", "abc")
    assert asgi.send_req(req).status_code == 400
    assert app.state.pbx.snapshot() == before


def test_d28_hang_up_with_self(asgi: Api) -> None:
    call_id = asgi.prepare("on_call")
    answer = asgi.delete(f"/uapi/phoneCalls/@me/@self/{call_id}")
    assert answer.json() == {"id": call_id, "extension": CALLER}
    assert asgi.get("/uapi/phoneCalls/@me/@self").json() == {"entry": []}


# --- the documents' examples ------------------------------------------------------------------


def example_headers() -> dict[str, str]:
    return {"Content-Type": "application/json"}


def test_example_000_transfer_to_voicemail(asgi: Api) -> None:
    call_id = asgi.make_call(phoneCallView=[_view(callerId="John Doe <3334444>")])["id"]
    answer = asgi.put(
        f"/uapi/phoneCalls/12/0003*210/{call_id}",
        {
            "action": "TransferToVoicemail",
            "sendCallTo": "0003*024",
            "transferFromNumber": "0003*024",
        },
        headers=example_headers(),
    )
    assert answer.status_code == 202
    assert answer.json() == {
        "id": call_id,
        "extension": "0003*210",
        "link": {"self": f"{asgi.base}/uapi/phoneCalls/12/0003*210/{call_id}"},
    }
    listed = asgi.get(answer.json()["link"]["self"]).json()
    assert _stable(listed) == {
        "id": call_id,
        "extension": "0003*210",
        "ownerId": "3",
        "ownerName": "Default Organization",
        "phoneCallView": [
            {
                "id": "01",
                "extension": "0003*210",
                "status": "5",
                "callerId": "John Doe <3334444>",
                "source": ["0003*210"],
                "destination": ["0003*024"],
            }
        ],
        "link": {"self": f"{asgi.base}/uapi/phoneCalls/12/0003*210/{call_id}"},
    }


def test_example_001_transfer(asgi: Api) -> None:
    call_id = asgi.make_call(COLLEAGUE)["id"]
    body = {
        "action": "Transfer",
        "sendCallTo": "3235742879",
        "transferFromNumber": "0003*024",
        "transferNumber": "0003*210",
    }
    answer = asgi.put(f"/uapi/phoneCalls/12/0003*210/{call_id}", body, headers=example_headers())
    assert answer.status_code == 202
    assert answer.json()["extension"] == "0003*210"
    view = asgi.get(answer.json()["link"]["self"]).json()["phoneCallView"][0]
    assert (view["status"], view["source"], view["destination"]) == (
        "5",
        ["0003*210"],
        ["3235742879"],
    )


def test_example_002_pickup(asgi: Api) -> None:
    call_id = asgi.make_call(RINGING)["id"]
    # The document's body, with its broken quote read as D4 decides.
    raw = (
        '{\n  "action":"PickUp",\n  "sendCallTo":"0003*024", \n'
        '  "callerId":"John Doe <42420042>",\n  "waitForPickup":"20" ,\n'
        '  "phoneCallViewId":"01"\n}'
    )
    answer = asgi.request(
        "PUT", f"/uapi/phoneCalls/@me/0003*210/{call_id}", content=raw, headers=example_headers()
    )
    assert answer.status_code == 202
    assert answer.json() == {
        "id": call_id,
        "extension": "0003*210",
        "link": {"self": f"{asgi.base}/uapi/phoneCalls/12/0003*210/{call_id}"},
    }
    view = asgi.get(answer.json()["link"]["self"]).json()["phoneCallView"][0]
    assert view["status"] == "5" and view["callerId"] == "John Doe <42420042>"
    assert "0003*024" in view["source"] + view["destination"]


def test_example_003_off_hold(asgi: Api) -> None:
    call_id = asgi.prepare("on_hold")
    answer = asgi.put(
        f"/uapi/phoneCalls/12/0003*210/{call_id}",
        {"action": "OffHold", "phoneCallViewId": "01"},
        headers=example_headers(),
    )
    assert answer.status_code == 202
    assert answer.json()["link"]["self"] == f"{asgi.base}/uapi/phoneCalls/12/0003*210/{call_id}"
    view = asgi.get(answer.json()["link"]["self"]).json()["phoneCallView"][0]
    assert view["status"] == "5" and "onHold" not in view


@pytest.mark.parametrize(
    ("user", "extension", "destination"),
    [("@me", "210", "3235742879"), ("12", "0003*210", "3235742879"), ("12", "0003*210", "0003*00")],
    ids=["first", "second", "sandbox"],
)
def test_example_004_make_call(asgi: Api, user: str, extension: str, destination: str) -> None:
    source = ["0003*210"] if destination == "0003*00" else ["5354353", "5302040"]
    body = {
        "extension": extension,
        "phoneCallView": [
            {"source": source, "destination": [destination], "callerId": "John Doe <4242425>"}
        ],
    }
    answer = asgi.request(
        "POST", f"/uapi/phoneCalls/{user}/simple", json=body, headers=example_headers()
    )
    assert answer.status_code == 202
    (ack,) = answer.json()
    assert ack["extension"] == extension
    assert ack["link"]["self"] == f"{asgi.base}/uapi/phoneCalls/12/0003*210/{ack['id']}"
    view = asgi.get(ack["link"]["self"]).json()["phoneCallView"][0]
    assert view["destination"] == [destination] and view["source"] == source


def _view(**extra: Any) -> dict[str, Any]:
    return {"source": [CALLER], "destination": [PUBLIC], **extra}


def _stable(call: dict[str, Any]) -> dict[str, Any]:
    """The call without its timestamps, which the examples cannot predict."""
    out = {k: v for k, v in call.items() if k not in ("answered", "published")}
    out["phoneCallView"] = [
        {k: v for k, v in view.items() if k != "answered"} for view in call["phoneCallView"]
    ]
    return out
