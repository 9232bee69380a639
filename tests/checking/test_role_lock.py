"""The role lock keeps a bulk check (exclusive) and the tests with calls there (shared) apart,
across processes, with the writer first."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from pytest_uapi.parallel import RoleLock

HOLD_SHARED = """
import sys, time
from pathlib import Path
from pytest_uapi.parallel import RoleLock
lock = RoleLock("target|12|0003*211", Path(sys.argv[1]))
lock.acquire_shared()
print("held", flush=True)
time.sleep(float(sys.argv[2]))
lock.release()
"""


def _holder(tmp_path: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_SHARED, str(tmp_path), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_exclusive_waits_for_the_shared_holders_of_other_processes(tmp_path: Path) -> None:
    holder = _holder(tmp_path, 0.5)
    lock = RoleLock("target|12|0003*211", tmp_path)
    started = time.monotonic()
    lock.acquire_exclusive()
    waited = time.monotonic() - started
    lock.release()
    holder.communicate(timeout=10)
    assert waited >= 0.3, "the exclusive hold did not wait for the shared one"


def test_shared_holders_do_not_wait_for_each_other(tmp_path: Path) -> None:
    holder = _holder(tmp_path, 2)
    lock = RoleLock("target|12|0003*211", tmp_path)
    started = time.monotonic()
    lock.acquire_shared()
    assert time.monotonic() - started < 1
    lock.release()
    holder.kill()
    holder.communicate(timeout=10)


def test_other_roles_are_other_locks(tmp_path: Path) -> None:
    holder = _holder(tmp_path, 2)
    lock = RoleLock("target|12|0003*210", tmp_path)
    started = time.monotonic()
    lock.acquire_exclusive()
    assert time.monotonic() - started < 1
    lock.release()
    holder.kill()
    holder.communicate(timeout=10)


def test_on_gate_runs_while_the_shared_holders_finish(tmp_path: Path) -> None:
    """The exclusive taker's early work (hanging up calls made ahead) overlaps the wait for the
    tests already holding the role, and its exclusive hold still waits for them."""
    holder = _holder(tmp_path, 0.6)
    lock = RoleLock("target|12|0003*211", tmp_path)
    started = time.monotonic()
    gate_at: list[float] = []
    lock.acquire_exclusive(on_gate=lambda: gate_at.append(time.monotonic() - started))
    waited = time.monotonic() - started
    lock.release()
    holder.communicate(timeout=10)
    assert gate_at and gate_at[0] < 0.3, "on_gate waited for the shared holder"
    assert waited >= 0.4, "the exclusive hold did not wait for the shared one"


def test_a_call_made_ahead_is_taken_or_claimed_never_both(tmp_path: Path) -> None:
    """Whoever removes a call's record owns it: its maker taking it back for a test, or a bulk
    test claiming it to hang it up."""
    maker = RoleLock("target|12|0003*211", tmp_path)
    bulk = RoleLock("target|12|0003*211", tmp_path)
    for call_id in ("a1", "b2", "c3"):
        maker.add_ahead(call_id)
    assert maker.take_ahead("a1")
    assert sorted(bulk.claim_ahead()) == ["b2", "c3"]
    assert not maker.take_ahead("b2")
    assert bulk.claim_ahead() == []
    assert not RoleLock("target|12|0003*210", tmp_path).claim_ahead()  # other roles keep theirs
