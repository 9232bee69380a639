"""Changes that fall due later: a call's progress and an accepted action's effect (D31).

A real PBX answers 202 at once and rings, answers or transfers a moment later. The reference server
keeps such changes here, each with the moment it falls due, and applies those that are due before
anything reads or changes the calls (``Pbx`` does, under its lock). Nothing sleeps and no timer
runs: what a client sees is the same as if a timer had applied each change on time, because no
one can look between the moment a change falls due and the next request.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

C = TypeVar("C")

Change = Callable[[C], C | None]
"""A change of one call: its new version, or None when the change ends it (a hang-up)."""


@dataclass(order=True)
class _Due(Generic[C]):
    at: float
    order: int
    call_id: str = field(compare=False)
    change: Change[C] = field(compare=False)


class Timeline(Generic[C]):
    """Pending changes in the order they fall due (those due at once, in the order given)."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self.now = now
        self._pending: list[_Due[C]] = []
        self._order = itertools.count()

    def add(self, delay: float, call_id: str, change: Change[C]) -> None:
        heapq.heappush(self._pending, _Due(self.now() + delay, next(self._order), call_id, change))

    def due(self) -> list[tuple[float, str, Change[C]]]:
        """The changes due now, removed from the timeline: (when it fell due, call, change)."""
        now = self.now()
        out = []
        while self._pending and self._pending[0].at <= now:
            item = heapq.heappop(self._pending)
            out.append((item.at, item.call_id, item.change))
        return out

    def __len__(self) -> int:
        return len(self._pending)
