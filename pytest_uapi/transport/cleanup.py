"""No call left behind: the calls a run made and has not hung up yet, and interruptions that
cannot lose them.

- ``LiveCalls`` is the session-wide register of calls made: the provisioner adds each call it
  adopts and removes it once hung up, so that whatever interrupts a run (Ctrl-C, twice; SIGTERM
  from ``timeout``, a CI cancel or ``docker stop``) the plugin can still ``sweep`` what is left,
  bounded in time, and name the calls it could not hang up.
- ``Interrupts`` handles SIGINT and SIGTERM in a pytest process. SIGTERM becomes the
  interruption Ctrl-C is (``Terminated``, a ``KeyboardInterrupt``), so pytest's own teardown
  runs. Either signal arriving while an exchange is in flight waits for its end (each exchange
  ends by its deadline): cut in the middle, a make-call request may have created a call whose
  id never reached the provisioner. A second signal meanwhile is not held back.
"""

from __future__ import annotations

import _thread
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING, Any

from .exchange import CheckFailure

if TYPE_CHECKING:
    from .client import UapiClient

SWEEP_SECONDS = 5.0
"""The most a sweep takes, all its hang-ups together (each within --uapi-timeout too)."""
REDELIVER_SECONDS = 0.05
"""How soon a signal held during an exchange is delivered again if no request comes first."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, turned into an interruption: pytest tears down as after Ctrl-C."""


@dataclass(frozen=True)
class _Live:
    client: UapiClient
    path: str


@dataclass
class Sweep:
    """What a sweep did: how many calls it hung up, in how long, and the ones left."""

    hung_up: int = 0
    seconds: float = 0.0
    left: list[tuple[str, str]] = field(default_factory=list)
    """(call id, URL) of each call that could not be hung up."""

    def lines(self, interrupted: bool) -> list[str]:
        """What to tell the operator: the calls to hang up by hand, one per line."""
        lines = []
        if self.hung_up:
            lines.append(
                f"uapi: {'interrupted: ' if interrupted else ''}hung up {self.hung_up} call(s) "
                f"this run had made and not hung up yet ({self.seconds:.2f}s)"
            )
        if self.left:
            lines.append(
                f"uapi: {len(self.left)} call(s) this run made could not be hung up; "
                "hang them up on the target by hand:"
            )
            lines += [f"uapi:   DELETE {url}  (call {call_id})" for call_id, url in self.left]
        return lines


class LiveCalls:
    """The calls made and not hung up yet, by id, with the client and path to hang each up."""

    def __init__(self) -> None:
        self._calls: dict[str, _Live] = {}

    def __repr__(self) -> str:
        return f"<LiveCalls {list(self._calls)}>"

    def __len__(self) -> int:
        return len(self._calls)

    def __contains__(self, call_id: object) -> bool:
        return call_id in self._calls

    def add(self, client: UapiClient, call_id: str, path: str) -> None:
        self._calls[call_id] = _Live(client, path)

    def discard(self, call_id: str) -> None:
        self._calls.pop(call_id, None)

    def sweep(self, budget: float = SWEEP_SECONDS) -> Sweep:
        """DELETE every call still here, within ``budget`` seconds in all; the ones that would
        not go are given up on (removed and reported), so nothing retries them for ever.

        A further interruption (Ctrl-C once more) stops the sweep: what was not hung up yet is
        reported, and the interruption goes on.
        """
        start = time.perf_counter()
        result = Sweep()
        try:
            for call_id, live in list(self._calls.items()):
                left = budget - (time.perf_counter() - start)
                if left <= 0:
                    break
                try:
                    status = live.client.request("DELETE", live.path, timeout=left).status
                except CheckFailure:  # no answer in time: given up on below
                    continue
                # As the provisioner's hang-up: a 400 is a call that had ended already (D28).
                if status < 300 or status == 400:
                    self.discard(call_id)
                    result.hung_up += 1
        finally:
            result.seconds = time.perf_counter() - start
            result.left = [
                (call_id, live.client.url(live.path)) for call_id, live in self._calls.items()
            ]
            self._calls.clear()
        return result


def sweep(live: LiveCalls, interrupts: Interrupts | None, *, interrupted: bool) -> Sweep:
    """``live.sweep()``, told on stderr, with signals held until it has ended: a second Ctrl-C,
    pressed out of habit, must not leave up the calls the sweep is there to hang up."""
    with interrupts.held() if interrupts is not None else nullcontext():
        result = live.sweep()
        tell(result.lines(interrupted=interrupted or bool(interrupts and interrupts.interrupted)))
    return result


def tell(lines: list[str]) -> None:
    """Write to stderr, where an xdist worker's words reach the terminal too."""
    if lines:
        sys.stderr.write("".join(f"{line}\n" for line in lines))
        sys.stderr.flush()


class Interrupts:
    """SIGINT and SIGTERM handling for one pytest process; see the module's docstring."""

    def __init__(self) -> None:
        self._previous: dict[int, Any] = {}
        self._depth = 0
        self._pending: int | None = None
        self._redelivering = False
        self._holding = 0
        self.interrupted = False
        """Whether a signal has interrupted the run."""

    def install(self) -> bool:
        """Take SIGINT and SIGTERM over where they have their default handling; False where
        nothing could be installed (not the main thread, or other handlers already there)."""
        if threading.current_thread() is not threading.main_thread():
            return False
        defaults = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL}
        for signum, default in defaults.items():
            current = signal.getsignal(signum)
            if current is default:
                self._previous[signum] = current
                signal.signal(signum, self._handle)
        return bool(self._previous)

    def restore(self) -> None:
        """Put back the handlers found at ``install``."""
        for signum, previous in self._previous.items():
            if signal.getsignal(signum) == self._handle:
                signal.signal(signum, previous)
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.interrupted = True
        if self._redelivering:
            self._redelivering = False
            if self._pending is None:  # raised already, at the start of a request
                return
        if self._holding:
            self._pending = self._pending or signum  # delivered once the sweep has ended
            return
        if self._depth and self._pending is None:
            self._pending = signum  # delivered once the exchange in flight has ended
            return
        self._pending = None
        raise _interruption(signum)

    def raise_pending(self) -> None:
        """Deliver a signal that arrived during the last exchange, now that it has ended."""
        if self._pending is not None and self._depth == 0 and self._holding == 0:
            signum, self._pending = self._pending, None
            raise _interruption(signum)

    @contextmanager
    def exchange(self) -> Iterator[None]:
        """Around one exchange: a signal waits for its end (main thread only: signals are
        delivered there)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        self.raise_pending()
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._pending is not None and self._depth == 0 and not self._holding:
                # Not raised here: the caller adopts the call this exchange may have made before
                # the next request, where the signal is raised; a test that sends no further
                # request gets it this soon.
                self._later(self._redeliver)

    @contextmanager
    def held(self) -> Iterator[None]:
        """Every signal waits until the end of the block (a sweep: bounded in time), where the
        first one is raised."""
        self._holding += 1
        try:
            yield
        finally:
            self._holding -= 1
        self.raise_pending()

    def _later(self, action: Callable[[], None]) -> None:
        timer = threading.Timer(REDELIVER_SECONDS, action)
        timer.daemon = True
        timer.start()

    def _redeliver(self) -> None:
        pending = self._pending
        if pending is not None:
            self._redelivering = True
            if hasattr(signal, "pthread_kill"):
                # A real signal, to the main thread: it also cuts short a sleep or a blocking
                # wait, which _thread.interrupt_main does not.
                signal.pthread_kill(threading.main_thread().ident or 0, pending)
            else:  # pragma: no cover - Windows
                _thread.interrupt_main(signal.Signals(pending))


def _interruption(signum: int) -> KeyboardInterrupt:
    if signum == signal.SIGTERM:
        return Terminated("SIGTERM: the run was terminated")
    return KeyboardInterrupt()
