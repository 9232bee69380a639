"""Every documented error code, from the contract data, and the codes the server chose itself.

Each documented case breaks one field of a valid request built from the operation's data (D26)
and must answer 400 with that row's code, leaving the call byte-identical (D27).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette

from pytest_uapi.contract import Cause, Requirement
from pytest_uapi.contract.model import REMOVE
from pytest_uapi.reference import create_app

from .support import COLLEAGUE_TOKEN, CONTRACT, FOREIGN_TOKEN, VALUES, Api, AsgiApi, HttpApi, Req

CASES = [
    pytest.param(row, cause, id=f"{row.id}[{cause.name}]")
    for row in CONTRACT.by_category("error")
    if row.code
    for cause in row.causes
]


def assert_error(answer: httpx.Response, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    error = answer.json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]


def observe(api: Api, call_id: str) -> bytes:
    """What a client can see of the state the request might touch."""
    if call_id:
        return api.get(api.call_path(call_id)).content
    return api.get("/uapi/phoneCalls/12/@self").content


def test_every_documented_code_has_a_case() -> None:
    documented = {
        (op, row.code) for row in CONTRACT.by_category("error") if row.code for op in row.operations
    }
    cased = {(p.values[0].operations[0], p.values[0].code) for p in CASES}
    assert documented == cased


@pytest.mark.parametrize(("row", "cause"), CASES)
def test_documented_code(asgi: Api, app: Starlette, row: Requirement, cause: Cause) -> None:
    operation = CONTRACT.operations[row.operations[0]]
    call_id = asgi.prepare(operation.state) if operation.state else ""
    req = Req(operation, call_id)
    if cause.needs == "gone_call":  # a call that existed and was hung up: its id names nothing now
        gone = asgi.make_call()["id"]
        assert asgi.delete(asgi.call_path(gone)).is_success
        req.values["gone_call_id"] = gone
    for field, value in cause.changes.items():
        req.change(field, value, remove=value is REMOVE)
    before, state = observe(asgi, call_id), app.state.pbx.snapshot()
    assert_error(asgi.send_req(req), 400, row.code or "")
    assert observe(asgi, call_id) == before
    assert app.state.pbx.snapshot() == state


@pytest.fixture
def on_call(asgi: Api) -> Iterator[str]:
    yield asgi.prepare("on_call")


def transfer(call_id: str) -> Req:
    return Req(CONTRACT.operations["Transfer"], call_id)


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic c2FuZGJveA==", "sandbox-token-12", "Bearer nope"],
)
def test_bad_credentials_answer_401_access_denied(
    asgi: Api, app: Starlette, on_call: str, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    state = app.state.pbx.snapshot()
    req = transfer(on_call)
    answer = asgi.request("PUT", req.path, json=req.body, token=None, headers=headers)
    assert_error(answer, 401, "access_denied")
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert app.state.pbx.snapshot() == state


# Characters str.strip() removes but a header value cannot carry plainly: a token ending (or
# starting) with one of them is not the dataset's token, whatever a lenient reader makes of it.
HIDDEN = [b"\x1f", b"\x1c", b"\x7f", b"\x85", b"\xa0"]


@pytest.mark.parametrize(
    "values",
    [
        [b"Bearer sandbox-token-12", b"Bearer sandbox-token-12"],
        [b"Bearer sandbox-token-12", b"Bearer nope"],
        [b"Bearer nope", b"Bearer sandbox-token-12"],
        *([b"Bearer sandbox-token-12" + c] for c in HIDDEN),
        *([b"Bearer " + c + b"sandbox-token-12"] for c in HIDDEN),
        [b"Bearer sandbox-token-12, Bearer sandbox-token-12"],
    ],
    ids=[
        "twice",
        "good-then-bad",
        "bad-then-good",
        *(f"trailing-{c.hex()}" for c in HIDDEN),
        *(f"leading-{c.hex()}" for c in HIDDEN),
        "two-in-one",
    ],
)
def test_ambiguous_credentials_answer_401_access_denied(
    api: Api, app: Starlette, values: list[bytes]
) -> None:
    call_id = api.prepare("on_call")
    state = app.state.pbx.snapshot()
    req = transfer(call_id)
    headers = [(b"Authorization", value) for value in values]
    answer = api.send("PUT", api.base + req.path, headers=headers, json=req.body)
    assert_error(answer, 401, "access_denied")
    assert app.state.pbx.snapshot() == state


@pytest.mark.parametrize("control", [b"\x0b", b"\x0c", b"\x00", b"\x1f"])
def test_control_characters_in_process_answer_401(
    asgi: Api, app: Starlette, on_call: str, control: bytes
) -> None:
    # Over HTTP, h11 refuses some of these before the app; in process nothing does.
    state = app.state.pbx.snapshot()
    req = transfer(on_call)
    for value in (b"Bearer sandbox-token-12" + control, control + b"Bearer sandbox-token-12"):
        answer = asgi.send("PUT", asgi.base + req.path, headers=[(b"Authorization", value)])
        assert_error(answer, 401, "access_denied")
    assert app.state.pbx.snapshot() == state


@pytest.mark.parametrize(
    "value",
    [
        "Bearer sandbox-token-12",
        "bearer sandbox-token-12",
        "BEARER   sandbox-token-12",
        " Bearer sandbox-token-12 ",
        "\tBearer sandbox-token-12\t",
    ],
)
def test_optional_whitespace_around_the_credentials_is_accepted(asgi: Api, value: str) -> None:
    headers = {"Authorization": value}
    answer = asgi.request("GET", "/uapi/phoneCalls/@me/@self", token=None, headers=headers)
    assert answer.status_code == 200, answer.text


def test_optional_whitespace_is_accepted_over_http(http: Api) -> None:
    # httpx will not send it, so the request is written by hand.
    url = httpx.URL(http.base)
    with socket.create_connection((url.host, url.port or 80), timeout=10) as connection:
        connection.sendall(
            b"GET /uapi/phoneCalls/@me/@self HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            b"Authorization: \t Bearer  sandbox-token-12 \t\r\n\r\n"
        )
        assert connection.recv(1024).startswith(b"HTTP/1.1 200 ")


def test_a_user_id_naming_another_user_answers_403(asgi: Api, app: Starlette, on_call: str) -> None:
    state = app.state.pbx.snapshot()
    req = transfer(on_call)
    req.path_params["userId"] = "13"
    assert_error(asgi.send_req(req), 403, "access_denied")
    owner_of_other = asgi.request(
        "POST",
        "/uapi/phoneCalls/@owner/simple",
        json={"extension": VALUES["colleague"], "phoneCallView": [_view()]},
    )
    assert_error(owner_of_other, 403, "access_denied")
    assert_error(
        asgi.get(f"/uapi/phoneCalls/12/0003*210/{on_call}", token=COLLEAGUE_TOKEN),
        403,
        "access_denied",
    )
    assert app.state.pbx.snapshot() == state


def test_another_users_token_cannot_reach_the_call(asgi: Api, app: Starlette, on_call: str) -> None:
    state = app.state.pbx.snapshot()
    req = transfer(on_call)
    req.path_params["userId"] = "@me"
    assert_error(asgi.send_req(req, token=COLLEAGUE_TOKEN), 400, "extension_invalid")
    req.path_params["extension"] = "@self"
    assert_error(asgi.send_req(req, token=COLLEAGUE_TOKEN), 400, "pc_phonecall_invalid")
    assert_error(asgi.send_req(req, token=FOREIGN_TOKEN), 400, "pc_phonecall_invalid")
    assert asgi.get("/uapi/phoneCalls/@me/@self", token=COLLEAGUE_TOKEN).json() == {"entry": []}
    assert app.state.pbx.snapshot() == state


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{",
        b'{"action": "Transfer",}',
        b"[]",
        b'"Transfer"',
        b"null",
        b"\xff\xfe",
        b"{" * 50_000,
    ],
    ids=["empty", "truncated", "trailing-comma", "array", "string", "null", "not-utf8", "deep"],
)
def test_a_body_that_is_not_a_json_object_answers_invalid_request(
    asgi: Api, app: Starlette, on_call: str, content: bytes
) -> None:
    state = app.state.pbx.snapshot()
    for path in (asgi.call_path(on_call), "/uapi/phoneCalls/12/simple"):
        method = "POST" if path.endswith("simple") else "PUT"
        assert_error(asgi.request(method, path, content=content), 400, "invalid_request")
    assert app.state.pbx.snapshot() == state


@pytest.mark.parametrize("action", [None, "Dance", "transfer", 42, ["Transfer"], {"a": 1}])
def test_an_unknown_or_missing_action_answers_pc_action_invalid(
    asgi: Api, app: Starlette, on_call: str, action: object
) -> None:
    state = app.state.pbx.snapshot()
    body = transfer(on_call).body
    if action is None:
        del body["action"]
    else:
        body["action"] = action
    assert_error(asgi.put(asgi.call_path(on_call), body), 400, "pc_action_invalid")
    assert app.state.pbx.snapshot() == state


def test_a_body_over_the_limit_answers_413(app: Starlette) -> None:
    api = HttpApi(app)
    try:
        call_id = api.prepare("on_call")
        state = app.state.pbx.snapshot()
        big = {"action": "Transfer", "padding": "x" * 70_000}
        assert_error(api.put(api.call_path(call_id), big), 413, "request_too_large")

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while streaming
            for _ in range(100):
                yield b" " * 1024

        streamed = api.request("POST", "/uapi/phoneCalls/12/simple", content=chunks())
        assert_error(streamed, 413, "request_too_large")
        assert app.state.pbx.snapshot() == state
    finally:
        api.close()


def test_the_body_limit_is_configurable() -> None:
    api = AsgiApi(create_app(max_body_bytes=64))
    try:
        answer = api.request("POST", "/uapi/phoneCalls/12/simple", json={"nonce": "x" * 64})
        assert_error(answer, 413, "request_too_large")
    finally:
        api.close()


def test_too_many_live_calls_answers_429(asgi: Api, app: Starlette) -> None:
    app.state.pbx.max_calls_per_user = 2
    asgi.make_call()
    asgi.make_call()
    state = app.state.pbx.snapshot()
    answer = asgi.request("POST", "/uapi/phoneCalls/12/simple", json={"phoneCallView": [_view()]})
    assert_error(answer, 429, "too_many_calls")
    assert app.state.pbx.snapshot() == state


def _view() -> dict[str, list[str]]:
    return {"source": [VALUES["caller"]], "destination": [VALUES["public"]]}


@pytest.mark.parametrize(
    "content",
    [
        b'{"action": "OnHold", "action": "Transfer", "sendCallTo": "5551234",'
        b' "transferFromNumber": "0003*210", "phoneCallViewId": "01"}',
        b'{"action": "Transfer", "sendCallTo": "5551234", "sendCallTo": "0003*024",'
        b' "transferFromNumber": "0003*210"}',
    ],
    ids=["action", "send-call-to"],
)
def test_a_name_given_twice_in_the_body_is_refused(
    asgi: Api, app: Starlette, on_call: str, content: bytes
) -> None:
    state = app.state.pbx.snapshot()
    answer = asgi.request("PUT", asgi.call_path(on_call), content=content)
    assert_error(answer, 400, "invalid_request")
    assert "twice" in answer.json()["error"]["message"]
    nested = b'{"phoneCallView": [{"source": ["0003*210"], "source": ["0003*211"],'
    nested += b' "destination": ["3235742879"]}]}'
    assert_error(
        asgi.request("POST", "/uapi/phoneCalls/12/simple", content=nested), 400, "invalid_request"
    )
    assert app.state.pbx.snapshot() == state


def test_a_fault_that_makes_calls_on_refusal_still_never_answers_500() -> None:
    # errors.no_side_effects:changes-call makes a call for every refused make-call request;
    # at the user's cap it cannot, and the refusal is answered alone.
    app = create_app(fault="errors.no_side_effects:changes-call")
    app.state.pbx.max_calls_per_user = 1
    api = AsgiApi(app)
    try:
        bad = {"phoneCallView": [{"source": ["abc"], "destination": ["3235742879"]}]}
        for _ in range(2):
            answer = api.request("POST", "/uapi/phoneCalls/12/simple", json=bad)
            assert_error(answer, 400, "pc_source_invalid")
        assert len(app.state.pbx) == 1
    finally:
        api.close()
