"""The reporting through pytest: summary, exit status, report.json, JUnit properties, expected
deviations and xdist, against the reference server and a copy of it that fails a few checks."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pytest_uapi.contract import CATEGORIES, load_contract
from pytest_uapi.contract.coverage import load_coverage
from pytest_uapi.reporting.report_json import schema

CONTRACT = load_contract()
TOKEN = "sandbox-token-12"
TOTAL = len(CONTRACT.requirements)
# The Transfer tests of one code fail (wrong code, one per cause of its row); the plain success
# tests pass, one per operation; everything else is deselected. Every figure below is derived
# from the contract data, so that adding a requirement or a cause is a data change only.
SUBSET = ["-k", "Transfer-pc_sendcallto_invalid or test_success_status"]
FAILING = "transfer.error.pc_sendcallto_invalid"
FAILED = len(CONTRACT.requirement(FAILING).causes)
PASSED = len(CONTRACT.operations)
UNTESTED = TOTAL - PASSED - 1


def _row(category: str) -> str:
    inside = len(CONTRACT.by_category(category))
    passed = PASSED if category == "success" else 0
    failed = 1 if category == "error" else 0
    return f"{category:<12}{passed:>6}{failed:>6}{0:>20}{inside - passed - failed:>12}"


SUMMARY = [
    "*= UAPI conformance =*",
    "category      pass  fail  expected deviation  not tested",
    *(_row(category) for category in CATEGORIES),
    f"failed: {FAILING}",
    f"not tested: {UNTESTED} requirements (--uapi-report lists them)",
]
LINE = (
    f"UAPI conformance (default profile): {PASSED}/{TOTAL} requirements pass, 1 fail, "
    f"{UNTESTED} not tested: NOT CONFORMANT"
)


def run_broken(pytester: pytest.Pytester, url: str, *args: str) -> pytest.RunResult:
    return pytester.runpytest_inprocess(
        "--uapi-url", url, "--uapi-token", TOKEN, "-p", "no:cacheprovider", *SUBSET, *args
    )


def load_report(directory: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((directory / "report.json").read_text("utf-8"))
    jsonschema.validate(report, schema(), format_checker=jsonschema.FormatChecker())
    return report


def test_a_failing_run(pytester: pytest.Pytester, broken_url: str) -> None:
    result = run_broken(pytester, broken_url, "--uapi-report", "out")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=PASSED, failed=FAILED)
    result.stdout.fnmatch_lines(["uapi: report */out (from option)"])
    result.stdout.fnmatch_lines([*SUMMARY, "uapi: report written to */report.json, */report.html"])
    result.stdout.fnmatch_lines([LINE])

    report = load_report(pytester.path / "out")
    text = (pytester.path / "out" / "report.json").read_text() + (
        pytester.path / "out" / "report.html"
    ).read_text()
    assert TOKEN not in text
    assert report["target"] == broken_url
    assert report["contract_digest"] == CONTRACT.digest
    assert report["verdict"] == "NOT CONFORMANT" and report["summary"] == LINE
    assert report["exit_status"] == 1
    assert report["started"] <= report["finished"]
    verdicts = {r["id"]: r for r in report["requirements"]}
    assert len(verdicts) == TOTAL
    assert verdicts[FAILING]["verdict"] == "fail"
    assert len(verdicts[FAILING]["tests"]) == FAILED
    assert verdicts["transfer.success"]["verdict"] == "pass"
    # carried only by the failing tests, whose failures name another requirement: not proven
    assert verdicts["errors.body"]["verdict"] == "not-tested"
    assert report["counts"]["all"] == {
        "pass": PASSED,
        "fail": 1,
        "expected-deviation": 0,
        "not-tested": UNTESTED,
    }

    tests = {t["nodeid"].rsplit("/", 1)[-1]: t for t in report["tests"]}
    assert len(tests) == PASSED + FAILED
    failed = tests["test_errors.py::test_error_code[Transfer-pc_sendcallto_invalid-letters]"]
    assert failed["outcome"] == "failed"
    assert failed["failed_requirements"] == [FAILING]
    assert failed["requirements"] == [FAILING, "errors.body", "errors.no_side_effects"]
    assert "Wrong error code" in failed["message"] and "Received: wrong_code" in failed["message"]
    assert failed["curl"].startswith("curl -X PUT -H 'Authorization: Bearer ***'")
    exchanges = failed["exchanges"]
    assert [x["method"] for x in exchanges[:2]] == ["POST", "GET"]  # the call being prepared
    refused = next(x for x in exchanges if x["method"] == "PUT")
    assert refused["status"] == 400
    assert refused["request_headers"]["authorization"] == "Bearer ***"
    assert json.loads(refused["response_body"])["error"]["code"] == "wrong_code"
    assert exchanges[-1]["method"] == "DELETE"  # teardown's hang-up is evidence too
    # the exchange the failure shows is the one its curl line replays
    assert exchanges[failed["failing_exchange"]] is refused
    assert verdicts[FAILING]["source"] == (
        "D11; 001 (PUT action Transfer): Failure: 400 pc_sendcallto_invalid"
    )
    assert report["exit_reason"] == f"{FAILED} tests failed" and report["untested_selected"] == []
    tested = {r["id"] for r in report["requirements"] if r["verdict"] != "not-tested"}
    coverage = load_coverage().summary(tested)
    assert report["coverage"] == {
        "line": coverage.line,
        "rows": coverage.rows,
        "tested": coverage.tested,
        "untestable": coverage.untestable,
        "untested": list(coverage.untested),
    }
    result.stdout.fnmatch_lines([f"coverage: {report['coverage']['line']}"])
    environment = report["environment"]
    assert environment["packages"]["pytest"] == pytest.__version__
    assert set(environment["packages"]) >= {"httpx", "jsonschema", "faker", "pytest-xdist"}
    options = {o["name"]: o for o in environment["options"]}
    assert options["token"] == {
        "name": "token",
        "option": "--uapi-token",
        "value": "***",
        "source": "option",
    }
    assert options["url"]["value"] == broken_url and options["timeout"]["source"] == "default"
    passed = tests["test_success.py::test_success_status[Transfer]"]
    assert passed["outcome"] == "passed" and passed["message"] is None and passed["exchanges"]


@pytest.mark.slow
def test_a_conformant_run_and_its_junit_properties(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess(
        "--uapi-url",
        "embedded",
        "-p",
        "no:cacheprovider",
        "--junitxml=junit.xml",
        "--uapi-report=out",
    )
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "*= UAPI conformance =*",
            "category      pass  fail  expected deviation  not tested",
            f"security    {len(CONTRACT.by_category('security')):>6}     0                   0"
            "           0",
            "uapi: report written to *",
            f"UAPI conformance (default profile): {TOTAL}/{TOTAL} requirements pass, 0 fail, "
            "0 not tested: CONFORMANT",
        ]
    )
    report = load_report(pytester.path / "out")
    assert report["verdict"] == "CONFORMANT" and report["target"] == "embedded"
    assert {r["verdict"] for r in report["requirements"]} == {"pass"}

    cases = ET.parse(pytester.path / "junit.xml").getroot().iter("testcase")
    properties = {
        f"{case.get('classname')}::{case.get('name')}": [
            (p.get("name"), p.get("value")) for p in case.iter("property")
        ]
        for case in cases
    }
    key = next(
        k for k in properties if k.endswith("test_error_code[PickUp-pc_timeout_invalid-zero]")
    )
    assert properties[key] == [
        ("uapi.requirement", "pickup.error.pc_timeout_invalid"),
        ("uapi.requirement", "errors.body"),
        ("uapi.requirement", "errors.no_side_effects"),
        ("uapi.document", "002"),
        ("uapi.decision", "D13"),
        ("uapi.profile", "default"),
    ]
    assert all(("uapi.profile", "default") in p for p in properties.values())
    assert len(properties) == len(report["tests"])


@pytest.mark.slow
def test_xdist_gives_the_same_verdicts(pytester: pytest.Pytester, broken_url: str) -> None:
    result = pytester.runpytest_subprocess(
        "--uapi-url", broken_url, "--uapi-token", TOKEN, "-p", "no:cacheprovider",
        "-p", "no:benchmark", *SUBSET, "-n", "2", "--uapi-report", "out",
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([*SUMMARY, "*", LINE])
    report = load_report(pytester.path / "out")
    failed = [t for t in report["tests"] if t["outcome"] == "failed"]
    assert len(failed) == FAILED
    # the evidence crossed from the workers: requirement ids, message, curl, exchanges
    assert all(t["failed_requirements"] == [FAILING] for t in failed)
    assert all(t["exchanges"] and t["curl"] and "wrong_code" in t["message"] for t in failed)


def _fill_reasons(path: Path, extra: str = "") -> None:
    text = path.read_text().replace("TODO: why this deviation is expected", "PBX-1: known gap")
    path.write_text(text + extra)


def test_expected_deviations_gate_on_regressions(
    pytester: pytest.Pytester, broken_url: str
) -> None:
    written = run_broken(pytester, broken_url, "--uapi-write-expectations", "expect.toml")
    assert written.ret == pytest.ExitCode.TESTS_FAILED
    written.stdout.fnmatch_lines(
        [f"uapi: expectations template written to *expect.toml ({FAILED} entries)"]
    )
    expect = pytester.path / "expect.toml"
    # a file still holding the template's reasons excuses nothing: it is refused
    refused = run_broken(pytester, broken_url, "--uapi-expect", "expect.toml")
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    _fill_reasons(
        expect,
        # a deselected test's entry is not stale: nothing showed it is fixed
        '\n[[deviation]]\ntest = "test_flow.py::test_effect[PickUp]"\nreason = "PBX-2"\n',
    )

    result = run_broken(
        pytester, broken_url, "--uapi-expect", "expect.toml", "-rx", "--uapi-report=out"
    )
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(passed=PASSED, xfailed=FAILED)
    result.stdout.fnmatch_lines(
        [
            "XFAIL *test_errors.py::test_error_code[[]Transfer-pc_sendcallto_invalid-empty] - "
            "expected deviation: PBX-1: known gap"
        ]
    )
    result.stdout.fnmatch_lines(
        [
            f"expected deviations: {FAILING}",
            f"UAPI conformance (default profile): {PASSED}/{TOTAL} requirements pass, 0 fail, "
            f"1 expected deviation, {UNTESTED} not tested: NOT CONFORMANT",
        ]
    )
    report = load_report(pytester.path / "out")
    assert {r["id"]: r["verdict"] for r in report["requirements"]}[FAILING] == "expected-deviation"
    deviated = [t for t in report["tests"] if t["outcome"] == "expected-deviation"]
    assert len(deviated) == FAILED and {t["deviation"] for t in deviated} == {"PBX-1: known gap"}

    # a deviation that no longer happens, and one past its date, each fail the run
    expect.write_text(
        expect.read_text()
        + '\n[[deviation]]\nrequirement = "transfer.success"\nreason = "PBX-3"\n'
        + '\n[[deviation]]\nrequirement = "offhold.success"\nreason = "PBX-4"\n'
        + "expires = 2020-01-31\n"
    )
    result = run_broken(pytester, broken_url, "--uapi-expect", "expect.toml")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=PASSED, xfailed=FAILED)
    # numbered after the template's entries and the deselected test's entry
    stale, expired = FAILED + 2, FAILED + 3
    result.stdout.fnmatch_lines(
        [
            f"expectations: deviation {stale} (requirement = 'transfer.success') is stale: its "
            "tests ran and none failed as expected; remove the entry",
            f"expectations: deviation {expired} (requirement = 'offhold.success') expired on "
            "2020-01-31: fix the deviation, or renew or remove the entry",
        ]
    )


def test_an_expired_entry_excuses_nothing(pytester: pytest.Pytester, broken_url: str) -> None:
    pytester.makefile(
        ".toml",
        expect=f'[[deviation]]\nrequirement = "{FAILING}"\nreason = "PBX-1"\n'
        "expires = 2020-01-31\n",
    )
    result = run_broken(pytester, broken_url, "--uapi-expect", "expect.toml")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=PASSED, failed=FAILED)
    result.stdout.fnmatch_lines(["expectations: deviation 1 * expired on 2020-01-31*", LINE])


@pytest.mark.parametrize(
    ("files", "args", "error"),
    [
        (
            {"expect.toml": "[[deviation]]\ntest = 'a.py::b'\n"},
            ["--uapi-expect", "expect.toml"],
            "ERROR: --uapi-expect */expect.toml: deviation 1: reason is mandatory; say why the "
            "deviation is expected",
        ),
        (
            {},
            ["--uapi-expect", "missing.toml"],
            "ERROR: --uapi-expect */missing.toml: cannot read '*missing.toml' (No such file or "
            "directory); pass a TOML file",
        ),
        (
            {"taken": "a file"},
            ["--uapi-report", "taken"],
            "ERROR: --uapi-report: cannot create directory '*taken' (File exists); pass a "
            "writable directory",
        ),
        (
            {},
            ["--uapi-write-expectations", "nowhere/expect.toml"],
            "ERROR: --uapi-write-expectations: cannot write '*nowhere/expect.toml'; pass a file "
            "path in an existing directory",
        ),
    ],
    ids=["missing-reason", "unreadable", "report-dir-is-a-file", "no-such-directory"],
)
def test_configuration_mistakes_are_usage_errors(
    pytester: pytest.Pytester, files: dict[str, str], args: list[str], error: str
) -> None:
    for name, text in files.items():
        (pytester.path / name).write_text(text)
    result = pytester.runpytest_inprocess("--uapi-url", "embedded", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([error])


def test_settings_from_env_and_ini(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini("[pytest]\nuapi_report = from-ini\n")
    monkeypatch.setenv("UAPI_EXPECT", "nowhere.toml")
    result = pytester.runpytest_inprocess("--uapi-url", "embedded")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: UAPI_EXPECT */nowhere.toml: cannot read*"])

    monkeypatch.delenv("UAPI_EXPECT")
    result = pytester.runpytest_inprocess("--uapi-url", "embedded", "-k", "test_success_status")
    result.stdout.fnmatch_lines([f"uapi: report {pytester.path / 'from-ini'} (from ini)"])
    assert (pytester.path / "from-ini" / "report.html").is_file()


def test_nothing_without_a_target(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain():\n    assert True\n")
    result = pytester.runpytest_inprocess("--uapi-report", "out", "--uapi-expect", "missing.toml")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.no_fnmatch_line("*UAPI conformance*")
    assert not (pytester.path / "out").exists()
