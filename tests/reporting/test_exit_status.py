"""The exit status follows the verdict: an untested requirement of the selected tests fails the
gate (10) unless the run says it is exploratory; failures keep 1, pytest's own codes stay; and a
session the preflight stops shows no verdict at all."""

from __future__ import annotations

import json

import pytest

from pytest_uapi.contract import load_contract
from pytest_uapi.reporting.hooks import UNTESTED

CONTRACT = load_contract()
TOTAL = len(CONTRACT.requirements)

# Tests of the user's own, marked with contract requirements: fast, and each outcome explicit.
OWN_TESTS = """
import pytest

@pytest.mark.uapi_requirement("transfer.success")
def test_passes():
    pass

@pytest.mark.uapi_requirement("pickup.success")
def test_precondition_missing():
    pytest.skip("precondition not met: no ringing call")
"""
FAILING = """
@pytest.mark.uapi_requirement("offhold.success")
def test_fails():
    assert False
"""
INTERRUPTING = """
@pytest.mark.uapi_requirement("offhold.success")
def test_interrupts():
    pytest.exit("stopped by hand", returncode=pytest.ExitCode.INTERRUPTED)
"""
ARGS = ("--uapi-url", "embedded", "-p", "no:cacheprovider")
OWN = (*ARGS, "test_own.py")  # with a path, only the user's tests run, not the shipped suite
NO_CROSS_USER = 'second_user_id = ""\nsecond_token = ""\n'
# Every requirement whose tests need the second user of the target profile.
CROSS_USER = tuple(r.id for r in CONTRACT.requirements if r.id.startswith("security.cross_user"))


def test_a_skipped_requirement_fails_the_gate(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_own=OWN_TESTS)
    result = pytester.runpytest_inprocess(*OWN, "--uapi-report", "out")
    assert result.ret == UNTESTED == 10
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "untested: pickup.success: their tests were skipped, so the run exits 10; fix what "
            "the skip reasons name (-rs shows them), or pass --uapi-allow-untested for an "
            "exploratory run",
            f"*: 1/{TOTAL} requirements pass, 0 fail, {TOTAL - 1} not tested: NOT CONFORMANT",
        ]
    )
    report = json.loads((pytester.path / "out" / "report.json").read_text("utf-8"))
    assert report["exit_status"] == 10
    assert report["untested_selected"] == ["pickup.success"]
    assert report["exit_reason"] == (
        "1 requirement of the selected tests not tested (their tests were skipped)"
    )


@pytest.mark.parametrize("where", ["option", "env", "ini"])
def test_an_exploratory_run_may_allow_untested(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    pytester.makepyfile(test_own=OWN_TESTS)
    args = list(OWN)
    if where == "option":
        args.append("--uapi-allow-untested")
    elif where == "env":
        monkeypatch.setenv("UAPI_ALLOW_UNTESTED", "yes")
    else:
        pytester.makeini("[pytest]\nuapi_allow_untested = true\n")
    result = pytester.runpytest_inprocess(*args)
    assert result.ret == pytest.ExitCode.OK
    spelled = {"option": "--uapi-allow-untested", "env": "UAPI_ALLOW_UNTESTED"}.get(
        where, "ini option uapi_allow_untested"
    )
    result.stdout.fnmatch_lines(
        [f"untested, allowed by {spelled}: pickup.success (their tests were skipped)"]
    )
    # the verdict does not change: allowing is about the exit status only
    result.stdout.fnmatch_lines([f"*{TOTAL - 1} not tested: NOT CONFORMANT"])


@pytest.mark.parametrize(
    "select",
    [["-k", "test_passes"], ["--uapi-requirement", "transfer.success"]],
    ids=["-k", "--uapi-requirement"],
)
def test_deselected_requirements_are_not_part_of_the_selection(
    pytester: pytest.Pytester, select: list[str]
) -> None:
    pytester.makepyfile(test_own=OWN_TESTS)
    result = pytester.runpytest_inprocess(*OWN, *select)
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(passed=1, deselected=1)
    result.stdout.no_fnmatch_line("untested*")


def test_a_failure_keeps_exit_1(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_own=OWN_TESTS + FAILING)
    result = pytester.runpytest_inprocess(*OWN)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["untested: pickup.success: *"])


@pytest.mark.parametrize(
    ("source", "args", "status"),
    [
        (INTERRUPTING, [], pytest.ExitCode.INTERRUPTED),
        ("", ["-k", "no_such_test"], pytest.ExitCode.NO_TESTS_COLLECTED),
    ],
    ids=["interrupted", "no-tests"],
)
def test_pytest_own_codes_stay(
    pytester: pytest.Pytester, source: str, args: list[str], status: pytest.ExitCode
) -> None:
    pytester.makepyfile(test_own=OWN_TESTS + source)
    result = pytester.runpytest_inprocess(*OWN, *args)
    assert result.ret == status
    if status == pytest.ExitCode.INTERRUPTED:
        result.stdout.fnmatch_lines(
            ["the session was stopped early: the verdicts cover only the tests that ran"]
        )


@pytest.mark.slow
@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "xdist"])
def test_the_shipped_suite_with_a_precondition_missing(
    pytester: pytest.Pytester, workers: list[str]
) -> None:
    """The cross-user checks skip without a second user: not conformant, so the run
    must not exit 0, however it is spread."""
    pytester.makefile(".toml", profile=NO_CROSS_USER)
    result = pytester.runpytest_subprocess(
        *ARGS, "-p", "no:benchmark", "--uapi-profile", "profile.toml", *workers
    )
    assert result.ret == UNTESTED
    result.stdout.fnmatch_lines(
        [
            f"untested: {', '.join(CROSS_USER)}: their tests were skipped, so the run exits 10*",
            f"UAPI conformance (default profile): {TOTAL - len(CROSS_USER)}/{TOTAL} requirements "
            f"pass, 0 fail, {len(CROSS_USER)} not tested: NOT CONFORMANT",
        ]
    )


def test_a_stopped_session_shows_no_verdict(pytester: pytest.Pytester) -> None:
    """The preflight refuses the token: the error is the only news, not "0/N ... NOT
    CONFORMANT", and no report claims a verdict for a run that never ran."""
    pytester.makepyfile(test_list="def test_list(uapi_client):\n    pass\n")
    result = pytester.runpytest_inprocess(
        "--uapi-url", "embedded", "--uapi-token", "stop-SECRET-1", "--uapi-report", "out"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    output = result.stdout.str()
    assert "UAPI conformance" not in output and "CONFORMANT" not in output
    result.stdout.fnmatch_lines(
        [
            "uapi: no conformance verdict: the session stopped before any test ran",
            "*uapi preflight: the target refused the token (401 *",
        ]
    )
    assert not (pytester.path / "out" / "report.json").exists()
