"""Requirement verdicts and the verdict line, from test records alone."""

from __future__ import annotations

import pytest

from pytest_uapi.contract import CATEGORIES, load_contract
from pytest_uapi.reporting.verdicts import (
    DEVIATION,
    FAIL,
    NOT_TESTED,
    PASS,
    TestRecord,
    counts,
    judge,
    verdict_line,
)

CONTRACT = load_contract()
ALL = tuple(r.id for r in CONTRACT.requirements)


def record(
    nodeid: str,
    outcome: str,
    requirements: tuple[str, ...],
    failed: tuple[str, ...] = (),
    deviations: tuple[str, ...] = (),
) -> TestRecord:
    phase = {"expected-deviation": "xfailed"}.get(outcome, outcome)
    r = TestRecord(nodeid, requirements, failed_requirements=list(failed))
    r.deviations = list(deviations)
    r.phases = {"setup": "passed", "call": phase, "teardown": "passed"}
    if outcome == "skipped":
        r.phases = {"setup": "skipped"}
    return r


def verdicts_of(*records: TestRecord) -> dict[str, str]:
    return {v.requirement.id: v.verdict for v in judge(CONTRACT, records)}


def test_every_requirement_of_the_contract_gets_a_verdict() -> None:
    assert tuple(verdicts_of()) == ALL
    assert set(verdicts_of().values()) == {NOT_TESTED}


def test_a_failure_fails_only_the_requirements_it_names() -> None:
    carried = ("transfer.error.pc_sendcallto_invalid", "errors.body")
    verdicts = verdicts_of(
        record("a", "failed", carried, failed=("transfer.error.pc_sendcallto_invalid",)),
        record("b", "passed", ("errors.body",)),
    )
    assert verdicts["transfer.error.pc_sendcallto_invalid"] == FAIL
    assert verdicts["errors.body"] == PASS


def test_a_failed_test_proves_nothing_about_what_its_failure_does_not_name() -> None:
    verdicts = verdicts_of(
        record("a", "failed", ("transfer.success", "errors.body"), failed=("transfer.success",))
    )
    assert verdicts["errors.body"] == NOT_TESTED


def test_one_failure_outweighs_any_number_of_passes() -> None:
    verdicts = verdicts_of(
        record("a", "passed", ("transfer.success",)),
        record("b", "failed", ("transfer.success",), failed=("transfer.success",)),
        record("c", "passed", ("transfer.success",)),
    )
    assert verdicts["transfer.success"] == FAIL


@pytest.mark.parametrize("outcome", ["skipped", "xfailed", "xpassed"])
def test_skip_is_never_pass(outcome: str) -> None:
    assert verdicts_of(record("a", outcome, ("transfer.success",)))["transfer.success"] == (
        NOT_TESTED
    )


def test_expected_deviation_only_when_every_failure_was_expected() -> None:
    rid = "pickup.error.pc_timeout_invalid"
    expected = record("a", "expected-deviation", (rid,), failed=(rid,), deviations=("1",))
    assert verdicts_of(expected, record("b", "passed", (rid,)))[rid] == DEVIATION
    assert verdicts_of(expected, record("c", "failed", (rid,), failed=(rid,)))[rid] == FAIL


def test_requirements_list_the_tests_behind_them() -> None:
    verdicts = judge(
        CONTRACT,
        [
            record("a", "passed", ("transfer.success",)),
            record("b", "failed", ("errors.body",), failed=("transfer.success",)),
        ],
    )
    behind = {v.requirement.id: v.tests for v in verdicts}
    assert behind["transfer.success"] == ("a", "b")
    assert behind["errors.body"] == ("b",)


def test_verdict_line_and_counts() -> None:
    everything = [record(f"t{i}", "passed", (rid,)) for i, rid in enumerate(ALL)]
    verdicts = judge(CONTRACT, everything)
    total = len(ALL)
    assert verdict_line("default", verdicts) == (
        f"UAPI conformance (default profile): {total}/{total} requirements pass, 0 fail, "
        "0 not tested: CONFORMANT"
    )
    rid = "offhold.success"
    everything[ALL.index(rid)] = record("x", "expected-deviation", (rid,), (rid,), ("1",))
    verdicts = judge(CONTRACT, everything[1:])
    assert verdict_line("strict", verdicts) == (
        f"UAPI conformance (strict profile): {total - 2}/{total} requirements pass, 0 fail, "
        "1 expected deviation, 1 not tested: NOT CONFORMANT"
    )
    tallies = counts(verdicts)
    assert tallies["all"] == {PASS: total - 2, FAIL: 0, DEVIATION: 1, NOT_TESTED: 1}
    assert tallies["success"][NOT_TESTED] == 1  # make_call.success: the first requirement
    assert sum(tallies[c][PASS] for c in CATEGORIES) == (total - 2)


def test_the_report_schema_names_every_category() -> None:
    from pytest_uapi.reporting.report_json import schema

    counts = schema()["properties"]["counts"]
    assert counts["required"] == ["all", *CATEGORIES]
    assert set(counts["properties"]) == {"all", *CATEGORIES}
