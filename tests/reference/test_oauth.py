"""The reference server's OAuth 2.0 token endpoint: grants, refusals, issued tokens and expiry."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest

from pytest_uapi.contract import load_dataset
from pytest_uapi.contract.dataset import DatasetError, parse_dataset
from pytest_uapi.reference import create_app
from pytest_uapi.reference.token_endpoint import TokenStore
from pytest_uapi.transport.embedded import PortalTransport

TOKEN_URL = "http://uapi.test/oauth/token.php"
LIST = "http://uapi.test/uapi/phoneCalls/@me/0003*210"
GOOD = {
    "grant_type": "client_credentials",
    "client_id": "sandbox-client-12",
    "client_secret": "sandbox-secret-12",
}


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    # httpx speaks ASGI only asynchronously: the plugin's portal transport bridges it.
    with httpx.Client(transport=PortalTransport(create_app())) as http:
        yield http


def test_shipped_users_have_client_credentials() -> None:
    users = load_dataset().users
    assert (users["12"].client_id, users["12"].client_secret) == (
        "sandbox-client-12",
        "sandbox-secret-12",
    )
    assert {u.client_id for u in users.values()} == {
        "sandbox-client-12",
        "sandbox-client-13",
        "sandbox-client-20",
    }


def test_client_id_needs_a_secret() -> None:
    text = """
unknown_user_id = "9"
extensions = []
[[organizations]]
id = "0003"
name = "o"
owner_id = "1"
[[users]]
id = "1"
name = "u"
organization = "0003"
token = "t"
client_id = "c"
"""
    with pytest.raises(DatasetError, match=r"users\[0\]: give both client_id and client_secret"):
        parse_dataset(text, "d.toml")
    with pytest.raises(DatasetError, match=r"users\[0\]\.client_id: expected str, got int"):
        parse_dataset(text.replace('client_id = "c"', "client_id = 1"), "d.toml")


def test_token_grant_and_use(client: httpx.Client) -> None:
    answer = client.post(TOKEN_URL, data=GOOD)
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 3600)
    token = body["access_token"]
    assert client.post(TOKEN_URL, data=GOOD).json()["access_token"] != token  # fresh each time
    listed = client.get(LIST, headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200
    assert client.get(LIST, headers={"Authorization": "Bearer oauth-forged"}).status_code == 401


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({**GOOD, "grant_type": "password"}, 400, "unsupported_grant_type"),
        ({k: v for k, v in GOOD.items() if k != "grant_type"}, 400, "unsupported_grant_type"),
        ({**GOOD, "client_secret": "sandbox-secret-13"}, 401, "invalid_client"),
        ({**GOOD, "client_id": "nobody"}, 401, "invalid_client"),
        ({k: v for k, v in GOOD.items() if k != "client_secret"}, 401, "invalid_client"),
    ],
    ids=["grant-password", "no-grant", "other-users-secret", "unknown-client", "no-secret"],
)
def test_refusals(client: httpx.Client, form: dict[str, str], status: int, error: str) -> None:
    answer = client.post(TOKEN_URL, data=form)
    assert (answer.status_code, answer.json()) == (status, {"error": error})


def test_an_oversized_form_is_refused(client: httpx.Client) -> None:
    answer = client.post(TOKEN_URL, content=b"a=" + b"x" * 10_000)
    assert (answer.status_code, answer.json()) == (400, {"error": "invalid_request"})


def test_issued_tokens_expire() -> None:
    with httpx.Client(transport=PortalTransport(create_app(token_lifetime=0.2))) as http:
        body = http.post(TOKEN_URL, data=GOOD).json()
        assert body["expires_in"] == 0.2
        headers = {"Authorization": f"Bearer {body['access_token']}"}
        assert http.get(LIST, headers=headers).status_code == 200
        time.sleep(0.3)
        assert http.get(LIST, headers=headers).status_code == 401


def test_token_store_forgets_expired_tokens() -> None:
    now = [0.0]
    store = TokenStore(10.0, clock=lambda: now[0])
    user = load_dataset().users["12"]
    first = store.issue(user)
    assert store.user(first) == user
    now[0] = 10.0
    assert store.user(first) is None
    second = store.issue(user)
    assert store.user(second) == user


@pytest.mark.parametrize("field", ["grant_type", "client_id", "client_secret"])
def test_a_repeated_parameter_is_refused(client: httpx.Client, field: str) -> None:
    # RFC 6749 3.2: which client_id would count? Neither: the request is malformed.
    form = [*GOOD.items(), (field, GOOD[field])]
    answer = client.post(TOKEN_URL, content=urlencode(form).encode())
    assert (answer.status_code, answer.json()) == (400, {"error": "invalid_request"})
    other = [(k, v) for k, v in GOOD.items() if k != "client_id"]
    other += [("client_id", "nobody"), ("client_id", "sandbox-client-12")]
    answer = client.post(TOKEN_URL, content=urlencode(other).encode())
    assert (answer.status_code, answer.json()) == (400, {"error": "invalid_request"})


def test_grants_beyond_the_cap_retire_the_users_oldest_tokens() -> None:
    store = TokenStore(3600.0, per_user=3)
    users = load_dataset().users
    mine = [store.issue(users["12"]) for _ in range(5)]
    theirs = store.issue(users["13"])
    assert [store.user(t) for t in mine] == [None, None, users["12"], users["12"], users["12"]]
    assert store.user(theirs) == users["13"]
    assert len(store) == 4


def test_repeated_grants_keep_the_store_bounded(client: httpx.Client) -> None:
    tokens = [client.post(TOKEN_URL, data=GOOD).json()["access_token"] for _ in range(110)]
    refused = [
        t
        for t in tokens
        if client.get(LIST, headers={"Authorization": f"Bearer {t}"}).status_code == 401
    ]
    assert refused == tokens[:10]
