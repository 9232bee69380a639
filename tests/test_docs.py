"""The README and the docs say what the code does: every option, the kill table's summary."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_uapi.settings.options import OPTIONS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_setup_commands() -> None:
    block = README.split("```", 2)[1]
    assert "pytest --uapi-url embedded" in block
    assert "pip install -e '.[dev]' && pytest" in block


@pytest.mark.parametrize("option", OPTIONS, ids=lambda o: o.name)
def test_readme_options_table_lists_every_option(option: object) -> None:
    from pytest_uapi.settings.options import Option

    assert isinstance(option, Option)
    rows = (line for line in README.splitlines() if line.startswith(f"| `{option.cli}"))
    row = next(rows, None)
    assert row is not None, f"README's options table lacks {option.cli}"
    assert f"`{option.env}`" in row and f"`{option.ini}`" in row


def test_readme_quotes_the_kill_table_summary() -> None:
    table = (ROOT / "docs" / "kill-table.md").read_text(encoding="utf-8")
    summary = re.search(r"\*\*(\d+/\d+ mutants killed)\*\*", table)
    assert summary is not None
    assert f"**{summary[1]}**" in README


def test_ci_runs_the_readme_commands() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pytest --uapi-url embedded" in ci
    assert re.search(r"^python -m pytest\b", ci, re.M)
