"""Load: concurrent clients over real HTTP never see errors, torn state, lost or duplicated calls.

    UAPI_LOAD_CLIENTS   concurrent clients (default 16)
    UAPI_LOAD_REQUESTS  requests per client (default 500)

Each client makes calls as one of the dataset's users, follows their links, acts on them, lists
its user's calls and hangs most of them up. Every answer must be the documented success; every
List a client reads must contain all the calls that client still has; at the end the List of each
user is exactly the calls made and not hung up, each id once.
"""

from __future__ import annotations

import os
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
import pytest

from pytest_uapi.reference import BackgroundServer, create_app

# Subprocess-heavy or long: `pytest -m "not slow"` leaves it out of the quick loop.
pytestmark = pytest.mark.slow

CLIENTS = int(os.environ.get("UAPI_LOAD_CLIENTS", "16"))
REQUESTS = int(os.environ.get("UAPI_LOAD_REQUESTS", "500"))
# (user id, token, extension the user calls from)
USERS = [
    ("12", "sandbox-token-12", "0003*210"),
    ("13", "sandbox-token-13", "0003*024"),
    ("20", "sandbox-token-20", "0004*100"),
]


@dataclass
class Outcome:
    user: str
    made: list[str] = field(default_factory=list)
    hung_up: set[str] = field(default_factory=set)
    requests: int = 0


def client_run(base: str, index: int) -> Outcome:
    user, token, extension = USERS[index % len(USERS)]
    outcome = Outcome(user)
    headers = {"Authorization": f"Bearer {token}"}
    list_url = f"{base}/uapi/phoneCalls/{user}/@self"
    with httpx.Client(headers=headers, timeout=30) as client:

        def send(method: str, url: str, expect: int, json: object = None) -> httpx.Response:
            answer = client.request(method, url, json=json)
            outcome.requests += 1
            assert answer.status_code == expect, (method, url, answer.status_code, answer.text)
            return answer

        cycle = 0
        while outcome.requests + 5 <= REQUESTS:
            cycle += 1
            body = {
                "extension": extension,
                "nonce": f"client-{index}-{cycle}",
                "phoneCallView": [{"source": [extension], "destination": ["3235742879"]}],
            }
            (ack,) = send("POST", f"{base}/uapi/phoneCalls/@me/simple", 202, body).json()
            outcome.made.append(ack["id"])
            call = send("GET", ack["link"]["self"], 200).json()
            assert call["id"] == ack["id"] and call["nonce"] == body["nonce"]
            if cycle % 2:
                action = {
                    "action": "Transfer",
                    "sendCallTo": "5551234",
                    "transferFromNumber": extension,
                }
            else:
                action = {"action": "OnHold", "phoneCallViewId": "01"}
            assert send("PUT", ack["link"]["self"], 202, action).json()["id"] == ack["id"]
            listed = [c["id"] for c in send("GET", list_url, 200).json()["entry"]]
            mine = [i for i in outcome.made if i not in outcome.hung_up]
            kept = set(mine)
            assert [i for i in listed if i in kept] == mine, "a List lost or reordered calls"
            if cycle % 5:
                send("DELETE", ack["link"]["self"], 200)
                outcome.hung_up.add(ack["id"])
    return outcome


def test_concurrent_clients_over_http() -> None:
    app = create_app()
    with BackgroundServer(app) as server, ThreadPoolExecutor(CLIENTS) as pool:
        outcomes = list(pool.map(lambda i: client_run(server.url, i), range(CLIENTS)))
        made = [i for o in outcomes for i in o.made]
        assert len(made) == len(set(made)), "a call id was given twice"
        expected: dict[str, set[str]] = defaultdict(set)
        for outcome in outcomes:
            expected[outcome.user] |= set(outcome.made) - outcome.hung_up
        for user, token, _ in USERS:
            answer = httpx.get(
                f"{server.url}/uapi/phoneCalls/{user}/@self",
                headers={"Authorization": f"Bearer {token}"},
            )
            listed = [c["id"] for c in answer.json()["entry"]]
            assert len(listed) == len(set(listed))
            assert set(listed) == expected[user]
        assert len(app.state.pbx) == sum(len(ids) for ids in expected.values())
        assert sum(o.requests for o in outcomes) >= CLIENTS * (REQUESTS - 5)
