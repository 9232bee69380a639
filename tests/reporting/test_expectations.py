"""The expectations file: parsing, every mistake named with its fix, matching, stale and expired
entries, and the template written from a run's failures."""

from __future__ import annotations

import datetime as dt
import fnmatch
import tomllib

import pytest

from pytest_uapi.contract import load_contract
from pytest_uapi.reporting.expectations import (
    TEMPLATE_REASON,
    matching,
    parse,
    problems,
    short_id,
    template,
    toml_string,
)
from pytest_uapi.reporting.verdicts import TestRecord

CONTRACT = load_contract()
TODAY = dt.date(2026, 6, 1)
TEST_ID = "test_errors.py::test_error_code[Transfer-pc_sendcallto_invalid-missing]"
RID = "transfer.error.pc_sendcallto_invalid"

VALID = f"""
[[deviation]]
test = "pytest_uapi/suites/{TEST_ID}"
reason = "PBX-1234: sendCallTo validation lands in 5.2"
link = "https://tracker.example/PBX-1234"
expires = 2027-03-31

[[deviation]]
requirement = "{RID}"
reason = "PBX-1235"
"""


def test_a_valid_file() -> None:
    first, second = parse(VALID, CONTRACT)
    assert first.test == TEST_ID  # the directory part is dropped: it differs between installs
    assert first.expires == dt.date(2027, 3, 31)
    assert (
        first.explanation
        == "PBX-1234: sendCallTo validation lands in 5.2 (https://tracker.example/PBX-1234)"
    )
    assert (second.key, second.requirement, second.link, second.expires) == ("2", RID, None, None)
    assert parse("", CONTRACT) == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[deviation]]\ntest = 'a.py::b'\n", "deviation 1: reason is mandatory; say why*"),
        (
            "[[deviation]]\ntest = 'a.py::b'\nreason = 'x'\nowner = 'me'\n",
            "deviation 1: unknown key 'owner'; the keys are test, requirement, reason, link, "
            "expires",
        ),
        (
            "[[deviation]]\ntest = 'a.py::b'\nreason = 'x'\nexpires = '2027-03-31'\n",
            "deviation 1: expires '2027-03-31' is not a date; write it unquoted, "
            "expires = 2027-03-31",
        ),
        (
            "[[deviation]]\ntest = 'a.py::b'\nreason = 'x'\nexpires = 2027-03-31T10:00:00\n",
            "deviation 1: expires * is not a date*",
        ),
        (
            "[[deviation]]\nreason = 'x'\n",
            "deviation 1: give exactly one of test * or requirement *",
        ),
        (
            "[[deviation]]\ntest = 'a.py::b'\nrequirement = 'errors.body'\nreason = 'x'\n",
            "deviation 1: give exactly one of*",
        ),
        (
            "[[deviation]]\ntest = 'test_b'\nreason = 'x'\n",
            "deviation 1: test 'test_b' is not a test id*",
        ),
        (
            "[[deviation]]\nrequirement = 'transfer.sucess'\nreason = 'x'\n",
            "deviation 1: no requirement 'transfer.sucess' in the contract; did you mean "
            "'transfer.success'?",
        ),
        (
            f"[[deviation]]\nrequirement = 'errors.body'\nreason = '{TEMPLATE_REASON}'\n",
            "deviation 1: reason is still the template's TODO*",
        ),
        (
            "[[deviation]]\nrequirement = 'errors.body'\nreason = ' '\n",
            "deviation 1: reason must be*",
        ),
        ("[deviations]\n", "unknown key 'deviations'; the file holds only [[deviation]] entries"),
        ("deviation = 1\n", "deviation must be an array of tables*"),
        ("[[deviation]\n", "not valid TOML*"),
    ],
)
def test_mistakes_name_the_entry_the_key_and_the_fix(text: str, message: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        parse(text, CONTRACT)
    # only * is a wildcard here: the messages quote [[deviation]]
    assert fnmatch.fnmatchcase(str(excinfo.value), message.replace("[", "[[]")), excinfo.value


def test_matching_by_test_id_or_by_a_failed_requirement() -> None:
    by_test, by_requirement = parse(VALID, CONTRACT)
    nodeid = f"pytest_uapi/suites/{TEST_ID}"
    assert matching([by_test], nodeid, [], TODAY) == [by_test]
    assert matching([by_test], TEST_ID, [], TODAY) == [by_test]  # installed: no directory
    assert matching([by_test], nodeid.replace("missing", "letters"), [RID], TODAY) == []
    assert matching([by_requirement], "x.py::y", [RID], TODAY) == [by_requirement]
    assert matching([by_requirement], "x.py::y", ["errors.body"], TODAY) == []
    # an expired entry excuses nothing: the failure is back, and the entry fails the run
    assert matching([by_test], nodeid, [], dt.date(2027, 4, 1)) == []
    assert matching([by_test], nodeid, [], dt.date(2027, 3, 31)) == [by_test]


def _record(nodeid: str, call: str | None, requirements: tuple[str, ...] = ()) -> TestRecord:
    record = TestRecord(nodeid, requirements)
    record.phases = {"setup": "passed" if call else "skipped"}
    if call:
        record.phases["call"] = call
    return record


def test_stale_and_expired_entries() -> None:
    by_test, by_requirement = parse(VALID, CONTRACT)
    passed = _record(TEST_ID, "passed", (RID,))
    assert problems([by_test, by_requirement], [passed], TODAY) == [
        f"deviation 1 (test = {TEST_ID!r}) is stale: its tests ran and none failed as expected; "
        "remove the entry",
        f"deviation 2 (requirement = {RID!r}) is stale: its tests ran and none failed as "
        "expected; remove the entry",
    ]
    # not stale: its tests did not run (deselected, or skipped before their body)
    assert problems([by_test, by_requirement], [], TODAY) == []
    assert problems([by_test, by_requirement], [_record(TEST_ID, None, (RID,))], TODAY) == []
    # not stale: it excused a failure
    used = _record(TEST_ID, "xfailed", (RID,))
    used.deviations = ["1", "2"]
    assert problems([by_test, by_requirement], [used], TODAY) == []
    # expired, whatever ran
    assert problems([by_test], [used], dt.date(2028, 1, 1)) == [
        f"deviation 1 (test = {TEST_ID!r}) expired on 2027-03-31: fix the deviation, or renew "
        "or remove the entry"
    ]


def test_template_lists_failed_tests_and_reads_back() -> None:
    failed = _record('pytest_uapi/suites/test_x.py::test_y[a-"b"-\\-é]', "failed", (RID,))
    failed.failed_requirements = [RID]
    text = template([failed, _record("test_x.py::test_ok", "passed", (RID,))])
    entries = tomllib.loads(text)["deviation"]
    assert entries == [{"test": 'test_x.py::test_y[a-"b"-\\-é]', "reason": TEMPLATE_REASON}]
    assert f"# fails: {RID}" in text
    with pytest.raises(ValueError, match="still the template's TODO"):
        parse(text, CONTRACT)
    assert tomllib.loads(template([])) == {}


def test_toml_string_round_trips_awkward_text() -> None:
    for text in ['quote " and \\ backslash', "tab\tnewline\n", "del\x7f bell\x07", "emoji 😀"]:
        assert tomllib.loads(f"v = {toml_string(text)}")["v"] == text


def test_short_id() -> None:
    assert (
        short_id("pytest_uapi/suites/test_a.py::T::test_b[x/y::z]")
        == "test_a.py::T::test_b[x/y::z]"
    )
    assert short_id("test_a.py::test_b") == "test_a.py::test_b"
