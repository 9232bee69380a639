"""The circuit breaker: a precondition that keeps failing the same way skips its tests at once."""

from __future__ import annotations

import pytest

from pytest_uapi.checking.preconditions import Preconditions


def _skip_reason(action: object) -> str:
    with pytest.raises(pytest.skip.Exception) as skipped:
        action()  # type: ignore[operator]
    return str(skipped.value)


def test_the_breaker_trips_after_the_same_failure_repeats() -> None:
    breaker = Preconditions(trip_after=3)
    for _ in range(3):
        breaker.check("make ringing")  # not tripped yet: the test goes on to try
        reason = _skip_reason(lambda: breaker.fail("make ringing", "the call did not ring"))
        assert reason == "precondition not met: the call did not ring"
    reason = _skip_reason(lambda: breaker.check("make ringing"))
    assert "the call did not ring" in reason
    assert "failed the same way in 3 tests" in reason
    assert breaker.tripped() == {"make ringing": "the call did not ring"}


def test_other_preconditions_and_other_ways_do_not_count_together() -> None:
    breaker = Preconditions(trip_after=2)
    _skip_reason(lambda: breaker.fail("make on_hold", "putting the call on hold failed"))
    _skip_reason(lambda: breaker.fail("make ringing", "the call did not ring"))
    breaker.check("make on_hold")
    breaker.check("make ringing")
    assert breaker.tripped() == {}
