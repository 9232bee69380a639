"""The coverage map is traceable: every entry quotes its document, names known requirements (or
says why it cannot be tested), and every requirement traces back to at least one entry."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_uapi.contract import load_contract
from pytest_uapi.contract.coverage import Entry, load_coverage

SPEC = Path(__file__).resolve().parents[2].parent / "shared" / "spec"
CONTRACT = load_contract()
COVERAGE = load_coverage()


def _collapsed(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("entry", COVERAGE.entries, ids=lambda e: e.id)
def test_entry_names_known_requirements(entry: Entry) -> None:
    known = {r.id for r in CONTRACT.requirements}
    assert set(entry.requirements) <= known


@pytest.mark.parametrize("entry", COVERAGE.entries, ids=lambda e: e.id)
def test_entry_quotes_its_document(entry: Entry) -> None:
    document = CONTRACT.documents[entry.document]
    path = SPEC / document.file
    if not path.exists():
        pytest.skip(f"the source documents are not beside the checkout ({SPEC})")
    text = _collapsed(path.read_text(encoding="utf-8"))
    assert _collapsed(entry.quote) in text


def test_every_requirement_traces_to_a_documented_row() -> None:
    traced = {r for entry in COVERAGE.entries for r in entry.requirements}
    untraced = [r.id for r in CONTRACT.requirements if r.id not in traced]
    assert not untraced, f"requirements no coverage entry names: {untraced}"


def test_untestable_entries_say_why() -> None:
    for entry in COVERAGE.entries:
        if not entry.testable:
            assert entry.untestable and len(entry.untestable) > 20, entry.id


def test_the_coverage_page_is_current() -> None:
    """docs/coverage.md is generated from the data; a stale copy says how to regenerate it."""
    root = Path(__file__).resolve().parents[2]
    check = subprocess.run(
        [sys.executable, "-m", "tests.contract.coverage_doc", "--check"], cwd=root, check=False
    )
    assert check.returncode == 0, "stale: run python -m tests.contract.coverage_doc"
