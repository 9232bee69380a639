"""The shipped suite against the reference server: zero failures and zero skips, in both
profiles, in-process, over real HTTP, and spread over xdist workers."""

from __future__ import annotations

import pytest

from pytest_uapi.suites import test_errors, test_robustness, test_security, test_success

# Subprocess-heavy or long: `pytest -m "not slow"` leaves it out of the quick loop.
pytestmark = pytest.mark.slow

EXPECTED = sum(
    len(module.__dict__[name])
    for module, names in [
        (test_success, ("PLAIN", "FORMS", "BULK")),
        (test_errors, ("CASES",)),
        (test_robustness, ("WRONG_TYPES",)),
        (test_security, ("CASES",)),
    ]
    for name in names
)


def _outcomes(result: pytest.RunResult) -> dict[str, int]:
    return result.parseoutcomes()


@pytest.mark.parametrize("profile", [[], ["--uapi-strict"]], ids=["default", "strict"])
def test_embedded_passes_both_profiles(pytester: pytest.Pytester, profile: list[str]) -> None:
    result = pytester.runpytest_subprocess(
        "--uapi-url", "embedded", "-p", "no:cacheprovider", *profile
    )
    outcomes = _outcomes(result)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-3000:]
    assert outcomes.get("failed", 0) == 0
    assert outcomes.get("skipped", 0) == 0
    assert outcomes["passed"] > EXPECTED  # every parametrized case plus the flow tests ran


def test_embedded_http_under_xdist(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(
        "--uapi-url", "embedded-http", "-n", "2", "-p", "no:cacheprovider"
    )
    outcomes = _outcomes(result)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-3000:]
    assert outcomes.get("failed", 0) == 0
    assert outcomes.get("skipped", 0) == 0


def test_a_broken_server_gets_a_readable_failure(pytester: pytest.Pytester) -> None:
    """The real suite against a real fault: the whole failure message, curl line included,
    with the token masked and no traceback of the plugin."""
    result = pytester.runpytest_subprocess(
        "--uapi-url",
        "embedded",
        "--uapi-token",
        "sandbox-token-12",
        "--uapi-fault",
        "transfer.error.pc_sendcallto_invalid:wrong-code",
        "-k",
        "Transfer-pc_sendcallto_invalid-letters",
        "-p",
        "no:cacheprovider",
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "_*_ test_error_code[[]Transfer-pc_sendcallto_invalid-letters[]] _*_",
            "- Wrong error code",
            "",
            "    Expected: pc_sendcallto_invalid",
            "    Received: invalid_parameter",
            "",
            "    Requirement: transfer.error.pc_sendcallto_invalid (D11; 001 (PUT action "
            "Transfer): Failure: 400 pc_sendcallto_invalid)",
            "",
            "[[]400[]] Bad Request:",
            '    {"error": {"code": "invalid_parameter", "message": "Value supplied in sendCallTo*',
            "",
            "Reproduce with:",
            "",
            "    curl -X PUT -H 'Authorization: Bearer ***' -H 'Content-Type: application/json' "
            '-d \'{"action": "Transfer", "sendCallTo": "abc", *}\' '
            "'http://uapi.embedded/uapi/phoneCalls/12/0003[*]210/*'",
        ]
    )
    output = result.stdout.str() + result.stderr.str()
    assert "sandbox-token-12" not in output
    assert "Traceback" not in output and "INTERNALERROR" not in output
