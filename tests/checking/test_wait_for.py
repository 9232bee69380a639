"""``CallProvisioner.wait_for`` on a clock of the test's own: a state a server reaches exactly at
the settle bound is seen, whatever the round trip, and a state never reached ends the wait."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from pytest_uapi.checking import provision
from pytest_uapi.checking.provision import CallProvisioner


class FakeTime:
    """``time`` for the provisioner: sleeping and round trips move the clock, nothing waits."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(provision, "time", fake)
    return fake


def _waiter(settle: float) -> Any:
    """What ``wait_for`` uses of a provisioner: the settle bound, and no calls made ahead."""
    return SimpleNamespace(settle=settle, _hold_waiting=lambda: None)


def _server(clock: FakeTime, *, due: float, round_trip: float, sent: list[float]) -> Any:
    """A read the server handles as it is sent; its answer comes a round trip later."""

    def read() -> str:
        sent.append(clock.now)
        state = "settled" if clock.now >= due else "trying"
        clock.now += round_trip
        return state

    return read


@pytest.mark.parametrize("round_trip", [0.0, 0.02, 0.07, 0.3])
def test_a_state_reached_at_the_bound_is_seen(clock: FakeTime, round_trip: float) -> None:
    sent: list[float] = []
    read = _server(clock, due=0.3, round_trip=round_trip, sent=sent)
    found = CallProvisioner.wait_for(_waiter(0.3), read, lambda s: s == "settled")  # type: ignore[arg-type]
    assert found == "settled", sent


def test_a_state_never_reached_ends_with_one_read_after_the_bound(clock: FakeTime) -> None:
    sent: list[float] = []
    read = _server(clock, due=float("inf"), round_trip=0.02, sent=sent)
    found = CallProvisioner.wait_for(_waiter(0.3), read, lambda s: s == "settled")  # type: ignore[arg-type]
    assert found == "trying"
    assert sent[-1] >= 0.3 and all(t < 0.3 for t in sent[:-1])


def test_no_settle_bound_reads_once(clock: FakeTime) -> None:
    sent: list[float] = []
    read = _server(clock, due=1.0, round_trip=0.02, sent=sent)
    found = CallProvisioner.wait_for(_waiter(0.0), read, lambda s: s == "settled")  # type: ignore[arg-type]
    assert found == "trying" and sent == [0.0]
