"""The reporting hooks, registered by the plugin's entry point only when a target is given.

Where each part runs, so that ``-n 4`` and a plain run say the same:

- collection (every process): JUnit ``<property>`` entries from the requirement marker;
- ``makereport`` (the process that ran the test): evidence on the report, and an expected
  failure turned into an xfail;
- ``logreport``, ``sessionfinish``, ``terminal_summary`` (the controller, or the only process):
  verdicts, the stale and expired entries, the exit status, the files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import pytest

from ..contract import CATEGORIES, Contract, load_contract
from . import expectations, report_html, report_json
from .evidence import (
    EVIDENCE,
    exchange_record,
    failed_requirements,
    failure_curl,
    junit_properties,
    marker_requirements,
    mask,
    new_exchanges,
)
from .settings import check_writable, resolve_reporting
from .verdicts import (
    DEVIATION,
    FAIL,
    NOT_TESTED,
    PASS,
    RequirementVerdict,
    TestRecord,
    judge,
    verdict_line,
)

if TYPE_CHECKING:
    from ..options import Settings

TODAY_KEY = "uapi_today"
_EXCHANGES_SEEN = pytest.StashKey[int]()
_LISTED_NOT_TESTED = 10
"""Up to this many untested requirements are named in the summary; more are only counted."""


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class _XdistToday:
    """Workers judge expiry dates by the controller's day, not their own clock at midnight."""

    def __init__(self, today: dt.date) -> None:
        self.today = today

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[TODAY_KEY] = self.today.isoformat()


class ReportingPlugin:
    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.contract: Contract = load_contract()
        self.options = resolve_reporting(config)
        workerinput = getattr(config, "workerinput", None)
        self.is_worker = workerinput is not None
        if isinstance(workerinput, dict) and TODAY_KEY in workerinput:
            self.today = dt.date.fromisoformat(str(workerinput[TODAY_KEY]))
        else:
            self.today = dt.date.today()
        self.deviations: tuple[expectations.Deviation, ...] = ()
        if self.options.expect is not None:
            try:
                self.deviations = expectations.load(self.options.expect, self.contract)
            except ValueError as exc:
                where = self.options.where("expect")
                raise pytest.UsageError(f"{where} {self.options.expect}: {exc}") from None
        if not self.is_worker:
            check_writable(self.options)
            if config.pluginmanager.hasplugin("xdist"):
                config.pluginmanager.register(_XdistToday(self.today), "uapi-reporting-xdist")
        self.records: dict[str, TestRecord] = {}
        self.started = _now()
        self.problems: list[str] = []
        self.outputs: list[str] = []
        self.verdicts: tuple[RequirementVerdict, ...] | None = None

    # --- every process ---

    def pytest_report_header(self) -> list[str]:
        header = self.options.header()
        return [header] if header else []

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        profile = self.settings.contract_profile
        for item in items:
            item.user_properties += junit_properties(
                marker_requirements(item), self.contract, profile
            )

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
            failed = failed_requirements(exc, marker_requirements(item))
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
        if self.options.report_dir is not None:
            seen = item.stash.get(_EXCHANGES_SEEN, 0)
            exchanges = new_exchanges(item, seen)
            item.stash[_EXCHANGES_SEEN] = seen + len(exchanges)
            if exchanges:
                evidence["exchanges"] = [exchange_record(x, secrets) for x in exchanges]
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

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.is_worker:
            return
        records = list(self.records.values())
        self.verdicts = judge(self.contract, records)
        self.problems = expectations.problems(self.deviations, records, self.today)
        if self.problems and session.exitstatus in (
            pytest.ExitCode.OK,
            pytest.ExitCode.NO_TESTS_COLLECTED,
        ):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if self.options.write_expectations is not None:
            path = self.options.write_expectations
            path.write_text(expectations.template(records), encoding="utf-8")
            count = sum(r.outcome == "failed" for r in records)
            self.outputs.append(f"expectations template written to {path} ({count} entries)")
        if self.options.report_dir is not None:
            run = report_json.Run(
                target=self.settings.url,
                profile=self.settings.contract_profile,
                roles=self.settings.target.source,
                seed=self.settings.seed,
                started=self.started,
                finished=_now(),
                expectations=str(self.options.expect) if self.options.expect else None,
            )
            data = report_json.build(
                run, self.contract, self.verdicts, records, self.problems, int(session.exitstatus)
            )
            written = [
                report_json.write(self.options.report_dir, data),
                report_html.write(self.options.report_dir, data),
            ]
            self.outputs.append(f"report written to {', '.join(map(str, written))}")

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        verdicts = self.verdicts
        if self.is_worker or verdicts is None:
            return
        write = terminalreporter.write_line
        terminalreporter.write_sep("=", "UAPI conformance")
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
        for problem in self.problems:
            write(f"expectations: {problem}", red=True)
        for line in self.outputs:
            write(f"uapi: {line}")
        line = verdict_line(self.settings.contract_profile, verdicts)
        conformant = line.endswith(": CONFORMANT")
        write(line, green=conformant, red=not conformant, bold=True)
