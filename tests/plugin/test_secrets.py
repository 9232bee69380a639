"""No secret in any output: terminal (-vv, -l locals, -rA sections, header), JUnit XML, reports.

Each run fails on purpose and turns every output on, with recognizable secrets; then every byte
written is searched for them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.hostile import servers

TOKEN = "t0ken-SECRET-123"
CLIENT_SECRET = "sandbox-secret-12"  # the shipped dataset's, so that the token endpoint grants
ISSUED = re.compile(r"oauth-[A-Za-z0-9_-]{16,}")
EVERY_OUTPUT = ("-vv", "-l", "-rA", "--tb=long", "--junitxml=out/junit.xml", "--uapi-report=out")

# A user's tests that put the token everywhere a test can: locals, assertion diffs, captured
# stdout and logs of failing and passing tests, and an error in a fixture.
LEAKY = """
import logging

import pytest

@pytest.fixture
def broken(uapi_token):
    raise RuntimeError(f"fixture saw {uapi_token}")

def test_assert_diff(uapi_token, uapi_client, uapi_target, pytestconfig):
    headers = {"Authorization": f"Bearer {uapi_token}"}
    print("stdout:", uapi_token, headers)
    logging.getLogger("leaky").warning("log: %s", uapi_token)
    uapi_client.get("/uapi/phoneCalls/@me/0003*210", headers=headers)
    assert uapi_token == "something else"

def test_passes_and_prints(uapi_token, uapi_client):
    print("stdout of a passing test:", uapi_token, uapi_client.session)

def test_fixture_error(broken):
    pass

def test_check_failure(uapi_client):
    exchange = uapi_client.get("/uapi/phoneCalls/@me/0003*210")
    assert exchange.status == 299, exchange.request.headers
"""


@pytest.fixture
def failing_target() -> Iterator[str]:
    with servers.AlwaysFails() as server:
        yield server.url


def written(pytester: pytest.Pytester, result: pytest.RunResult) -> dict[str, str]:
    texts = {"stdout": result.stdout.str(), "stderr": result.stderr.str()}
    for path in sorted((pytester.path / "out").rglob("*")):
        if path.is_file():
            texts[str(path.relative_to(pytester.path))] = path.read_text("utf-8", "replace")
    return texts


def assert_nothing_leaks(texts: dict[str, str], *secrets: str) -> None:
    assert {"stdout", "stderr", "out/junit.xml", "out/report.json"} <= set(texts)
    for name, text in texts.items():
        for secret in secrets:
            assert secret not in text, f"{secret!r} leaks into {name}"
        assert not ISSUED.search(text), f"an issued OAuth token leaks into {name}"


@pytest.mark.slow
def test_the_token_never_leaks(pytester: pytest.Pytester, failing_target: str) -> None:
    pytester.makepyfile(test_leaky=LEAKY)
    result = pytester.runpytest_subprocess(
        "--uapi-url",
        failing_target,
        "--uapi-token",
        TOKEN,
        "--uapi-timeout",
        "1",
        *EVERY_OUTPUT,
        "-p",
        "no:cacheprovider",
        "test_leaky.py",
        "--pyargs",
        "pytest_uapi.suites",
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    outcomes = result.parseoutcomes()
    assert outcomes["failed"] >= 5 and outcomes["passed"] >= 1 and outcomes["errors"] == 1
    # The places a leak would be: they are there, masked.
    result.stdout.fnmatch_lines(["*token *** (from option)*"])
    result.stdout.fnmatch_lines(["*uapi_token = '***'*"])
    result.stdout.fnmatch_lines(["stdout: *** {'Authorization': 'Bearer ***'}"])
    assert_nothing_leaks(written(pytester, result), TOKEN)


@pytest.mark.slow
def test_client_credentials_never_leak(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_leaky=LEAKY)
    result = pytester.runpytest_subprocess(
        "--uapi-url",
        "embedded",
        "--uapi-client-id",
        "sandbox-client-12",
        "--uapi-client-secret",
        CLIENT_SECRET,
        "--uapi-fault",
        "make_call.error.user_invalid:accepted",
        *EVERY_OUTPUT,
        "-p",
        "no:cacheprovider",
        "test_leaky.py",
        "--pyargs",
        "pytest_uapi.suites",
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert result.parseoutcomes()["failed"] >= 3
    assert_nothing_leaks(written(pytester, result), CLIENT_SECRET)


def test_target_and_client_reprs_hide_secrets() -> None:
    from pytest_uapi.settings.target import build_target
    from pytest_uapi.transport.redaction import IssuedToken, Secret

    target = build_target({"token": TOKEN, "second_user_id": "13", "second_token": TOKEN + "2"})
    assert TOKEN not in repr(target)
    assert repr(Secret(TOKEN)) == repr(IssuedToken(TOKEN)) == "'***'"
    assert f"{Secret(TOKEN)}" == TOKEN  # still the value where it is used
