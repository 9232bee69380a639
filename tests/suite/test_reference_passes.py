"""The shipped suite against the reference server: zero failures and zero skips, in both
profiles, in-process, over real HTTP, and spread over xdist workers."""

from __future__ import annotations

import pytest

from pytest_uapi.suites import test_errors, test_robustness, test_security, test_success

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
