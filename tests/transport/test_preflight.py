"""The preflight: one request before the first test stops a misconfigured session at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pytest_uapi.reference import BackgroundServer, create_app

USES_TARGET = "def test_list(uapi_client):\n    uapi_client.get('/uapi/phoneCalls/@me/0003*210')\n"
SKIP = "or skip this check with --uapi-no-preflight"


@pytest.fixture(scope="module")
def reference_url() -> Iterator[str]:
    with BackgroundServer(create_app()) as server:
        yield server.url


@pytest.fixture
def test_file(pytester: pytest.Pytester) -> str:
    return str(pytester.makepyfile(test_list=USES_TARGET))


def assert_stopped(result: pytest.RunResult, message: str, secret: str) -> None:
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR, output
    assert "INTERNALERROR" not in output
    assert secret not in output
    result.stdout.no_fnmatch_line("*passed*")
    result.stdout.fnmatch_lines([f"*uapi preflight: {message}"])


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "http://127.0.0.1:9",
            "no answer from http://127.0.0.1:9/uapi/phoneCalls/12/0003[*]210: No answer from "
            "the target (ConnectError: *refused); check the port in --uapi-url and that the "
            f"server is running, {SKIP}*",
        ),
        ("http://no-such-host.invalid", "no answer from http://no-such-host.invalid/*; check *"),
    ],
    ids=["refused", "dns"],
)
def test_unreachable_target(
    pytester: pytest.Pytester, test_file: str, url: str, message: str
) -> None:
    result = pytester.runpytest_inprocess(
        "--uapi-url", url, "--uapi-token", "pf-SECRET-1", test_file
    )
    assert_stopped(result, message, "pf-SECRET-1")


def test_tls_to_a_plain_http_server(
    pytester: pytest.Pytester, test_file: str, reference_url: str
) -> None:
    url = reference_url.replace("http://", "https://")
    result = pytester.runpytest_inprocess(
        "--uapi-url", url, "--uapi-token", "pf-SECRET-1", test_file
    )
    assert_stopped(
        result,
        "no answer from https://*: No answer from the target (ConnectError: *); the server does "
        f"not speak TLS on that port: check http:// or https://, {SKIP}*",
        "pf-SECRET-1",
    )


@pytest.mark.parametrize("target", ["remote", "embedded"])
def test_refused_token(
    pytester: pytest.Pytester, test_file: str, reference_url: str, target: str
) -> None:
    url = reference_url if target == "remote" else "embedded"
    result = pytester.runpytest_inprocess(
        "--uapi-url", url, "--uapi-token", "pf-SECRET-1", test_file
    )
    assert_stopped(
        result,
        "the target refused the token (401 to GET /uapi/phoneCalls/12/0003[*]210); check "
        "--uapi-token (or UAPI_TOKEN, or the profile's token): it must be a valid token of "
        f"user 12, {SKIP}*",
        "pf-SECRET-1",
    )


def test_refused_client_credentials(pytester: pytest.Pytester, test_file: str) -> None:
    result = pytester.runpytest_inprocess(
        "--uapi-url",
        "embedded",
        "--uapi-client-id",
        "sandbox-client-12",
        "--uapi-client-secret",
        "pf-SECRET+2",
        test_file,
    )
    assert_stopped(
        result,
        "token endpoint refused the client credentials (401 invalid_client); check "
        f"--uapi-client-id and --uapi-client-secret, {SKIP}*",
        "pf-SECRET",
    )


def test_no_preflight_lets_the_tests_report(
    pytester: pytest.Pytester, test_file: str, reference_url: str
) -> None:
    result = pytester.runpytest_inprocess(
        "--uapi-url", reference_url, "--uapi-token", "pf-SECRET-1", "--uapi-no-preflight", test_file
    )
    result.assert_outcomes(passed=1)  # the test itself does not look at the status
    result.stdout.fnmatch_lines(["uapi:*; no preflight (from option)*"])


def test_a_good_target_passes(
    pytester: pytest.Pytester, test_file: str, reference_url: str
) -> None:
    result = pytester.runpytest_inprocess(
        "--uapi-url", reference_url, "--uapi-token", "sandbox-token-12", test_file
    )
    result.assert_outcomes(passed=1)


def test_no_preflight_without_a_test_of_the_target(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    result = pytester.runpytest_inprocess(
        "--uapi-url", "http://127.0.0.1:9", "--uapi-token", "t0ken-123", "test_nothing.py"
    )
    result.assert_outcomes(passed=1)


def test_preflight_under_xdist_runs_on_the_controller(
    pytester: pytest.Pytester, test_file: str, reference_url: str
) -> None:
    result = pytester.runpytest_subprocess(
        "--uapi-url",
        reference_url,
        "--uapi-token",
        "pf-SECRET-1",
        "-n",
        "2",
        "-p",
        "no:benchmark",
        test_file,
    )
    assert_stopped(result, "the target refused the token (401 *", "pf-SECRET-1")
