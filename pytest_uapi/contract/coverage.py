"""The coverage map: every row of the five documents and every decision, traced to the
requirements that test it, or with the reason it cannot be tested black-box.

``coverage.toml`` is read once per process. Each entry quotes the text it covers (``quote``: a
substring of the document, compared with whitespace collapsed), so an auditor can find it in the
document and a test can check that it is really there. ``summary`` says, for one run, how many
documented rows were tested: a row is tested when each of its requirements got a verdict (pass,
fail or expected deviation) in that run.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Entry:
    """One documented row, example or rule sentence, and what tests it."""

    id: str
    document: str
    """A document key of the contract ("000".."004", "decisions")."""
    section: str
    """Where in the document: "URI fragment", "Request Payload", "Failure", "D18", ..."""
    row: str
    """The row as a person names it: "userId @me", "400 pc_source_invalid", ..."""
    quote: str
    """The document's own words for it (a substring of the document's text)."""
    requirements: tuple[str, ...] = ()
    untestable: str | None = None
    """Why no black-box test can check it (then ``requirements`` is empty)."""

    @property
    def testable(self) -> bool:
        return self.untestable is None


@dataclass(frozen=True)
class Summary:
    """How much of the documents one run tested."""

    rows: int
    """Every entry of the map, untestable ones included."""
    tested: int
    """Entries whose requirements were all tested in the run."""
    untestable: int
    untested: tuple[str, ...]
    """Ids of testable entries that the run did not test (deselected or skipped)."""

    @property
    def line(self) -> str:
        """``"143 of 160 documented rows tested (12 not testable black-box)"``."""
        return (
            f"{self.tested} of {self.rows} documented rows tested "
            f"({self.untestable} not testable black-box)"
        )


@dataclass(frozen=True)
class CoverageMap:
    entries: tuple[Entry, ...]

    def by_document(self) -> Mapping[str, tuple[Entry, ...]]:
        grouped: dict[str, list[Entry]] = {}
        for entry in self.entries:
            grouped.setdefault(entry.document, []).append(entry)
        return {key: tuple(value) for key, value in grouped.items()}

    def rows_of(self, requirement_id: str) -> tuple[Entry, ...]:
        """The entries a requirement tests."""
        return tuple(e for e in self.entries if requirement_id in e.requirements)

    def summary(self, tested_requirements: Iterable[str]) -> Summary:
        """``tested_requirements``: the ids that got a verdict other than not-tested."""
        tested_ids = set(tested_requirements)
        tested = [e for e in self.entries if e.testable and set(e.requirements) <= tested_ids]
        untested = tuple(
            e.id for e in self.entries if e.testable and not set(e.requirements) <= tested_ids
        )
        untestable = sum(1 for e in self.entries if not e.testable)
        return Summary(len(self.entries), len(tested), untestable, untested)


def _entry(raw: Mapping[str, Any]) -> Entry:
    return Entry(
        id=raw["id"],
        document=raw["document"],
        section=raw["section"],
        row=raw["row"],
        quote=raw["quote"],
        requirements=tuple(raw.get("requirements", ())),
        untestable=raw.get("untestable"),
    )


def parse_coverage(text: str) -> CoverageMap:
    raw = tomllib.loads(text)
    entries = tuple(_entry(e) for e in raw.get("entries", ()))
    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            raise ValueError(f"coverage: duplicate entry id {entry.id!r}")
        seen.add(entry.id)
        if bool(entry.requirements) == (entry.untestable is not None):
            raise ValueError(
                f"coverage: entry {entry.id!r} needs requirements or a reason it is untestable "
                "(one of them, not both)"
            )
    return CoverageMap(entries)


@cache
def load_coverage() -> CoverageMap:
    """The coverage map shipped with the package (parsed once per process)."""
    text = resources.files(__package__).joinpath("coverage.toml").read_text(encoding="utf-8")
    return parse_coverage(text)
