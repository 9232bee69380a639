"""Regenerate docs/coverage.md: document -> section -> row -> requirements -> tests -> mutants.

    python -m tests.contract.coverage_doc

The tests behind each requirement come from collecting the shipped suite (its requirement
markers), the mutants from the reference server's fault catalogue; the untestable rows and their
reasons close the page.
"""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import pytest

from pytest_uapi.checking.marks import requirements_of
from pytest_uapi.contract import load_contract
from pytest_uapi.contract.coverage import load_coverage
from pytest_uapi.reference.faults import catalogue

DOC = Path(__file__).resolve().parents[2] / "docs" / "coverage.md"
SHOWN = 3


class _Collector:
    def __init__(self) -> None:
        self.tests: dict[str, list[str]] = defaultdict(list)

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            name = item.nodeid.rsplit("/", 1)[-1]
            for requirement in requirements_of(item):
                self.tests[requirement].append(name)


def suite_tests() -> dict[str, list[str]]:
    """Test ids of the shipped suite by the requirements they carry."""
    collector = _Collector()
    with tempfile.TemporaryDirectory() as where, contextlib.redirect_stdout(io.StringIO()):
        ini = Path(where) / "pytest.ini"
        ini.write_text("[pytest]\n", encoding="utf-8")  # none of the project's settings
        args = ["-c", str(ini), "--rootdir", where, "--uapi-url", "embedded", "--collect-only"]
        pytest.main([*args, "-q", "-p", "no:cacheprovider", "--assert=plain"], plugins=[collector])
    return dict(collector.tests)


def _some(names: list[str]) -> str:
    shown = [f"`{n}`" for n in names[:SHOWN]]
    if len(names) > SHOWN:
        shown.append(f"and {len(names) - SHOWN} more")
    return ", ".join(shown) or "none"


def render(tests: dict[str, list[str]]) -> str:
    contract = load_contract()
    coverage = load_coverage()
    mutants: dict[str, list[str]] = defaultdict(list)
    for fault in catalogue().values():
        mutants[fault.requirement].append(fault.name)
    summary = coverage.summary(r.id for r in contract.requirements)
    lines = [
        "# Coverage: the documents, row by row",
        "",
        "Every row of every table in the five documents, every example, every rule sentence of",
        "the prose, and every decision of decisions.md, traced to the requirements that test it,",
        "the suite's tests behind them and the mutants of the reference server that prove each",
        "test can fail; the rows no black-box test can check are listed at the end with the",
        "reason. The data is `pytest_uapi/contract/coverage.toml`; regenerate this page with",
        "`python -m tests.contract.coverage_doc`.",
        "",
        f"**{summary.line}**, by {len(contract.requirements)} requirements.",
        "",
    ]
    for document, entries in coverage.by_document().items():
        title = contract.documents[document].title
        lines += [f"## {document}: {title}", ""]
        lines += ["| section | row | requirements | tests | mutants |", "| --- " * 5 + "|"]
        for entry in entries:
            if not entry.testable:
                continue
            reqs = ", ".join(f"`{r}`" for r in entry.requirements)
            entry_tests = sorted({t for r in entry.requirements for t in tests.get(r, [])})
            entry_mutants = sorted({m for r in entry.requirements for m in mutants.get(r, [])})
            lines.append(
                f"| {entry.section} | {entry.row} | {reqs} | {_some(entry_tests)} | "
                f"{len(entry_mutants)} |"
            )
        lines.append("")
    lines += ["## Not testable black-box", "", "| row | document | why |", "| --- | --- | --- |"]
    for entry in coverage.entries:
        if not entry.testable:
            lines.append(f"| `{entry.id}`: {entry.row} | {entry.document} | {entry.untestable} |")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Write the page; with ``--check``, only say (exit 1) whether the checked-in one is stale."""
    text = render(suite_tests())
    if "--check" in (sys.argv[1:] if argv is None else argv):
        return 0 if DOC.read_text(encoding="utf-8") == text else 1
    DOC.write_text(text, encoding="utf-8")
    print(load_coverage().summary(r.id for r in load_contract().requirements).line)  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
