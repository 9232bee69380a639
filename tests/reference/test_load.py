"""Load: concurrent clients over real HTTP never see errors, torn state, lost or duplicated calls.

    UAPI_LOAD_CLIENTS     concurrent clients (default 16)
    UAPI_LOAD_REQUESTS    requests per client (default 500)
    UAPI_LOAD_LIST_CALLS  live calls in the List read while others are served (default 5000)

Each client makes calls as one of the dataset's users, follows their links, acts on them, lists
its user's calls and hangs most of them up. Every answer must be the documented success; every
List a client reads must contain all the calls that client still has; at the end the List of each
user is exactly the calls made and not hung up, each id once.
"""

from __future__ import annotations

import os
import statistics
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
import pytest

from pytest_uapi.reference import BackgroundServer, create_app
from pytest_uapi.reference.validation import MAX_CALLER_ID, MAX_NONCE, MAX_NUMBER, MAX_NUMBERS

# Subprocess-heavy or long: `pytest -m "not slow"` leaves it out of the quick loop.
pytestmark = pytest.mark.slow

CLIENTS = int(os.environ.get("UAPI_LOAD_CLIENTS", "16"))
REQUESTS = int(os.environ.get("UAPI_LOAD_REQUESTS", "500"))
LIST_CALLS = int(os.environ.get("UAPI_LOAD_LIST_CALLS", "5000"))
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


def test_a_long_list_does_not_hold_up_other_clients() -> None:
    app = create_app()
    pbx, dataset = app.state.pbx, app.state.dataset
    number = "+" + "1" * (MAX_NUMBER - 1)
    with pbx.lock:  # made directly: over HTTP they would take most of the test's time
        for _ in range(LIST_CALLS):
            pbx.make_call(
                owner="12",
                extension=dataset.extensions["0003*210"],
                source=["0003*210"] + [number] * (MAX_NUMBERS - 1),
                destination=[number] * MAX_NUMBERS,
                caller_id="J" * (MAX_CALLER_ID - 11) + " <0003*210>",
                nonce="n" * MAX_NONCE,
            )
    lists: list[float] = []
    small: list[float] = []
    done = threading.Event()
    with BackgroundServer(app) as server:

        def read_lists() -> None:
            # The bytes are counted, not parsed: the client shares the server's GIL, and the
            # point is to keep the server rendering Lists all the time.
            with httpx.Client(headers={"Authorization": "Bearer sandbox-token-12"}) as client:
                while not done.is_set():
                    start = time.perf_counter()
                    with client.stream("GET", f"{server.url}/uapi/phoneCalls/12/@self") as answer:
                        assert answer.status_code == 200
                        size = sum(len(chunk) for chunk in answer.iter_raw())
                    lists.append(time.perf_counter() - start)
                    assert size > LIST_CALLS * 1000

        readers = [threading.Thread(target=read_lists) for _ in range(2)]
        for reader in readers:
            reader.start()
        try:
            with httpx.Client(headers={"Authorization": "Bearer sandbox-token-13"}) as client:
                url = f"{server.url}/uapi/phoneCalls/@me/@self"
                while len(lists) < 2 and all(r.is_alive() for r in readers):
                    time.sleep(0.01)  # the first Lists warm the heap
                while len(lists) < 8 and all(r.is_alive() for r in readers):
                    start = time.perf_counter()
                    assert client.get(url, timeout=60).status_code == 200
                    small.append(time.perf_counter() - start)
                    time.sleep(0.005)
        finally:
            done.set()
            for reader in readers:
                reader.join()
    list_time, small_time = statistics.median(lists), statistics.median(small)
    sys.stdout.write(
        f"List of {LIST_CALLS} calls: {list_time * 1000:.0f} ms (median of {len(lists)}); "
        f"a small request meanwhile: median {small_time * 1000:.1f} ms, "
        f"max {max(small) * 1000:.1f} ms ({len(small)} requests)\n"
    )
    # Served while the Lists render, not after them: a small request that waited for the
    # render it arrived during would take half a List on average.
    assert small_time < list_time / 10
