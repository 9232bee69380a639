"""The plugin against each misbehaving server: bounded time, one clear failure per test, exit 1.

Each case runs the real plugin in a subprocess against a server of ``servers.CATALOGUE`` with
``--uapi-timeout 1`` and a small selection of the suite, and checks what docs/robustness.md
promises: the run ends within its bound, every selected test that reaches the server fails with
a message naming what the server did, there is no INTERNALERROR, and the exit code is 1.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from xml.etree import ElementTree

import pytest

from . import servers

# Subprocess-heavy or long: `pytest -m "not slow"` leaves it out of the quick loop.
pytestmark = pytest.mark.slow

TOKEN = "t0ken-SECRET-123"
JUNIT = "junit.xml"
TIMEOUT = 1.0
PER_TEST = 1.5
"""Seconds one test may take besides waiting on the server (set-up, checks, teardown), with room
for a loaded machine: a test bounded per test, not per session, cannot drift with collection."""
SESSION = 3.0
"""Seconds the inner session may take besides its tests: collection, reporting."""
STARTUP = 15.0
"""Seconds a subprocess pytest may take to start and import, on a loaded CI machine."""

# One request per test, answered with no usable answer: the test fails at its first exchange.
TRANSPORT = "test_success_status and MakeCall or test_refused_credentials and MakeCall-missing"
# A test that reads the acknowledgement's body, for servers whose status line looks fine.
BODY = "test_acknowledgement and MakeCall"
STATUS = "test_success_status and MakeCall"


@dataclass(frozen=True)
class Case:
    server: type[servers.HostileServer]
    select: str
    failed: int
    lines: tuple[str, ...]
    waits: int = 0
    """Exchanges that end only at the deadline: each may take up to --uapi-timeout."""

    @property
    def bound(self) -> float:
        """Seconds one test may last (its junit time: set-up, call and teardown)."""
        return PER_TEST + self.waits / self.failed * TIMEOUT

    @property
    def run_bound(self) -> float:
        """Seconds the whole subprocess may last."""
        return STARTUP + SESSION + self.failed * PER_TEST + self.waits * TIMEOUT

    def __str__(self) -> str:
        return self.server.name


NO_ANSWER = (
    "- No answer within 1s",
    "    Received: no complete status line and headers within 1s (ReadTimeout)",
)
CASES = [
    Case(servers.NeverAnswers, TRANSPORT, 2, NO_ANSWER, waits=2),
    Case(servers.SilentAfterAccept, TRANSPORT, 2, NO_ANSWER, waits=2),
    Case(
        servers.ClosesWithoutAnswer,
        TRANSPORT,
        2,
        (
            "- Connection closed without an answer",
            "    Received: the server closed the connection before a complete status line and "
            "headers (RemoteProtocolError: Server disconnected without sending a response.)",
        ),
    ),
    Case(
        servers.ClosesMidResponse,
        TRANSPORT,
        2,
        (
            "- Connection closed mid-response",
            "    Received: status 200 and 10 bytes of body, then the connection closed before "
            "the end of the body (RemoteProtocolError: *)",
        ),
    ),
    Case(
        servers.Garbage,
        BODY,
        1,
        (
            "- Answer is not valid JSON",
            "    Received: unparseable body (Expecting value: line 1 column 1 (char 0))",
        ),
    ),
    Case(
        servers.Huge,
        TRANSPORT,
        2,
        (
            "- Answer larger than 1 MiB",
            "    Received: status 200 and more than 1048576 bytes of body; reading stopped there "
            "(raise the cap with --uapi-max-response)",
        ),
    ),
    Case(
        servers.InvalidUtf8,
        BODY,
        1,
        (
            "- Answer is not valid JSON",
            "    Received: a body that is not UTF-8 (invalid start byte: byte 0xff at offset 9)",
        ),
    ),
    Case(
        servers.RedirectLoop,
        STATUS,
        1,
        (
            "- Redirect (302) instead of an answer",
            "    Received: 302",
            "[[]302] Found:",
            "    Redirect to http://127.0.0.1:*/uapi/phoneCalls/12/simple (not followed: *)",
        ),
    ),
    Case(servers.Drip, TRANSPORT, 2, NO_ANSWER, waits=2),
    Case(
        servers.DripBody,
        TRANSPORT,
        2,
        (
            "- Answer not complete within 1s",
            "    Received: status 200 and * bytes of body within 1s; the rest was still coming",
        ),
        waits=2,
    ),
    Case(
        servers.WrongContentType,
        BODY,
        1,
        ("- Answer is not labelled as JSON", "    Received: Content-Type: text/plain"),
    ),
    *(
        Case(
            bomb,
            TRANSPORT,
            2,
            (
                "- Answer larger than 1 MiB once decoded",
                "    Received: status 200 and * bytes of body (Content-Encoding: "
                f"{bomb.encoding}) decoding to more than 1048576 bytes; decoding stopped there "
                "(raise the cap with --uapi-max-response)",
            ),
        )
        for bomb in (servers.GzipBomb, servers.StackedGzipBomb, servers.DeflateBomb)
    ),
    Case(
        servers.HugeHeader,
        TRANSPORT,
        2,
        (
            "- Header section too large",
            "    Received: the status line and headers went past 100 KiB without an end, the "
            "most the client (h11, under httpx) reads before giving up (RemoteProtocolError: "
            "Receive buffer too long)",
        ),
    ),
    Case(
        servers.AlwaysFails,
        STATUS,
        1,
        ("- Server error (500)", "    Received: 500", "[[]500] Internal Server Error:"),
    ),
]


def seconds_per_test(pytester: pytest.Pytester) -> dict[str, float]:
    """Each inner test's duration, from the junit file ``run`` asks for."""
    tree = ElementTree.parse(pytester.path / JUNIT)
    return {case.get("name", ""): float(case.get("time", "0")) for case in tree.iter("testcase")}


def run(pytester: pytest.Pytester, url: str, *args: str) -> tuple[pytest.RunResult, float]:
    start = time.perf_counter()
    result = pytester.runpytest_subprocess(
        "--uapi-url",
        url,
        "--uapi-token",
        TOKEN,
        "--uapi-timeout",
        str(TIMEOUT),
        "-p",
        "no:cacheprovider",
        "--junitxml",
        JUNIT,
        *args,
        timeout=60,
    )
    return result, time.perf_counter() - start


def test_the_catalogue_is_covered() -> None:
    assert {case.server for case in CASES} == set(servers.CATALOGUE)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_hostile_server(pytester: pytest.Pytester, case: Case) -> None:
    with case.server() as server:
        result, elapsed = run(pytester, server.url, "--uapi-no-preflight", "-k", case.select)
    output = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in output
    assert "Traceback" not in output
    assert result.ret == pytest.ExitCode.TESTS_FAILED, output
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed") == case.failed, outcomes
    assert "passed" not in outcomes, outcomes
    for line in case.lines:
        result.stdout.fnmatch_lines([line])
    assert TOKEN not in output
    took = seconds_per_test(pytester)
    assert len(took) == case.failed, took
    for name, seconds in took.items():
        assert seconds < case.bound, f"{case}: {name} took {seconds:.2f}s, bound {case.bound:g}s"
    assert elapsed < case.run_bound, f"{case}: the run took {elapsed:.2f}s"


@pytest.mark.parametrize(
    ("server", "message"),
    [
        (
            servers.NeverAnswers,
            "uapi preflight: no answer from http://127.0.0.1:*/uapi/phoneCalls/12/0003[*]210: "
            "No answer within 1s (*); check --uapi-url, or raise --uapi-timeout (now 1s), "
            "or skip this check with --uapi-no-preflight",
        ),
        (
            servers.ClosesWithoutAnswer,
            "uapi preflight: no answer from http://127.0.0.1:*: Connection closed without an "
            "answer (*); check --uapi-url, or skip this check with --uapi-no-preflight",
        ),
    ],
    ids=lambda value: getattr(value, "name", "message"),
)
def test_preflight_stops_the_session(
    pytester: pytest.Pytester, server: type[servers.HostileServer], message: str
) -> None:
    with server() as hostile:
        result, elapsed = run(pytester, hostile.url)
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "INTERNALERROR" not in output
    assert "passed" not in output and " failed" not in output
    assert [line for line in output.splitlines() if "uapi preflight:" in line] != []
    result.stdout.fnmatch_lines([f"*{message}*"])
    assert TOKEN not in output
    assert elapsed < STARTUP + SESSION + TIMEOUT, f"the run took {elapsed:.2f}s"


PEAK_RSS = """
import resource
import sys


def pytest_unconfigure(config):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    sys.stderr.write(f"PEAK-RSS-KIB {peak}\\n")
"""
PEAK_BOUND_MIB = 256
"""Far under what decoding 1 GiB in memory costs, far over a pytest process (about 80 MiB)."""


@pytest.mark.parametrize(
    "bomb", [servers.GzipBomb, servers.StackedGzipBomb, servers.DeflateBomb], ids=str
)
def test_a_compression_bomb_costs_no_memory(
    pytester: pytest.Pytester, bomb: type[servers.GzipBomb]
) -> None:
    pytester.makepyfile(peak_rss=PEAK_RSS)
    with bomb() as server:
        result, _ = run(
            pytester, server.url, "--uapi-no-preflight", "-p", "peak_rss", "-k", TRANSPORT
        )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    [line] = [line for line in result.stderr.lines if line.startswith("PEAK-RSS-KIB ")]
    peak_mib = int(line.split()[1]) / 1024
    # The figures docs/robustness.md quotes: `pytest -k costs_no_memory -rP` shows them.
    seconds = sum(seconds_per_test(pytester).values())
    sys.stdout.write(f"{bomb.name}: peak RSS {peak_mib:.0f} MiB, {seconds:.2f}s of tests\n")
    assert peak_mib < PEAK_BOUND_MIB, f"the run peaked at {peak_mib:.0f} MiB"
