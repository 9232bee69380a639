"""The preconditions a test needs from the target, and a circuit breaker over them.

A test that cannot set up its precondition is skipped with the reason, never passed: the
requirement behind it is then "not tested". Against a target that breaks one precondition every
time (a self link that answers the call under another id, an OnHold that is always refused),
every test that needs it would wait out the settle bound before skipping: 155 tests of 5 s each.
The breaker remembers how each precondition failed in this process; once the same one has failed
the same way ``TRIP_AFTER`` times, the tests that need it are skipped at once, with the first
failure's reason and what tripped the breaker.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NoReturn

import pytest

if TYPE_CHECKING:
    from ..transport.exchange import Exchange

TRIP_AFTER = 3


def _received(exchange: Exchange | None) -> str:
    if exchange is not None and exchange.response is not None:
        return f" (answered {exchange.response.status_code})"
    return ""


def skip_precondition(step: str, exchange: Exchange | None = None) -> NoReturn:
    """Skip the test: ``step`` of its set-up could not be done on the target."""
    pytest.skip(f"precondition not met: {step}{_received(exchange)}")


@dataclass
class _Record:
    reason: str
    failures: int = 0


@dataclass
class Preconditions:
    """Failures of each precondition in this process (one per session, shared by its tests)."""

    trip_after: int = TRIP_AFTER
    _records: dict[tuple[str, str], _Record] = field(default_factory=dict)
    """By precondition and the way it failed (the status, or nothing when no answer came)."""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self, key: str) -> None:
        """Skip at once when precondition ``key`` has tripped the breaker, whichever way."""
        with self._lock:
            tripped = [
                r
                for (k, _), r in self._records.items()
                if k == key and r.failures >= self.trip_after
            ]
        if tripped:
            record = tripped[0]
            pytest.skip(
                f"precondition not met: {record.reason}; it failed the same way in "
                f"{record.failures} tests of this run, so the tests that need it are skipped at "
                "once"
            )

    def fail(self, key: str, step: str, exchange: Exchange | None = None) -> NoReturn:
        """Record that ``key`` failed (``step`` says how) and skip the test."""
        way = _received(exchange)
        reason = f"{step}{way}"
        with self._lock:
            record = self._records.setdefault((key, way), _Record(reason))
            record.failures += 1
        pytest.skip(f"precondition not met: {reason}")

    def tripped(self) -> dict[str, str]:
        """The preconditions that tripped the breaker, and their first failure's reason."""
        with self._lock:
            return {
                key: record.reason
                for (key, _), record in self._records.items()
                if record.failures >= self.trip_after
            }
