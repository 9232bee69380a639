"""The documents' examples (``examples.toml``), as the contract reads them.

Plain data for descriptions of the contract (the OpenAPI export): each example keeps the
document and row it is copied from, and the decision that corrects it where the document errs.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Example:
    document: str
    row: str
    decision: str | None
    body: Any
    path: dict[str, str]


@dataclass(frozen=True)
class Examples:
    requests: dict[str, Example]
    """By operation name (``MakeCall``, ``Transfer``, ...)."""
    answers: dict[str, Example]
    """``ack``, ``make_call`` (the array), ``phonecall``."""


def _example(raw: dict[str, Any]) -> Example:
    return Example(
        document=raw["document"],
        row=raw["row"],
        decision=raw.get("decision"),
        body=raw["body"],
        path=dict(raw.get("path", {})),
    )


@cache
def load_examples() -> Examples:
    text = resources.files(__package__).joinpath("examples.toml").read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    return Examples(
        requests={k: _example(v) for k, v in raw["requests"].items()},
        answers={k: _example(v) for k, v in raw["answers"].items()},
    )
