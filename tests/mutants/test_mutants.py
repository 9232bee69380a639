"""The suite's power, proven: every mutant of the reference server is failed by a test that
names the requirement it breaks, every requirement has a mutant, and the alternatives variant
passes the default profile and fails the strict one."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_uapi.contract import load_contract
from pytest_uapi.reference.faults import catalogue
from tests.mutants.kill_table import DOC, summary
from tests.mutants.runner import all_names, run_all

FAULTS = list(catalogue())


@pytest.fixture(scope="session")
def results() -> dict[str, dict[str, Any]]:
    """Every mutant run once (split over two processes), shared by the assertions below."""
    return run_all(all_names(), jobs=2)


def test_every_requirement_has_a_mutant() -> None:
    covered = {fault.requirement for fault in catalogue().values()}
    missing = [r.id for r in load_contract().requirements if r.id not in covered]
    assert not missing, f"requirements without a mutant: {missing}"


def test_every_mutant_names_a_known_requirement() -> None:
    ids = {r.id for r in load_contract().requirements}
    assert {fault.requirement for fault in catalogue().values()} <= ids


@pytest.mark.parametrize("name", FAULTS)
def test_mutant_is_killed_for_its_requirement(name: str, results: dict[str, Any]) -> None:
    result = results[name]
    assert result["exit_code"] == pytest.ExitCode.TESTS_FAILED, result
    assert result["killing"], (
        f"{name} survived: no failing test named {result['requirement']} "
        f"(failed: {result['failed'][:5]}, skipped: {result['skipped'][:5]})"
    )


def test_alternatives_pass_the_default_profile(results: dict[str, Any]) -> None:
    default = results["alternatives:default"]
    assert default["exit_code"] == pytest.ExitCode.OK, default["failed"]
    assert default["tests"] > 200
    assert not default["failed"]
    assert not default["skipped"]


def test_alternatives_fail_the_strict_profile(results: dict[str, Any]) -> None:
    strict = results["alternatives:strict"]
    assert strict["exit_code"] == pytest.ExitCode.TESTS_FAILED
    assert strict["failed"]


def test_kill_table_lists_every_mutant(results: dict[str, Any]) -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [name for name in FAULTS if f"`{name}`" not in text]
    assert not missing, (
        f"regenerate docs/kill-table.md (python -m tests.mutants.kill_table): {missing}"
    )
    assert f"**{summary(results)}**" in text
