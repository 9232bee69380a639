"""The suite is exact under xdist against one shared server: workers act on the same user and
extensions at once, and every run is clean (no failure, no skip), run after run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pytest_uapi.reference import BackgroundServer, create_app
from pytest_uapi.reference.behaviour import Behaviour
from tests.listing import listed_once_settled

pytestmark = pytest.mark.slow
RUNS = 3


@pytest.fixture(scope="module")
def shared_server() -> Iterator[str]:
    """One reference server over HTTP that every run and every worker talks to."""
    with BackgroundServer(create_app()) as server:
        yield server.url


@pytest.fixture(scope="module")
def late_server() -> Iterator[str]:
    """One shared server whose calls and effects settle late (D31): the workers then make calls
    ahead of time, on the ringing terminal too, and the bulk checks hang those up first."""
    behaviour = Behaviour(answer_delay=0.3, effect_delay=0.3)
    with BackgroundServer(create_app(behaviour=behaviour)) as server:
        yield server.url


@pytest.mark.parametrize("run", range(RUNS))
def test_four_workers_on_one_shared_server(
    pytester: pytest.Pytester, shared_server: str, run: int
) -> None:
    _clean_parallel_run(pytester, shared_server)


def test_four_workers_on_one_shared_late_server(
    pytester: pytest.Pytester, late_server: str
) -> None:
    _clean_parallel_run(pytester, late_server, "--uapi-settle", "1.5")


def _clean_parallel_run(pytester: pytest.Pytester, server: str, *args: str) -> None:
    result = pytester.runpytest_subprocess(
        "--uapi-url", server, "--uapi-token", "sandbox-token-12", "-n", "4",
        "-p", "no:cacheprovider", *args,
    )  # fmt: skip
    outcomes = result.parseoutcomes()
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-4000:]
    assert outcomes.get("failed", 0) == 0
    assert outcomes.get("skipped", 0) == 0
    assert outcomes["passed"] > 300
    for extension in ("0003*210", "0003*211"):  # and no call is left behind on the target
        assert listed_once_settled(server, extension) == {"entry": []}
