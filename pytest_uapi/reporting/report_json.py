"""``report.json``: the run as data, for auditors and tools; ``report.html`` is drawn from it.

Its shape is ``report.schema.json`` (shipped beside this module); ``schema_version`` changes when
a field changes meaning or goes away, not when one is added.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..contract import Contract
from ..contract.coverage import Summary, load_coverage
from .environment import collect
from .verdicts import (
    NOT_TESTED,
    RequirementVerdict,
    TestRecord,
    counts,
    is_conformant,
    verdict_line,
)

SCHEMA_VERSION = 1
FILE_NAME = "report.json"


@dataclass(frozen=True)
class Run:
    """What the run was: everything in the report but the results."""

    target: str
    profile: str
    roles: str
    seed: int
    started: str
    finished: str
    expectations: str | None = None
    environment: Mapping[str, Any] = field(default_factory=dict)
    """``environment.collect(settings)``: Python, platform, versions, the options used."""


def suite_version() -> str:
    try:
        from .. import __version__
    except ImportError:
        # some editable installs load the package as a namespace, without its __init__
        from importlib.metadata import version

        return version("pytest-uapi")
    return __version__


def strip_credentials(url: str) -> str:
    """The URL without any user:password@ (the option refuses them, but a report must never
    carry one even if that changes)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc))


def coverage(verdicts: Iterable[RequirementVerdict]) -> Summary:
    """How many documented rows the run tested: those whose requirements all got a verdict."""
    return load_coverage().summary(v.requirement.id for v in verdicts if v.verdict != NOT_TESTED)


def _coverage(summary: Summary) -> dict[str, Any]:
    return {
        "line": summary.line,
        "rows": summary.rows,
        "tested": summary.tested,
        "untestable": summary.untestable,
        "untested": list(summary.untested),
    }


def _requirement(v: RequirementVerdict, contract: Contract) -> dict[str, Any]:
    r = v.requirement
    return {
        "id": r.id,
        "category": r.category,
        "title": r.title,
        "decision": r.decision,
        "document": r.document,
        "row": r.row,
        "source": r.reference(contract),
        "operations": list(r.operations),
        "verdict": v.verdict,
        "tests": list(v.tests),
    }


def _test(record: TestRecord) -> dict[str, Any]:
    return {
        "nodeid": record.nodeid,
        "outcome": record.outcome,
        "duration": round(record.duration, 6),
        "requirements": list(record.requirements),
        "failed_requirements": list(record.failed_requirements),
        "message": record.message,
        "curl": record.curl,
        "deviation": record.deviation_reason,
        "exchanges": record.exchanges,
        "failing_exchange": record.failing_exchange,
    }


def build(
    run: Run,
    contract: Contract,
    verdicts: Sequence[RequirementVerdict],
    records: Iterable[TestRecord],
    problems: Sequence[str],
    exit_status: int,
    exit_reason: str = "",
    untested_selected: Sequence[str] = (),
) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "suite_version": suite_version(),
        "contract": {"name": contract.name, "version": contract.version},
        "contract_digest": contract.digest,
        "target": strip_credentials(run.target),
        "profile": run.profile,
        "roles": run.roles,
        "seed": run.seed,
        "started": run.started,
        "finished": run.finished,
        "verdict": "CONFORMANT" if is_conformant(verdicts) else "NOT CONFORMANT",
        "summary": verdict_line(run.profile, verdicts),
        "exit_status": exit_status,
        "exit_reason": exit_reason,
        "untested_selected": list(untested_selected),
        "counts": counts(verdicts),
        "coverage": _coverage(coverage(verdicts)),
        "expectations": {"file": run.expectations, "problems": list(problems)},
        "environment": dict(run.environment) or collect(None),
        "requirements": [_requirement(v, contract) for v in verdicts],
        "tests": [_test(r) for r in records],
    }


def write(directory: Path, report: dict[str, Any]) -> Path:
    path = directory / FILE_NAME
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def schema() -> dict[str, Any]:
    """The JSON Schema of ``report.json``."""
    text = resources.files(__package__).joinpath("report.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded
