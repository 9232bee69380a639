"""OAuth 2.0 client credentials through the plugin, against the reference server for real."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pytest_uapi.reference import BackgroundServer, create_app

CREDENTIALS = ("--uapi-client-id", "sandbox-client-12", "--uapi-client-secret", "sandbox-secret-12")

USE_TOKEN = """
from pytest_uapi.transport.redaction import IssuedToken

def test_token(uapi_client, uapi_token):
    assert isinstance(uapi_token, IssuedToken) and uapi_token.startswith("oauth-")
    assert repr(uapi_token) == "'***'"
    assert uapi_client.get("/uapi/phoneCalls/@me/0003*210").status == 200
    sent = uapi_client.last.request.headers["authorization"]
    assert sent == f"Bearer {uapi_token}"
"""

OUTLIVE_TOKEN = """
import time

from pytest_uapi.stash import SESSION

def test_outlive(uapi_client, pytestconfig):
    assert uapi_client.get("/uapi/phoneCalls/@me/0003*210").status == 200
    time.sleep(1.1)  # past the server's 1 s lifetime (renewed 0.1 s early)
    assert uapi_client.get("/uapi/phoneCalls/@me/0003*210").status == 200
    first, second = [e.request.headers["authorization"] for e in uapi_client.exchanges]
    assert first != second
    assert len(pytestconfig.stash[SESSION].credentials.issued) == 2
"""


@pytest.fixture(scope="module")
def short_lived() -> Iterator[str]:
    """A reference server whose tokens live one second."""
    with BackgroundServer(create_app(token_lifetime=1)) as server:
        yield server.url


@pytest.mark.parametrize("target", ["embedded", "embedded-http"])
def test_token_from_client_credentials(pytester: pytest.Pytester, target: str) -> None:
    pytester.makepyfile(test_token=USE_TOKEN)
    result = pytester.runpytest_inprocess("--uapi-url", target, *CREDENTIALS, "test_token.py")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["uapi:*; OAuth client sandbox-client-12 (from option);*"])
    assert "sandbox-secret-12" not in result.stdout.str()


def test_credentials_from_the_environment(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UAPI_CLIENT_ID", "sandbox-client-12")
    monkeypatch.setenv("UAPI_CLIENT_SECRET", "sandbox-secret-12")
    pytester.makepyfile(test_token=USE_TOKEN)
    result = pytester.runpytest_inprocess("--uapi-url", "embedded", "test_token.py")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["uapi:*; OAuth client sandbox-client-12 (from env);*"])


def test_an_expired_token_is_fetched_again(pytester: pytest.Pytester, short_lived: str) -> None:
    pytester.makepyfile(test_outlive=OUTLIVE_TOKEN)
    result = pytester.runpytest_inprocess(
        "--uapi-url", short_lived, *CREDENTIALS, "test_outlive.py"
    )
    result.assert_outcomes(passed=1)


@pytest.mark.slow
def test_the_suite_passes_with_client_credentials(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(
        "--uapi-url", "embedded-http", *CREDENTIALS, "-n", "2", "-p", "no:benchmark"
    )
    outcomes = result.parseoutcomes()
    assert set(outcomes) == {"passed"}, outcomes  # none failed, none skipped


def test_a_refused_client_fails_each_test_clearly(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_token=USE_TOKEN)
    result = pytester.runpytest_inprocess(
        "--uapi-url",
        "embedded",
        "--uapi-client-id",
        "sandbox-client-12",
        "--uapi-client-secret",
        "wr0ng/secret+1",
        "--uapi-no-preflight",
        "test_token.py",
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "- Token endpoint refused the client credentials",
            "",
            '    Expected: 200 with {"access_token": ..., "expires_in": ...}',
            "    Received: 401 invalid_client",
            "    check --uapi-client-id and --uapi-client-secret",
            "*",
            "    curl -X POST -H 'Content-Type: application/x-www-form-urlencoded' -d "
            "'grant_type=client_credentials&client_id=sandbox-client-12&client_secret=***' "
            "http://uapi.embedded/oauth/token.php",
        ]
    )
    output = result.stdout.str()
    assert "wr0ng" not in output and "wr0ng%2Fsecret%2B1" not in output
