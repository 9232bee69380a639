"""Methods: each route serves exactly the methods it lists, HEAD is a GET without a body, and no
other method reaches code that changes state."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette

from .support import VALUES, Api

CALLER, RINGING = VALUES["caller"], VALUES["ringing"]
RESOURCE_METHODS = "GET, HEAD, PUT, DELETE"


def live_calls(api: Api) -> list[str]:
    """One call of each kind the actions need, so a stray hang-up or action shows."""
    return [api.prepare(state) for state in ("on_call", "ringing", "on_hold")]


def resources(api: Api, call_id: str) -> list[str]:
    return [
        f"/uapi/phoneCalls/12/{CALLER}",
        f"/uapi/phoneCalls/@me/{RINGING}",
        "/uapi/phoneCalls/@me/@self",
        api.call_path(call_id),
        api.call_path(call_id, RINGING),
        f"/uapi/phoneCalls/@me/@self/{call_id}",
    ]


def test_head_answers_as_get_without_a_body_and_changes_nothing(api: Api, app: Starlette) -> None:
    call_id = live_calls(api)[1]
    for path in [*resources(api, call_id), api.call_path("0nosuchcall0"), "/uapi/phoneCalls/12/9"]:
        before = app.state.pbx.snapshot()
        head = api.request("HEAD", path)
        assert app.state.pbx.snapshot() == before, f"HEAD {path} changed the calls"
        get = api.get(path)
        assert head.status_code == get.status_code, path
        assert head.content == b"", path
        assert head.headers["content-type"] == get.headers["content-type"]
        assert head.headers["content-length"] == str(len(get.content))


def test_head_without_credentials_is_refused_like_get(api: Api, app: Starlette) -> None:
    call_id = live_calls(api)[0]
    before = app.state.pbx.snapshot()
    for path in resources(api, call_id):
        answer = api.request("HEAD", path, token=None)
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"].startswith("Bearer")
    assert app.state.pbx.snapshot() == before


@pytest.mark.parametrize("method", ["OPTIONS", "PATCH", "POST", "TRACE", "QUERY", "HANGUP"])
def test_other_methods_on_a_call_or_an_extension_answer_405(
    api: Api, app: Starlette, method: str
) -> None:
    call_id = live_calls(api)[1]
    before = app.state.pbx.snapshot()
    for path in resources(api, call_id):
        answer = api.request(method, path, json={"action": "Transfer", "sendCallTo": "5551234"})
        assert answer.status_code == 405, (method, path, answer.text)
        assert answer.headers["allow"] == RESOURCE_METHODS
        assert answer.json()["error"]["code"] == "method_not_allowed"
        assert answer.json()["error"]["message"]
    assert app.state.pbx.snapshot() == before


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"])
@pytest.mark.parametrize("path", ["/uapi/phoneCalls/12/simple", "/oauth/token.php"])
def test_post_only_routes_answer_405_to_every_other_method(
    api: Api, app: Starlette, method: str, path: str
) -> None:
    # GET .../12/simple used to be the List of an extension named "simple", and DELETE its
    # hang-up-all: the make-call route now owns the path for every method.
    live_calls(api)
    before = app.state.pbx.snapshot()
    answer = api.request(method, path, json={"action": "Transfer"})
    assert answer.status_code == 405, answer.text
    assert answer.headers["allow"] == "POST"
    if method == "HEAD":
        assert answer.content == b""
    else:
        assert answer.json()["error"]["code"] == "method_not_allowed"
    assert app.state.pbx.snapshot() == before
