"""The register of live calls and the signal handling, in isolation (the real signals against a
real server are in tests/plugin/test_interrupts.py)."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator

import httpx
import pytest

from pytest_uapi.transport.cleanup import Interrupts, LiveCalls, Terminated
from pytest_uapi.transport.client import UapiClient
from pytest_uapi.transport.session import Session


@pytest.fixture
def interrupts() -> Iterator[Interrupts]:
    handler = Interrupts()
    assert handler.install()
    yield handler
    handler.restore()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def client_for(statuses: dict[str, int]) -> UapiClient:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(statuses[request.url.path.rsplit("/", 1)[1]])

    http = httpx.Client(transport=httpx.MockTransport(answer))
    return UapiClient(Session(http, "https://pbx.example.com", 1.0), "tok-1234")


def test_a_sweep_hangs_up_what_it_can_and_names_the_rest() -> None:
    client = client_for({"gone": 204, "ended": 400, "stuck": 500})
    live = LiveCalls()
    for call_id in ("gone", "ended", "stuck"):
        live.add(client, call_id, f"/uapi/phoneCalls/12/0003*210/{call_id}")
    result = live.sweep()
    assert (result.hung_up, len(live)) == (2, 0)
    assert result.left == [("stuck", "https://pbx.example.com/uapi/phoneCalls/12/0003*210/stuck")]
    lines = result.lines(interrupted=True)
    assert lines[0].startswith("uapi: interrupted: hung up 2 call(s) this run had made")
    assert lines[-1] == (
        "uapi:   DELETE https://pbx.example.com/uapi/phoneCalls/12/0003*210/stuck  (call stuck)"
    )
    client.session.http.close()


def test_a_sweep_is_bounded_in_time() -> None:
    client = client_for({"a": 204})
    live = LiveCalls()
    live.add(client, "a", "/uapi/phoneCalls/12/0003*210/a")
    result = live.sweep(budget=0.0)
    assert result.hung_up == 0 and [call_id for call_id, _ in result.left] == ["a"]
    client.session.http.close()


def test_sigterm_is_an_interruption(interrupts: Interrupts) -> None:
    with pytest.raises(Terminated):
        signal.raise_signal(signal.SIGTERM)
    assert isinstance(Terminated(), KeyboardInterrupt)
    assert interrupts.interrupted


def test_a_signal_waits_for_the_exchange_in_flight(interrupts: Interrupts) -> None:
    with interrupts.exchange():
        signal.raise_signal(signal.SIGINT)  # held: the exchange goes on
        done = True
    assert done
    with pytest.raises(KeyboardInterrupt), interrupts.exchange():  # raised before the next one
        pytest.fail("the next exchange must not start")


def test_a_held_signal_comes_back_when_no_request_follows(interrupts: Interrupts) -> None:
    with interrupts.exchange():
        signal.raise_signal(signal.SIGTERM)
    start = time.perf_counter()
    with pytest.raises(Terminated):
        time.sleep(5)  # redelivered by a timer within REDELIVER_SECONDS, cutting the sleep short
    assert time.perf_counter() - start < 1


def test_a_second_signal_is_not_held(interrupts: Interrupts) -> None:
    with pytest.raises(KeyboardInterrupt), interrupts.exchange():
        signal.raise_signal(signal.SIGINT)
        signal.raise_signal(signal.SIGINT)
        pytest.fail("the second Ctrl-C must interrupt the exchange")


def test_a_sweep_holds_every_signal_to_its_end(interrupts: Interrupts) -> None:
    reached_the_end = False
    with pytest.raises(KeyboardInterrupt), interrupts.held():
        for _ in range(3):
            signal.raise_signal(signal.SIGINT)
        reached_the_end = True
    assert reached_the_end
