"""Expected deviations (``--uapi-expect FILE``): known gaps a CI gate tolerates while they are
tracked, without ever counting them as passes.

```toml
[[deviation]]
test = "test_errors.py::test_error_code[Transfer-pc_sendcallto_invalid-missing]"
# or: requirement = "transfer.error.pc_sendcallto_invalid"
reason = "PBX-1234: sendCallTo validation lands in 5.2"   # mandatory
link = "https://tracker.example/PBX-1234"                 # optional
expires = 2027-03-31                                      # optional, last day it applies
```

A test id is ``<file name>::<test>[params]``: the directory part of a node id differs between
an installed suite and a checkout, so only the file's base name is compared. A failing test is
expected when its id or a requirement its failure names is listed. An entry keeps a gate honest
two ways: one that matched nothing although its tests ran is stale, and one past its date has
expired; either fails the run.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..contract import Contract
from .verdicts import TestRecord

KEYS = ("test", "requirement", "reason", "link", "expires")
TEMPLATE_REASON = "TODO: why this deviation is expected"


@dataclass(frozen=True)
class Deviation:
    key: str
    """Its position in the file (1-based), which names it across xdist workers."""
    test: str | None
    requirement: str | None
    reason: str
    link: str | None = None
    expires: dt.date | None = None

    @property
    def label(self) -> str:
        what = f"test = {self.test!r}" if self.test else f"requirement = {self.requirement!r}"
        return f"deviation {self.key} ({what})"

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and today > self.expires

    def names(self, nodeid: str, requirement_ids: Iterable[str]) -> bool:
        if self.test is not None:
            return short_id(nodeid) == self.test
        return self.requirement in set(requirement_ids)

    @property
    def explanation(self) -> str:
        return f"{self.reason} ({self.link})" if self.link else self.reason


def short_id(nodeid: str) -> str:
    """``pytest_uapi/suites/test_errors.py::test_x[a]`` → ``test_errors.py::test_x[a]``."""
    path, sep, rest = nodeid.partition("::")
    return f"{path.rsplit('/', 1)[-1]}{sep}{rest}"


def _string(entry: Mapping[str, Any], name: str, where: str) -> str | None:
    value = entry.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f'{where}: {name} must be a non-empty string, e.g. {name} = "..."')
    return value.strip()


def _deviation(entry: Any, key: str, known: Sequence[str]) -> Deviation:
    where = f"deviation {key}"
    if not isinstance(entry, dict):
        raise ValueError(f"{where} is not a table; write each entry as [[deviation]]")
    unknown = sorted(set(entry) - set(KEYS))
    if unknown:
        raise ValueError(f"{where}: unknown key {unknown[0]!r}; the keys are {', '.join(KEYS)}")
    test = _string(entry, "test", where)
    requirement = _string(entry, "requirement", where)
    if (test is None) == (requirement is None):
        raise ValueError(f'{where}: give exactly one of test = "..." or requirement = "..."')
    if test is not None and "::" not in test:
        raise ValueError(
            f"{where}: test {test!r} is not a test id; write <file>::<test>[params], "
            "as in test_errors.py::test_error_code[Transfer-pc_sendcallto_invalid-missing]"
        )
    if requirement is not None and requirement not in known:
        close = difflib.get_close_matches(requirement, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else "; see the contract's ids"
        raise ValueError(f"{where}: no requirement {requirement!r} in the contract{hint}")
    reason = _string(entry, "reason", where)
    if reason is None:
        raise ValueError(f"{where}: reason is mandatory; say why the deviation is expected")
    if reason == TEMPLATE_REASON:
        # a template accepted unread would excuse every failure it lists without a word
        raise ValueError(f"{where}: reason is still the template's TODO; say why it is expected")
    expires = entry.get("expires")
    if expires is not None and (
        not isinstance(expires, dt.date) or isinstance(expires, dt.datetime)
    ):
        raise ValueError(
            f"{where}: expires {expires!r} is not a date; write it unquoted, expires = 2027-03-31"
        )
    return Deviation(
        key=key,
        test=short_id(test) if test is not None else None,
        requirement=requirement,
        reason=reason,
        link=_string(entry, "link", where),
        expires=expires,
    )


def parse(text: str, contract: Contract) -> tuple[Deviation, ...]:
    """The entries of an expectations file; ValueError names the entry, the key and the fix."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"not valid TOML ({exc})") from None
    extra = sorted(set(data) - {"deviation"})
    if extra:
        raise ValueError(f"unknown key {extra[0]!r}; the file holds only [[deviation]] entries")
    entries = data.get("deviation", [])
    if not isinstance(entries, list):
        raise ValueError("deviation must be an array of tables; write each entry as [[deviation]]")
    known = [r.id for r in contract.requirements]
    return tuple(_deviation(entry, str(n), known) for n, entry in enumerate(entries, 1))


def load(path: Path, contract: Contract) -> tuple[Deviation, ...]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ValueError(f"cannot read {str(path)!r} ({reason}); pass a TOML file") from None
    return parse(text, contract)


def matching(
    deviations: Iterable[Deviation], nodeid: str, failed: Iterable[str], today: dt.date
) -> list[Deviation]:
    """The entries that excuse a failure of ``nodeid`` naming ``failed`` (expired ones never)."""
    failed = tuple(failed)
    return [d for d in deviations if not d.expired(today) and d.names(nodeid, failed)]


def problems(
    deviations: Iterable[Deviation], records: Iterable[TestRecord], today: dt.date
) -> list[str]:
    """Expired and stale entries, one line each: any of them fails the run."""
    records = tuple(records)
    used = {key for record in records for key in record.deviations}
    lines: list[str] = []
    for d in deviations:
        if d.expired(today):
            lines.append(
                f"{d.label} expired on {d.expires}: fix the deviation, or renew or remove the entry"
            )
            continue
        if d.key in used:
            continue
        ran = any(
            r.ran and d.names(r.nodeid, (*r.requirements, *r.failed_requirements)) for r in records
        )
        if ran:
            lines.append(
                f"{d.label} is stale: its tests ran and none failed as expected; remove the entry"
            )
    return lines


def toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, except DEL, which TOML wants escaped."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def template(records: Iterable[TestRecord]) -> str:
    """An expectations file with one entry per failed test, for a person to fill in the reasons."""
    lines = [
        "# Expected deviations for pytest-uapi (--uapi-expect FILE).",
        "# One entry per test that failed; replace each reason, add a link and an expiry date,",
        "# or delete the entries you mean to fix now.",
    ]
    for record in records:
        if record.outcome != "failed":
            continue
        lines += ["", "[[deviation]]"]
        if record.failed_requirements:
            lines.append(f"# fails: {', '.join(record.failed_requirements)}")
        lines += [
            f"test = {toml_string(short_id(record.nodeid))}",
            f"reason = {toml_string(TEMPLATE_REASON)}",
            '# link = "https://tracker.example/ISSUE-1"',
            "# expires = 2099-12-31",
        ]
    return "\n".join(lines) + "\n"
