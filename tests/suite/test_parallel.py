"""The suite is exact under xdist against one shared server: workers act on the same user and
extensions at once, and every run is clean (no failure, no skip), run after run."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from pytest_uapi.reference import BackgroundServer, create_app

pytestmark = pytest.mark.slow
RUNS = 3


@pytest.fixture(scope="module")
def shared_server() -> Iterator[str]:
    """One reference server over HTTP that every run and every worker talks to."""
    with BackgroundServer(create_app()) as server:
        yield server.url


@pytest.mark.parametrize("run", range(RUNS))
def test_four_workers_on_one_shared_server(
    pytester: pytest.Pytester, shared_server: str, run: int
) -> None:
    result = pytester.runpytest_subprocess(
        "--uapi-url",
        shared_server,
        "--uapi-token",
        "sandbox-token-12",
        "-n",
        "4",
        "-p",
        "no:cacheprovider",
    )
    outcomes = result.parseoutcomes()
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-4000:]
    assert outcomes.get("failed", 0) == 0
    assert outcomes.get("skipped", 0) == 0
    assert outcomes["passed"] > 300
    for extension in ("0003*210", "0003*211"):  # and no call is left behind on the target
        listed = httpx.get(
            f"{shared_server}/uapi/phoneCalls/12/{extension}",
            headers={"Authorization": "Bearer sandbox-token-12"},
        )
        assert listed.json() == {"entry": []}, listed.text
