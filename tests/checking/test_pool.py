"""Calls made ahead (``checking.pool``): none against a server that settles at once; against one
that settles late, a later test takes a call made for it earlier (also one on hold once answers
are seen late), with that call's requests in its evidence; a bulk check hangs up the calls made
ahead on the ringing terminal first and requests its own calls together; and nothing is left on
the server when the run ends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pytest_uapi.reference import BackgroundServer, create_app
from pytest_uapi.reference.behaviour import Behaviour
from tests.listing import listed_once_settled

TOKEN = "sandbox-token-12"
CALLER, RINGING = "0003*210", "0003*211"

# Assertions run inside the runs' own tests, where the fixtures are: each test reads its
# provisioner's exchanges. ``nonceahead`` is the nonce of a call made ahead of time.
TESTS = f'''
AHEAD = "nonceahead"


def posts(calls):
    return [x for x in calls.client.exchanges if x.request.method == "POST"]


def made_ahead(exchange):
    return AHEAD in exchange.request.content.decode()


def test_first(uapi_calls):
    call = uapi_calls.make("on_call")
    assert [made_ahead(x) for x in posts(uapi_calls)] == [False]
    assert call.state == "on_call"


def test_second(uapi_calls):
    started = len(uapi_calls.client.exchanges)
    call = uapi_calls.make("on_call")
    first = uapi_calls.client.exchanges[started]
    assert first.request.method == "POST" and made_ahead(first) is EXPECT_AHEAD
    assert uapi_calls.adopted(first) == [call.id]  # its evidence starts at the make
    assert call.state == "on_call" and call.id in uapi_calls.made


def test_on_hold_after_a_late_answer(uapi_calls):
    # a call is answered before it is held: a late answer makes on_hold late too
    call = uapi_calls.make("on_hold")
    first = uapi_calls.client.exchanges[0]
    assert first.request.method == "POST" and made_ahead(first) is EXPECT_AHEAD
    assert call.state == "on_hold" and call.body["phoneCallView"]


def test_ringing_before_the_bulk_check(uapi_calls):
    uapi_calls.make("ringing")


def test_bulk_check(uapi_calls):
    uapi_calls.exclusive_ringing()
    deletes = [x for x in uapi_calls.client.exchanges if x.request.method == "DELETE"]
    # every call made ahead on the ringing terminal is hung up before the check starts
    assert bool(deletes) is EXPECT_AHEAD, deletes
    made = len(uapi_calls.client.exchanges)
    mine = {{call.id for call in uapi_calls.make_together("ringing", 2)}}
    assert not any(made_ahead(x) for x in posts(uapi_calls))  # the check's calls are its own
    # both are requested before either is waited for
    methods = [x.request.method for x in uapi_calls.client.exchanges[made:]]
    assert methods[:2] == ["POST", "POST"] and "POST" not in methods[2:], methods
    ids = uapi_calls.wait_for(
        lambda: uapi_calls.list_ids("{RINGING}"), lambda ids: set(ids) == mine
    )
    assert set(ids) == mine and len(mine) == 2


def test_ringing_after_the_bulk_check(uapi_calls):
    uapi_calls.make("ringing")
    assert not any(made_ahead(x) for x in posts(uapi_calls))  # the hung-up ones are not used
'''


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[str]:
    behaviour = Behaviour(answer_delay=request.param, effect_delay=request.param)
    with BackgroundServer(create_app(behaviour=behaviour)) as running:
        yield running.url


@pytest.mark.parametrize(
    ("server", "ahead"), [(0.0, False), (0.3, True)], indirect=["server"], ids=["at-once", "late"]
)
def test_calls_made_ahead_only_for_a_late_server(
    pytester: pytest.Pytester, server: str, ahead: bool
) -> None:
    pytester.makepyfile(test_pool_runs=TESTS.replace("EXPECT_AHEAD", str(ahead)))
    result = pytester.runpytest_subprocess(
        "--uapi-url", server, "--uapi-token", TOKEN, "--uapi-settle", "2", "-p", "no:randomly",
        "-p", "no:cacheprovider", "test_pool_runs.py",
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-4000:]
    result.assert_outcomes(passed=6)
    for extension in (CALLER, RINGING):  # nothing made ahead is left behind
        assert listed_once_settled(server, extension) == {"entry": []}
