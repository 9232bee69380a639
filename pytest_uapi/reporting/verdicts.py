"""What a run says about each requirement of the contract, from the tests' reports alone.

A requirement's verdict, over every requirement of the contract:

- **fail**: a failed test's failure names it (a ``CheckFailure``'s requirements, or the test's
  first marker requirement for any other failure);
- **expected-deviation**: every failure naming it was an expected deviation (``--uapi-expect``);
- **pass**: not failed, and at least one test carrying it in its marker passed;
- **not-tested**: anything else. Skipped, deselected and xfailed tests prove nothing: a skip is
  never a pass, so a run with an untested requirement is not conformant.

Only reports go in (``TestRecord.absorb``), never items or exceptions: under xdist the controller
sees nothing else, and the summary must not depend on how the run was spread.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from ..contract import CATEGORIES, Contract, Requirement
from .evidence import EVIDENCE, REQUIREMENT_PROPERTY

PASS = "pass"
FAIL = "fail"
DEVIATION = "expected-deviation"
NOT_TESTED = "not-tested"
VERDICTS = (PASS, FAIL, DEVIATION, NOT_TESTED)
WORST_FIRST = (FAIL, DEVIATION, NOT_TESTED, PASS)
"""A matrix cell shows the worst verdict among its requirements."""


@dataclass
class TestRecord:
    """One test as the controller saw it: its phases' reports folded together."""

    # pytest would otherwise try to collect this class from modules that import it
    __test__ = False

    nodeid: str
    requirements: tuple[str, ...] = ()
    """The ids of its ``uapi_requirement`` marker, primary first."""
    phases: dict[str, str] = field(default_factory=dict)
    """setup/call/teardown → passed, failed, skipped, xfailed or xpassed."""
    failed_requirements: list[str] = field(default_factory=list)
    deviations: list[str] = field(default_factory=list)
    """Keys of the expected-deviation entries that excused its failure."""
    deviation_reason: str | None = None
    message: str | None = None
    curl: str | None = None
    duration: float = 0.0
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    failing_exchange: int | None = None
    """Index in ``exchanges`` of the exchange the failure shows (the one its curl line replays)."""

    def absorb(self, report: pytest.TestReport) -> None:
        if not self.requirements:
            self.requirements = tuple(
                str(value) for name, value in report.user_properties if name == REQUIREMENT_PROPERTY
            )
        wasxfail = hasattr(report, "wasxfail")
        if report.skipped and wasxfail:
            phase = "xfailed"
        elif report.passed and wasxfail:
            phase = "xpassed"
        else:
            phase = report.outcome
        self.phases[report.when] = phase
        self.duration += report.duration
        evidence: Mapping[str, Any] = getattr(report, EVIDENCE, None) or {}
        for requirement_id in evidence.get("failed", ()):
            if requirement_id not in self.failed_requirements:
                self.failed_requirements.append(requirement_id)
        self.deviations += [k for k in evidence.get("deviations", ()) if k not in self.deviations]
        if self.message is None and evidence.get("message"):
            self.message = str(evidence["message"])
        if self.curl is None and evidence.get("curl"):
            self.curl = str(evidence["curl"])
        if evidence.get("reason") and self.deviation_reason is None:
            self.deviation_reason = str(evidence["reason"])
        index = evidence.get("failing_exchange")
        if self.failing_exchange is None and isinstance(index, int):
            # the worker counted within this phase's exchanges; the record holds every phase's
            self.failing_exchange = len(self.exchanges) + index
        self.exchanges += list(evidence.get("exchanges", ()))

    @property
    def outcome(self) -> str:
        """passed, failed, skipped, xfailed, xpassed or expected-deviation (worst phase wins)."""
        outcomes = set(self.phases.values())
        if "failed" in outcomes:
            return "failed"
        if "xfailed" in outcomes:
            return DEVIATION if self.deviations else "xfailed"
        if "skipped" in outcomes:
            return "skipped"
        if "xpassed" in outcomes:
            return "xpassed"
        return "passed" if self.phases.get("call") == "passed" else "skipped"

    @property
    def ran(self) -> bool:
        """Whether its body ran (or its setup failed): a deselected or skipped test did not."""
        return "call" in self.phases or self.phases.get("setup") in ("failed", "xfailed")


@dataclass(frozen=True)
class RequirementVerdict:
    requirement: Requirement
    verdict: str
    tests: tuple[str, ...]
    """Node ids of the tests that carry it or whose failure names it."""


def judge(contract: Contract, records: Iterable[TestRecord]) -> tuple[RequirementVerdict, ...]:
    """The verdict of every requirement of the contract, in contract order."""
    failed: set[str] = set()
    deviated: set[str] = set()
    passed: set[str] = set()
    tests: dict[str, list[str]] = {r.id: [] for r in contract.requirements}
    for record in records:
        outcome = record.outcome
        if outcome == "failed":
            failed.update(record.failed_requirements)
        elif outcome == DEVIATION:
            deviated.update(record.failed_requirements)
        elif outcome == "passed":
            passed.update(record.requirements)
        for requirement_id in (*record.requirements, *record.failed_requirements):
            behind = tests.get(requirement_id)
            if behind is not None and record.nodeid not in behind:
                behind.append(record.nodeid)

    def verdict(requirement_id: str) -> str:
        if requirement_id in failed:
            return FAIL
        if requirement_id in deviated:
            return DEVIATION
        return PASS if requirement_id in passed else NOT_TESTED

    return tuple(
        RequirementVerdict(r, verdict(r.id), tuple(tests[r.id])) for r in contract.requirements
    )


def untested_selected(
    verdicts: Iterable[RequirementVerdict], records: Iterable[TestRecord]
) -> tuple[str, ...]:
    """The requirements of the selected tests that were not tested because a test of theirs was
    skipped: what makes a run exit ``UNTESTED`` (a gate must not pass what the verdict refuses).

    The selected set is read from the reports, so a run spread over xdist workers decides the
    same: a deselected test (``-k``, ``--uapi-requirement``) sends no report, so requirements
    whose tests were all deselected are not part of it. A requirement left untested only because
    its tests failed or were expected deviations is not counted here: the failure already fails
    the run, and the expectations file accounts for the deviation.
    """
    skipped = {rid for r in records if r.outcome == "skipped" for rid in r.requirements}
    return tuple(
        v.requirement.id
        for v in verdicts
        if v.verdict == NOT_TESTED and v.requirement.id in skipped
    )


def tally(verdicts: Iterable[RequirementVerdict]) -> dict[str, int]:
    counts = dict.fromkeys(VERDICTS, 0)
    for v in verdicts:
        counts[v.verdict] += 1
    return counts


def counts(verdicts: Sequence[RequirementVerdict]) -> dict[str, dict[str, int]]:
    """Verdict counts over all requirements (``all``) and per category."""
    result = {"all": tally(verdicts)}
    for category in CATEGORIES:
        result[category] = tally(v for v in verdicts if v.requirement.category == category)
    return result


def is_conformant(verdicts: Sequence[RequirementVerdict]) -> bool:
    return bool(verdicts) and all(v.verdict == PASS for v in verdicts)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def verdict_line(profile: str, verdicts: Sequence[RequirementVerdict]) -> str:
    """E.g. ``UAPI conformance (default profile): 72/75 requirements pass, 3 fail, 0 not
    tested: NOT CONFORMANT``; expected deviations are counted only when there are any."""
    c = tally(verdicts)
    parts = [f"{c[PASS]}/{len(verdicts)} requirements pass", f"{c[FAIL]} fail"]
    if c[DEVIATION]:
        parts.append(_plural(c[DEVIATION], "expected deviation"))
    parts.append(f"{c[NOT_TESTED]} not tested")
    verdict = "CONFORMANT" if is_conformant(verdicts) else "NOT CONFORMANT"
    return f"UAPI conformance ({profile} profile): {', '.join(parts)}: {verdict}"
