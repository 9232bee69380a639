"""Answers: each documented status with its schema, and the requirements behind it.

Every status carries ``x-uapi-requirement``: the requirement ids of the contract it answers for,
each with its decision, document and row, so that a tool's finding points back to the documents.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pytest_uapi.contract import Contract, Profile, Requirement

from .components import ref

JSON = "application/json"


def requirement_refs(
    contract: Contract, requirements: Iterable[Requirement], profile: str = "default"
) -> list[dict[str, Any]]:
    out = []
    for r in requirements:
        entry: dict[str, Any] = {
            "id": r.id,
            "decision": r.decision,
            "document": r.document,
            "row": r.row,
        }
        codes = r.accepted_codes(profile)
        if r.category == "error" and codes:
            entry["codes"] = list(codes)
        out.append(entry)
    return out


def answer(
    description: str,
    schema: dict[str, Any] | None,
    requirements: list[dict[str, Any]],
    *,
    example: Any = None,
    links: dict[str, Any] | None = None,
) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description}
    if schema is not None:
        media: dict[str, Any] = {"schema": schema}
        if example is not None:
            media["example"] = example
        response["content"] = {JSON: media}
    if links:
        response["links"] = links
    response["x-uapi-requirement"] = requirements
    return response


def error_codes(requirements: Iterable[Requirement], profile: str) -> list[str]:
    codes: list[str] = []
    for r in requirements:
        codes += [c for c in r.accepted_codes(profile) if c not in codes]
    return codes


def error_schema(codes: list[str]) -> dict[str, Any]:
    """D25's body, naming the documented codes; D8/D17 let malformed requests carry any code."""
    documented = {"type": "string", "enum": codes, "description": "the documented codes"}
    robustness = {
        "type": "string",
        "minLength": 1,
        "description": "D8, D17: a request of the wrong shape is any 400 with an error body",
    }
    code = {"anyOf": [documented, robustness]} if codes else robustness
    return {
        "allOf": [ref("error")],
        "properties": {"error": {"properties": {"code": code}}},
    }


def errors(
    contract: Contract, profile: Profile, rows: tuple[Requirement, ...], *extra: Requirement
) -> dict[str, Any]:
    """400 with the rows' codes, and the authentication failures (D30)."""
    generic = contract.ids("errors.body", "errors.no_side_effects")
    robustness = contract.by_category("robustness")
    every = (*rows, *extra, *(contract.requirement(i) for i in generic), *robustness)
    out = {
        "400": answer(
            "A documented code (D5-D20), or any code for a request of the wrong shape (D8, D17)",
            error_schema(error_codes((*rows, *extra), profile.name)),
            requirement_refs(contract, every, profile.name),
        )
    }
    auth = ("security.missing_token", "security.malformed_header", "security.unknown_token")
    security = [contract.requirement(i) for i in contract.ids(*auth)]
    for status in profile.auth_statuses:
        out[str(status)] = answer(
            "Missing, malformed or unknown token: access_denied (D30)",
            ref("error"),
            requirement_refs(contract, security),
        )
    return out
