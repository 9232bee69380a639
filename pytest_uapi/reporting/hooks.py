"""The reporting hooks, registered by the plugin's entry point only when a target is given.

Where each part runs, so that ``-n 4`` and a plain run say the same:

- collection (every process): JUnit ``<property>`` entries from the requirement marker;
- ``makereport`` (the process that ran the test): evidence on the report, and an expected
  failure turned into an xfail;
- ``logreport``, ``sessionfinish``, ``terminal_summary`` (the controller, or the only process):
  verdicts, the stale and expired entries, the exit status, the files.

The exit status follows the verdict: a requirement of the selected tests left untested by a
skip makes an otherwise green run exit ``UNTESTED`` (10), unless ``--uapi-allow-untested``. It
is decided from the reports alone, like the verdicts, so ``-n 2`` exits as a plain run does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import pytest

from .. import parallel
from ..checking.marks import requirements_of
from ..contract import CATEGORIES, Contract, load_contract
from ..transport.redaction import mask
from . import environment, expectations, report_html, report_json
from .evidence import (
    EVIDENCE,
    exchange_record,
    failed_requirements,
    failing_index,
    failure_curl,
    junit_properties,
    new_exchanges,
)
from .verdicts import (
    DEVIATION,
    FAIL,
    NOT_TESTED,
    PASS,
    RequirementVerdict,
    TestRecord,
    judge,
    untested_selected,
    verdict_line,
)

if TYPE_CHECKING:
    from ..settings.resolve import Settings

TODAY_KEY = "uapi_today"
_EXCHANGES_SEEN = pytest.StashKey[int]()
_LISTED_NOT_TESTED = 10
"""Up to this many untested requirements are named in the summary; more are only counted."""
UNTESTED = 10
"""Exit status of a run in which no test failed but a requirement of the selected tests was not
tested. Not 6: pytest 9.2 took that for --max-warnings, and it numbers its own codes upwards from
0, so 10 stays clear of them; 1 would hide the difference between a server that failed a check and
a run that could not check everything."""
_PYTEST_STATUS = {
    2: "interrupted",
    3: "internal error",
    4: "usage error",
    5: "no tests collected",
    6: "too many warnings (--max-warnings)",
}


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class ReportingPlugin:
    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.contract: Contract = load_contract()
        self.is_worker = parallel.is_worker(config)
        # Workers judge expiry dates by the controller's day, not their own clock at midnight.
        today = parallel.from_controller(config, TODAY_KEY)
        self.today = dt.date.fromisoformat(str(today)) if today else dt.date.today()
        self.deviations: tuple[expectations.Deviation, ...] = ()
        if settings.expect is not None:
            try:
                self.deviations = expectations.load(settings.expect, self.contract)
            except ValueError as exc:
                raise pytest.UsageError(
                    f"{settings.where('expect')} {settings.expect}: {exc}"
                ) from None
        if not self.is_worker:
            _check_writable(settings)
            parallel.share(config, TODAY_KEY, self.today.isoformat())
        self.records: dict[str, TestRecord] = {}
        self.started = _now()
        self.problems: list[str] = []
        self.outputs: list[str] = []
        self.verdicts: tuple[RequirementVerdict, ...] | None = None
        self.untested: tuple[str, ...] = ()
        self.interrupted = False
        """pytest.exit (the preflight's stop) or Ctrl-C ended the session early."""

    # --- every process ---

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        profile = self.settings.contract_profile
        for item in items:
            item.user_properties += junit_properties(requirements_of(item), self.contract, profile)

    # --- the process that runs the test ---

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        # tryfirst makes this the outermost wrapper: it sees the report after the entry point
        # has rendered a CheckFailure and after pytest's own xfail handling.
        report = yield
        secrets = self.settings.secrets
        evidence: dict[str, Any] = {}
        if report.failed:
            exc = call.excinfo.value if call.excinfo is not None else None
            failed = failed_requirements(exc, requirements_of(item))
            evidence["failed"] = failed
            evidence["message"] = mask(str(report.longrepr), secrets)
            curl = failure_curl(exc, secrets)
            if curl:
                evidence["curl"] = curl
            self._expect(report, item.nodeid, failed, evidence)
        elif report.skipped and not hasattr(report, "wasxfail"):
            longrepr = report.longrepr
            reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
            evidence["message"] = mask(reason, secrets)
        if self.settings.report_dir is not None:
            seen = item.stash.get(_EXCHANGES_SEEN, 0)
            exchanges = new_exchanges(item, seen)
            item.stash[_EXCHANGES_SEEN] = seen + len(exchanges)
            if exchanges:
                evidence["exchanges"] = [exchange_record(x, secrets) for x in exchanges]
            if report.failed and call.excinfo is not None:
                index = failing_index(call.excinfo.value, exchanges)
                if index is not None:
                    evidence["failing_exchange"] = index
        if evidence:
            setattr(report, EVIDENCE, evidence)
        return report

    def _expect(
        self, report: pytest.TestReport, nodeid: str, failed: list[str], evidence: dict[str, Any]
    ) -> None:
        if self.config.option.runxfail:
            return  # --runxfail reports every xfail as the failure it is; so do we
        matches = expectations.matching(self.deviations, nodeid, failed, self.today)
        if not matches:
            return
        # pytest's own xfail form: "x" in the progress, XFAIL in -ra, <skipped> in JUnit
        report.outcome = "skipped"
        setattr(report, "wasxfail", f"expected deviation: {matches[0].explanation}")  # noqa: B010
        evidence["deviations"] = [d.key for d in matches]
        evidence["reason"] = matches[0].explanation

    # --- the controller ---

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.is_worker:
            return
        record = self.records.get(report.nodeid)
        if record is None:
            record = self.records[report.nodeid] = TestRecord(report.nodeid)
        record.absorb(report)

    def pytest_keyboard_interrupt(self) -> None:
        # pytest calls this for pytest.exit too: how the preflight stops a session
        self.interrupted = True

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.is_worker:
            return
        records = list(self.records.values())
        if self.interrupted and not records:
            # Stopped before any test (the preflight, a Ctrl-C during collection): there is
            # nothing to judge, and "0/75 ... NOT CONFORMANT" would bury the real error.
            return
        self.verdicts = judge(self.contract, records)
        self.problems = expectations.problems(self.deviations, records, self.today)
        if self.problems and session.exitstatus in (
            pytest.ExitCode.OK,
            pytest.ExitCode.NO_TESTS_COLLECTED,
        ):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        self.untested = untested_selected(self.verdicts, records)
        if self.untested and session.exitstatus == pytest.ExitCode.OK:
            # Only over a green run: a failure's 1 and pytest's own codes say more.
            if not self.settings.allow_untested:
                session.exitstatus = UNTESTED
        reason = self._exit_reason(int(session.exitstatus), records)
        if self.settings.write_expectations is not None:
            path = self.settings.write_expectations
            path.write_text(expectations.template(records), encoding="utf-8")
            count = sum(r.outcome == "failed" for r in records)
            self.outputs.append(f"expectations template written to {path} ({count} entries)")
        if self.settings.report_dir is not None:
            run = report_json.Run(
                target=self.settings.url,
                profile=self.settings.contract_profile,
                roles=self.settings.target.source,
                seed=self.settings.seed,
                started=self.started,
                finished=_now(),
                expectations=str(self.settings.expect) if self.settings.expect else None,
                environment=environment.collect(self.settings),
            )
            data = report_json.build(
                run,
                self.contract,
                self.verdicts,
                records,
                self.problems,
                int(session.exitstatus),
                reason,
                self.untested,
            )
            written = [
                report_json.write(self.settings.report_dir, data),
                report_html.write(self.settings.report_dir, data),
            ]
            self.outputs.append(f"report written to {', '.join(map(str, written))}")

    def _exit_reason(self, status: int, records: list[TestRecord]) -> str:
        """Why the run exits with ``status``, in one sentence (report.json, report.html)."""
        untested = len(self.untested)
        if status == pytest.ExitCode.TESTS_FAILED:
            failed = sum(r.outcome == "failed" for r in records)
            parts = [_plural(failed, "test") + " failed"] if failed else []
            if self.problems:
                parts.append(f"{_plural(len(self.problems), 'expectations problem')}")
            return "; ".join(parts) or "a test failed"
        if status == UNTESTED:
            return (
                f"{_plural(untested, 'requirement')} of the selected tests not tested "
                "(their tests were skipped)"
            )
        if status == pytest.ExitCode.OK:
            reason = "no test failed"
            if any(r.outcome == DEVIATION for r in records):
                reason += "; every failure was an expected deviation"
            if untested:
                where = self.settings.where("allow-untested")
                reason += f"; {_plural(untested, 'untested requirement')} allowed by {where}"
            return reason
        return f"pytest's own status: {_PYTEST_STATUS.get(status, 'see pytest')}"

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.is_worker:
            return
        verdicts = self.verdicts
        write = terminalreporter.write_line
        if verdicts is None:
            if self.interrupted:
                write("uapi: no conformance verdict: the session stopped before any test ran")
            return
        terminalreporter.write_sep("=", "UAPI conformance")
        if self.interrupted:
            write("the session was stopped early: the verdicts cover only the tests that ran")
        write(f"{'category':<12}{'pass':>6}{'fail':>6}{'expected deviation':>20}{'not tested':>12}")
        for category in CATEGORIES:
            inside = [v.verdict for v in verdicts if v.requirement.category == category]
            write(
                f"{category:<12}{inside.count(PASS):>6}{inside.count(FAIL):>6}"
                f"{inside.count(DEVIATION):>20}{inside.count(NOT_TESTED):>12}"
            )
        for verdict, label in ((FAIL, "failed"), (DEVIATION, "expected deviations")):
            ids = [v.requirement.id for v in verdicts if v.verdict == verdict]
            if ids:
                write(f"{label}: {', '.join(ids)}")
        untested = [v.requirement.id for v in verdicts if v.verdict == NOT_TESTED]
        if 0 < len(untested) <= _LISTED_NOT_TESTED:
            write(f"not tested: {', '.join(untested)}")
        elif untested:
            write(f"not tested: {len(untested)} requirements (--uapi-report lists them)")
        write(f"coverage: {report_json.coverage(verdicts).line}")
        if self.untested:
            named = ", ".join(self.untested[:_LISTED_NOT_TESTED])
            more = len(self.untested) - _LISTED_NOT_TESTED
            named += f" and {more} more" if more > 0 else ""
            if self.settings.allow_untested:
                write(
                    f"untested, allowed by {self.settings.where('allow-untested')}: "
                    f"{named} (their tests were skipped)"
                )
            else:
                write(
                    f"untested: {named}: their tests were skipped, so the run exits {UNTESTED}; "
                    "fix what the skip reasons name (-rs shows them), or pass "
                    "--uapi-allow-untested for an exploratory run",
                    red=True,
                )
        for problem in self.problems:
            write(f"expectations: {problem}", red=True)
        for line in self.outputs:
            write(f"uapi: {line}")
        line = verdict_line(self.settings.contract_profile, verdicts)
        conformant = line.endswith(": CONFORMANT")
        write(line, green=conformant, red=not conformant, bold=True)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _check_writable(settings: Settings) -> None:
    """Refuse an unusable output path before any test runs, not after a long run."""
    if settings.report_dir is not None:
        try:
            settings.report_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise pytest.UsageError(
                f"{settings.where('report')}: cannot create directory "
                f"{str(settings.report_dir)!r} ({reason}); pass a writable directory"
            ) from None
    target = settings.write_expectations
    if target is not None and (target.is_dir() or not target.parent.is_dir()):
        raise pytest.UsageError(
            f"{settings.where('write-expectations')}: cannot write {str(target)!r}; pass a file "
            "path in an existing directory"
        )
