"""pytest-xdist integration, in one place: which process this is, what the controller hands its
workers, and the locks that keep workers sharing one target out of each other's way.

Under xdist one controller schedules tests over N worker processes, each of which configures
itself from scratch. Values the whole run must share (the seed that reproduces it, the day that
expectation dates are judged by) are put in each worker's ``workerinput`` by the one
``pytest_configure_node`` hook below; everything else here is xdist's own public API.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pytest

try:  # POSIX only: elsewhere the roles are not locked (run a shared target serially there)
    import fcntl as _fcntl
except ImportError:  # pragma: no cover - Windows
    _fcntl = None  # type: ignore[assignment]

_SHARED = pytest.StashKey[dict[str, Any]]()


class _Config:
    """xdist's helpers take "a request or a session": anything with a ``config``."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config


def _xdist_active(config: pytest.Config) -> bool:
    return config.pluginmanager.hasplugin("xdist")


def _xdist() -> Any:
    import xdist  # type: ignore[import-untyped]

    return xdist


def is_worker(config: pytest.Config) -> bool:
    """This process is an xdist worker (it runs tests the controller handed it)."""
    return _xdist_active(config) and bool(_xdist().is_xdist_worker(_Config(config)))


def is_controller(config: pytest.Config) -> bool:
    """This process is an xdist controller: it runs no test itself, its workers do."""
    return _xdist_active(config) and bool(_xdist().is_xdist_controller(_Config(config)))


def share(config: pytest.Config, key: str, value: Any) -> None:
    """Hand ``value`` to every worker of this run (a no-op without workers)."""
    config.stash.setdefault(_SHARED, {})[key] = value


def from_controller(config: pytest.Config, key: str) -> Any:
    """The value the controller shared under ``key``; None outside a worker or when not shared."""
    workerinput = getattr(config, "workerinput", None)
    return workerinput.get(key) if isinstance(workerinput, dict) else None


class _NodeHooks:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput.update(self.config.stash.get(_SHARED, {}))


def install(config: pytest.Config) -> None:
    """Register the hook that passes shared values on; once, in the controller, with xdist."""
    if _xdist_active(config) and not is_worker(config):
        config.pluginmanager.register(_NodeHooks(config), "uapi-xdist")


class RoleLock:
    """A readers-writer lock on one role of the target, shared by every process on this machine.

    Under xdist, workers act on the same extensions of one target at once. Most tests only look
    at the calls they made, but a bulk action acts on *every* call of an extension, and needs it
    to itself: its test takes the lock ``exclusive``, while each test that puts a call on that
    extension holds it ``shared`` until the call is hung up. Writers go first (a gate lock that
    new readers pass through), so a bulk test waits for the tests already running, not for every
    test of the run. ``flock`` locks belong to open files, so they are released if a process
    dies; the lock files live in the system's temporary directory, named after the target and
    the extension, which also keeps two runs on one machine against one target apart.
    """

    def __init__(self, key: str, directory: Path | None = None) -> None:
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        folder = directory or Path(tempfile.gettempdir()) / "pytest-uapi-locks"
        folder.mkdir(parents=True, exist_ok=True)
        self._folder = folder
        self._digest = digest
        self._gate = folder / f"{digest}.gate"
        self._main = folder / f"{digest}.lock"
        self._held: list[IO[bytes]] = []
        self.exclusive_held = False

    @property
    def held(self) -> bool:
        return bool(self._held)

    def _flock(self, path: Path, mode: int) -> IO[bytes]:
        handle = path.open("ab")
        if _fcntl is not None:
            _fcntl.flock(handle.fileno(), mode)
        return handle

    def acquire_shared(self) -> None:
        """Hold the role shared (a no-op when this process already holds it in any way)."""
        if self._held or _fcntl is None:
            return
        gate = self._flock(self._gate, _fcntl.LOCK_SH)
        try:
            self._held.append(self._flock(self._main, _fcntl.LOCK_SH))
        finally:
            gate.close()  # closing the file releases its flock

    def acquire_exclusive(self, on_gate: Callable[[], None] | None = None) -> None:
        """Hold the role alone; the caller must not hold it shared (that would wait on itself).
        ``on_gate`` runs once no new reader can come in, while those already in finish: work
        that overlaps that wait (nothing may rely on the role being held alone yet)."""
        if _fcntl is None:
            return
        if self._held:
            raise RuntimeError("RoleLock: release the shared hold before taking it exclusive")
        self._held.append(self._flock(self._gate, _fcntl.LOCK_EX))
        if on_gate is not None:
            on_gate()
        self._held.append(self._flock(self._main, _fcntl.LOCK_EX))
        self.exclusive_held = True

    # Calls made ahead of time on the role (``checking.pool``) are not covered by a hold between
    # tests: a worker idle between two tests would then hold it from a bulk test for as long as
    # xdist keeps it waiting. Each such call has a record file instead, written while its maker
    # holds the role shared. Whoever removes a record owns the call: its maker when a test takes
    # it, or a bulk test, which hangs it up; ``unlink`` succeeds for one of them only, so a call
    # is never hung up under a test that has just taken it.

    @property
    def coordinates_ahead(self) -> bool:
        """Whether calls may be made ahead on this role (the locks work on this system)."""
        return _fcntl is not None

    def _record(self, call_id: str) -> Path:
        name = hashlib.sha256(call_id.encode()).hexdigest()[:16]
        return self._folder / f"{self._digest}.ahead.{os.getpid()}.{name}"

    def add_ahead(self, call_id: str) -> None:
        """Record a call this process made ahead on the role."""
        partial = self._folder / f".{self._digest}.partial.{os.getpid()}"
        partial.write_text(call_id, "utf-8")
        partial.replace(self._record(call_id))  # a claimer never reads half a record

    def take_ahead(self, call_id: str) -> bool:
        """Take back a call this process made ahead: False when a bulk test has claimed it."""
        try:
            self._record(call_id).unlink()
        except FileNotFoundError:
            return False
        return True

    def claim_ahead(self) -> list[str]:
        """Every process's calls made ahead on the role that none has taken: now the caller's
        to hang up (their records are removed)."""
        ids = []
        for record in sorted(self._folder.glob(f"{self._digest}.ahead.*")):
            try:
                call_id = record.read_text("utf-8")
                record.unlink()
            except OSError:  # taken by its maker meanwhile
                continue
            if call_id and not any(c.isspace() for c in call_id):  # not a stray file
                ids.append(call_id)
        return ids

    def release(self) -> None:
        for handle in reversed(self._held):
            handle.close()
        self._held.clear()
        self.exclusive_held = False
