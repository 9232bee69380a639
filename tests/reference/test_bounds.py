"""The reference server's own bounds (docs/reference-server.md, "Bounds"): every string field and
every list has a cap, a value over it answers the field's documented code (or the server's own)
and changes nothing, and what the PBX keeps of a request is a small multiple of its size."""

from __future__ import annotations

import gc
import json
import tracemalloc
from typing import Any

import pytest
from starlette.applications import Starlette

from pytest_uapi.reference.validation import (
    MAX_CALLER_ID,
    MAX_ID,
    MAX_NONCE,
    MAX_NUMBER,
    MAX_NUMBERS,
    MAX_QUERY_VALUE,
)

from .support import CONTRACT, VALUES, Api, Req

CALLER = VALUES["caller"]
LONGEST_NUMBER = "+" + "1" * (MAX_NUMBER - 1)
LONGEST_CALLER_ID = "J" * (MAX_CALLER_ID - len(" <0003*210>")) + " <0003*210>"


def maximal_make_call() -> dict[str, Any]:
    """The largest make-call body every cap accepts."""
    return {
        "extension": CALLER,
        "nonce": "n" * MAX_NONCE,
        "phoneCallView": [
            {
                "source": [CALLER] + [LONGEST_NUMBER] * (MAX_NUMBERS - 1),
                "destination": [LONGEST_NUMBER] * MAX_NUMBERS,
                "callerId": LONGEST_CALLER_ID,
                "callerIdDestination": LONGEST_CALLER_ID,
            }
        ],
    }


def test_a_request_at_every_cap_is_accepted_and_kept_as_sent(api: Api) -> None:
    body = maximal_make_call()
    answer = api.request("POST", "/uapi/phoneCalls/12/simple", json=body)
    assert answer.status_code == 202, answer.text
    call = api.get(answer.json()[0]["link"]["self"]).json()
    assert call["nonce"] == body["nonce"]
    view = call["phoneCallView"][0]
    sent = body["phoneCallView"][0]
    assert (view["source"], view["destination"]) == (sent["source"], sent["destination"])
    assert view["callerId"] == LONGEST_CALLER_ID


def _view(**change: Any) -> dict[str, Any]:
    return {"source": [CALLER], "destination": [VALUES["public"]], **change}


TOO_LONG = "1" * (MAX_NUMBER + 1)
MAKE_CALL_CASES = [
    ("too-many-sources", {"phoneCallView": [_view(source=[CALLER] * 17)]}, "pc_source_invalid"),
    ("long-source", {"phoneCallView": [_view(source=[TOO_LONG])]}, "pc_source_invalid"),
    (
        "too-many-destinations",
        {"phoneCallView": [_view(destination=["5551234"] * 17)]},
        "pc_destination_invalid",
    ),
    (
        "long-destination",
        {"phoneCallView": [_view(destination=[TOO_LONG])]},
        "pc_destination_invalid",
    ),
    (
        "tiny-numbers-filling-the-body",
        {"phoneCallView": [_view(destination=[str(10 + i % 90) for i in range(10_000)])]},
        "pc_destination_invalid",
    ),
    (
        "10kb-caller-id",
        {"phoneCallView": [_view(callerId="J" * 10_000 + " <0003*210>")]},
        "pc_callerid_invalid",
    ),
    (
        "caller-id-one-over",
        {"phoneCallView": [_view(callerId="J" + LONGEST_CALLER_ID)]},
        "pc_callerid_invalid",
    ),
    (
        "long-caller-id-destination",
        {"phoneCallView": [_view(callerIdDestination="J" * 10_000 + " <1>")]},
        "pc_callerid_invalid",
    ),
    (
        "nonce-one-over",
        {"nonce": "n" * (MAX_NONCE + 1), "phoneCallView": [_view()]},
        "pc_nonce_invalid",
    ),
    (
        "long-extension",
        {"extension": "1" * 10_000, "phoneCallView": [_view()]},
        "extension_invalid",
    ),
]


@pytest.mark.parametrize(
    ("body", "code"), [pytest.param(b, c, id=name) for name, b, c in MAKE_CALL_CASES]
)
def test_make_call_over_a_cap_answers_the_fields_code(
    api: Api, app: Starlette, body: dict[str, Any], code: str
) -> None:
    api.make_call()
    state = app.state.pbx.snapshot()
    answer = api.request("POST", "/uapi/phoneCalls/12/simple", json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == code
    assert app.state.pbx.snapshot() == state


ACTION_CASES = [
    ("Transfer", "body.sendCallTo", TOO_LONG, "pc_sendcallto_invalid"),
    ("Transfer", "body.transferFromNumber", TOO_LONG, "pc_transfer_from_number_invalid"),
    ("Transfer", "body.transferNumber", TOO_LONG, "pc_transfer_number_invalid"),
    ("TransferToVoicemail", "body.sendCallTo", "0003*" + "1" * 40, "pc_sendcallto_invalid"),
    ("PickUp", "body.callerId", "J" + LONGEST_CALLER_ID, "pc_callerid_invalid"),
    ("PickUp", "body.phoneCallViewId", "0" * 10_000 + "1", "pc_phonecallview_invalid"),
    ("PickUp", "body.waitForPickup", "0" * MAX_NUMBER + "2", "pc_timeout_invalid"),
    ("PickUp", "body.sendCallTo", "0003*0" + "0" * 40 + "24", "pc_sendcallto_invalid"),
    ("OffHold", "body.phoneCallViewId", "0" * (MAX_ID + 1), "pc_phonecallview_invalid"),
    ("Transfer", "body.action", "Transfer" * 1000, "pc_action_invalid"),
    ("Transfer", "path.userId", "0" * MAX_ID + "12", "user_invalid"),
    ("Transfer", "path.extension", "0" * MAX_NUMBER + "210", "extension_invalid"),
]


@pytest.mark.parametrize(("operation", "field", "value", "code"), ACTION_CASES)
def test_an_action_over_a_cap_answers_the_fields_code(
    asgi: Api, app: Starlette, operation: str, field: str, value: str, code: str
) -> None:
    op = CONTRACT.operations[operation]
    call_id = asgi.prepare(op.state)
    state = app.state.pbx.snapshot()
    answer = asgi.send_req(Req(op, call_id).change(field, value))
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == code
    assert app.state.pbx.snapshot() == state


def test_a_long_call_id_answers_pc_phonecall_invalid_for_every_method(
    api: Api, app: Starlette
) -> None:
    api.make_call()
    state = app.state.pbx.snapshot()
    path = api.call_path("a" * (MAX_ID + 1))
    transfer = Req(CONTRACT.operations["Transfer"], "x").body
    for answer in (api.get(path), api.delete(path), api.put(path, transfer)):
        assert answer.status_code == 400
        assert answer.json()["error"]["code"] == "pc_phonecall_invalid"
    assert app.state.pbx.snapshot() == state


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"callDuration": "1" * (MAX_QUERY_VALUE + 1)}, "pc_duration_invalid"),
        ({"waitForPickup": "0" * (MAX_QUERY_VALUE + 1)}, "pc_timeout_invalid"),
        ({"allowPublicTransfer": "t" * (MAX_QUERY_VALUE + 1)}, "pc_transfer_invalid"),
        ({"video": "x" * (MAX_QUERY_VALUE + 1)}, "invalid_request"),
        ([("callDuration", "10"), ("callDuration", "-1")], "pc_duration_invalid"),
        ([("video", "1"), ("video", "0")], "invalid_request"),
    ],
    ids=["duration", "wait", "public-transfer", "video", "duration-twice", "video-twice"],
)
def test_a_query_value_over_the_cap_or_sent_twice_is_refused(
    api: Api, app: Starlette, query: Any, code: str
) -> None:
    state = app.state.pbx.snapshot()
    body = {"phoneCallView": [_view()]}
    answer = api.request("POST", "/uapi/phoneCalls/12/simple", params=query, json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == code
    assert app.state.pbx.snapshot() == state


def _retained(app: Starlette, api: Api, body: dict[str, Any], count: int) -> tuple[int, int]:
    """Bytes the server still holds after ``count`` such requests, and the bytes sent."""
    content = json.dumps(body).encode()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(count):
            api.request("POST", "/uapi/phoneCalls/12/simple", content=content)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return after - before, len(content) * count


def test_what_the_pbx_keeps_is_a_small_multiple_of_what_was_sent(asgi: Api, app: Starlette) -> None:
    kept, sent = _retained(app, asgi, maximal_make_call(), 200)
    assert len(app.state.pbx) == 200
    # Measured: about 2.1 times (Python objects for each string, list and call).
    assert kept < 4 * sent, (kept, sent)


def test_a_body_full_of_tiny_numbers_keeps_nothing(asgi: Api, app: Starlette) -> None:
    # Each two-digit number is 5 bytes of JSON and ~60 bytes of Python: 12x when it was kept.
    numbers = [str(10 + i % 90) for i in range(10_000)]
    kept, sent = _retained(app, asgi, {"phoneCallView": [_view(destination=numbers)]}, 20)
    assert len(app.state.pbx) == 0
    assert kept < sent // 20, (kept, sent)
