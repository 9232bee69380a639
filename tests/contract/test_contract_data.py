"""The contract data is well-formed and self-consistent (the suites and server trust it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_uapi.contract import CATEGORIES, load_contract, load_dataset
from pytest_uapi.contract.rules import ALL_RULES, is_caller_id, is_phone_number, positive_number
from pytest_uapi.contract.schemas import schema_names, validator

CONTRACT = load_contract()


def test_every_category_has_requirements() -> None:
    for category in CATEGORIES:
        assert CONTRACT.by_category(category), category


_DECISIONS_FILE = Path(__file__).resolve().parents[2].parent / "shared" / "spec" / "decisions.md"
# With the source documents beside the checkout, each decision id must be one decisions.md has.
DECISIONS = _DECISIONS_FILE.read_text(encoding="utf-8") if _DECISIONS_FILE.exists() else ""


@pytest.mark.parametrize("requirement", CONTRACT.requirements, ids=lambda r: r.id)
def test_requirement_points_back_to_a_document_and_decision(requirement: object) -> None:
    from pytest_uapi.contract import Requirement

    assert isinstance(requirement, Requirement)
    assert requirement.document in CONTRACT.documents
    for decision in requirement.decision.split(", "):
        assert decision.startswith("D")
        assert f"**{decision} " in DECISIONS if DECISIONS else 1 <= int(decision[1:]) <= 38
    assert requirement.row.strip()


def test_error_rows_name_known_rules_and_have_causes() -> None:
    for requirement in CONTRACT.by_category("error"):
        if requirement.code is None:
            continue
        assert requirement.causes, requirement.id
        for rule in requirement.fields:
            assert rule.rule in ALL_RULES, (requirement.id, rule.rule)


def test_strict_accepts_only_canonical_spelling() -> None:
    row = CONTRACT.requirement("transfer.error.pc_phonecall_invalid")
    assert row.accepted_codes("strict") == ("pc_phonecall_invalid",)
    assert "pc_phoncall_invalid" in row.accepted_codes("default")


@pytest.mark.parametrize("name", schema_names())
def test_schemas_are_valid_draft_2020_12(name: str) -> None:
    validator(name).check_schema(validator(name).schema)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("3235742879", True),
        ("+3334444", True),
        ("0003*210", True),
        ("210", True),
        ("abc", False),
        ("", False),
        ("12-34#", False),
        (12, False),
        (None, False),
    ],
)
def test_phone_number_rule(value: object, valid: bool) -> None:
    assert is_phone_number(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("John Doe <+3334444>", True),
        ("<0003*210>", True),
        ("John Doe", False),
        ("John <abc>", False),
        ("John <>", False),
    ],
)
def test_caller_id_rule(value: str, valid: bool) -> None:
    assert is_caller_id(value) is valid


@pytest.mark.parametrize(
    ("value", "number"),
    [
        (20, 20.0),
        ("20", 20.0),
        (0, None),
        ("-5", None),
        ("abc", None),
        (True, None),
        ("1" * 400, None),
    ],
)
def test_positive_number_rule(value: object, number: float | None) -> None:
    assert positive_number(value) == number


def test_shipped_dataset_matches_decisions() -> None:
    dataset = load_dataset()
    assert dataset.user_by_token("sandbox-token-12").id == "12"  # type: ignore[union-attr]
    assert not dataset.extensions["0003*211"].answers
    assert not dataset.extensions["0003*300"].is_phone_terminal
    assert dataset.unknown_user_id == "999999"
