"""No call left behind: real signals, at several moments of a run against a real reference server.

The reference server runs in this process (uvicorn on a loopback port); pytest runs in a
subprocess of its own session (a process group, as under a shell), against it. Each scenario's
tests write a mark file at the moment to interrupt and then wait; the harness sends the signal
when the mark appears, then lists the calls of the acting user's two extensions: none may be
left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from pytest_uapi.reference import create_app
from pytest_uapi.reference.background import BackgroundServer

pytestmark = pytest.mark.slow

TOKEN = "sandbox-token-12"
EXTENSIONS = ("0003*210", "0003*211")
WAIT = 60.0
"""Seconds a mark or the end of the run may take to come, on a loaded machine."""

TESTS = """
import os
import pathlib
import time

import pytest


def hold(name):
    pathlib.Path(os.environ["MARKS_DIR"], name).touch()
    time.sleep(60)


def test_mid_test(uapi_calls):
    uapi_calls.make("ringing")
    uapi_calls.make("on_call")
    hold("mid-test")


@pytest.fixture
def slow_teardown(uapi_calls):
    uapi_calls.make("ringing")
    yield
    hold("teardown")


def test_teardown(slow_teardown):
    pass


def test_interrupted_then_teardown(slow_teardown, uapi_calls):
    uapi_calls.make("on_call")
    hold("mid-test")


def test_first(uapi_calls):
    uapi_calls.make("ringing")


def test_second(uapi_calls):
    uapi_calls.make("ringing")
"""
CONFTEST = """
import os
import pathlib
import time


def pytest_runtest_logfinish(nodeid):
    if nodeid.endswith("test_first"):
        pathlib.Path(os.environ["MARKS_DIR"], "between").touch()
        time.sleep(60)
"""
MIDWAY = """
import os
import pathlib

finished = 0


def pytest_runtest_logfinish(nodeid):
    global finished
    finished += 1
    if finished == 40:
        pathlib.Path(os.environ["MARKS_DIR"], "suite").touch()
"""
SLOW_IMPORT = """
import os
import pathlib
import time

pathlib.Path(os.environ["MARKS_DIR"], "collection").touch()
time.sleep(60)


def test_never_runs(uapi_calls):
    uapi_calls.make("ringing")
"""


@dataclass(frozen=True)
class Scenario:
    name: str
    args: tuple[str, ...]
    signals: tuple[tuple[str, signal.Signals, bool], ...]
    """(mark to wait for, or "+seconds" after the previous signal; signal; to the whole group)"""
    hung_up: int
    """Calls the interruption's sweep hangs up (told on stderr)."""
    slow_deletes: float = 0.0
    delay: float = 0.2
    """Seconds between a mark and its signal: well inside the wait, not at its first instant."""
    exit_codes: tuple[int, ...] = field(default=(pytest.ExitCode.INTERRUPTED,))

    def __str__(self) -> str:
        return self.name


TERM, INT = signal.SIGTERM, signal.SIGINT
SCENARIOS = [
    Scenario("collection", ("test_slow_import.py",), (("collection", TERM, True),), 0),
    Scenario("mid-test", ("test_leaves.py::test_mid_test",), (("mid-test", TERM, True),), 2),
    Scenario("teardown", ("test_leaves.py::test_teardown",), (("teardown", TERM, True),), 1),
    Scenario(
        "between-tests",
        ("test_leaves.py::test_first", "test_leaves.py::test_second"),
        (("between", TERM, True),),
        0,
    ),
    Scenario(
        "xdist-group",  # what `timeout` and a CI cancel do: the whole process group
        ("-n", "2", "test_leaves.py::test_mid_test"),
        (("mid-test", TERM, True),),
        2,
    ),
    Scenario(
        "xdist-controller",  # `kill`, or `docker stop` of a container whose first process it is
        ("-n", "2", "test_leaves.py::test_mid_test"),
        (("mid-test", TERM, False),),
        2,
    ),
    *(
        Scenario(
            # Whatever exchange is in flight then: a make-call answer that never reaches the
            # provisioner would leave its call up, so signals wait for the exchange's end.
            f"shipped-suite-midway-{signum.name}",
            ("-p", "midway", "--pyargs", "pytest_uapi.suites"),
            (("suite", signum, True),),
            0,
            delay=0.0,
        )
        for signum in (TERM, INT)
    ),
    Scenario(
        "ctrl-c-thrice-during-the-sweep",
        ("test_leaves.py::test_mid_test",),
        (("mid-test", INT, True), ("+0.2", INT, True), ("+0.3", INT, True)),
        2,
        slow_deletes=0.5,
        # A Ctrl-C after the sweep, in pytest's own teardown, ends Python as a Ctrl-C does.
        exit_codes=(pytest.ExitCode.INTERRUPTED, -signal.SIGINT),
    ),
    Scenario(
        "ctrl-c-again-during-teardown",
        ("test_leaves.py::test_interrupted_then_teardown",),
        (("mid-test", INT, True), ("teardown", INT, True)),
        2,
        exit_codes=(pytest.ExitCode.INTERRUPTED, -signal.SIGINT),
    ),
]


def slow_deletes(app: Any, seconds: float) -> Any:
    """The reference app, taking ``seconds`` over each DELETE: a sweep long enough to interrupt."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if seconds and scope["type"] == "http" and scope["method"] == "DELETE":
            await anyio.sleep(seconds)
        await app(scope, receive, send)

    return wrapped


def calls_left(url: str) -> list[str]:
    ids: set[str] = set()
    with httpx.Client(headers={"Authorization": f"Bearer {TOKEN}"}, trust_env=False) as client:
        for extension in EXTENSIONS:
            response = client.get(f"{url}/uapi/phoneCalls/12/{extension}")
            assert response.status_code == 200, response.text
            ids |= {entry["id"] for entry in response.json()["entry"]}
    return sorted(ids)


def wait_for(path: Path, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + WAIT
    while not path.exists():
        assert process.poll() is None, f"the run ended before {path.name}"
        assert time.monotonic() < deadline, f"no {path.name} within {WAIT:g}s"
        time.sleep(0.02)


@pytest.fixture
def run_dir(pytester: pytest.Pytester) -> Iterator[Path]:
    pytester.makepyfile(test_leaves=TESTS, test_slow_import=SLOW_IMPORT, midway=MIDWAY)
    pytester.makeconftest(CONFTEST)
    (pytester.path / "marks").mkdir()
    yield pytester.path


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_no_call_is_left_behind(run_dir: Path, scenario: Scenario) -> None:
    marks = run_dir / "marks"
    app = slow_deletes(create_app(), scenario.slow_deletes)
    with BackgroundServer(app) as server:
        url = str(server.url).rstrip("/")
        command = [
            sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly",
            "--uapi-url", url, "--uapi-token", TOKEN, *scenario.args,
        ]  # fmt: skip
        env = {**os.environ, "MARKS_DIR": str(marks)}
        env = {k: v for k, v in env.items() if not k.startswith("PYTEST_")}
        process = subprocess.Popen(
            command, cwd=run_dir, env=env, text=True, start_new_session=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            for moment, signum, group in scenario.signals:
                if moment.startswith("+"):
                    time.sleep(float(moment))
                else:
                    wait_for(marks / moment, process)
                    time.sleep(scenario.delay)
                sent = time.perf_counter()
                os.killpg(process.pid, signum) if group else os.kill(process.pid, signum)
            stdout, stderr = process.communicate(timeout=WAIT)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.communicate()
        took = time.perf_counter() - sent
        left = calls_left(url)
    output = stdout + stderr
    told = [line for line in stderr.splitlines() if line.startswith("uapi: interrupted")]
    # The figures of the README: `pytest tests/plugin/test_interrupts.py -rP` shows them.
    sys.stdout.write(
        f"{scenario}: {len(left)} calls left; exit {process.returncode} {took:.1f}s after the "
        f"last signal; {told[0] if told else 'no sweep needed'}\n"
    )
    assert left == [], output
    assert process.returncode in scenario.exit_codes, output
    assert "INTERNALERROR" not in output
    assert "could not be hung up" not in output
    if scenario.hung_up:
        assert told, output
        assert f"hung up {scenario.hung_up} call(s)" in " ".join(told), output


def test_the_handlers_are_put_back(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_one="def test_one(uapi_client):\n    pass\n")
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    result = pytester.runpytest_inprocess("--uapi-url", "embedded", "test_one.py")
    result.assert_outcomes(passed=1)
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
