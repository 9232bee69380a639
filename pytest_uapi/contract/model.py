"""Typed view of ``contract.toml``: operations, profiles and requirements.

The contract file is read once per process (``load_contract`` is cached), checked against its own
JSON Schema (``contract.schema.json``) so that a typo fails at once rather than as odd test
results, and never written; every consumer (schemas, checks, suites, the reference server) reads
these objects, so a change to the contract is a change to the data file alone.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Final

CATEGORIES = ("success", "flow", "isolation", "error", "robustness", "security")
PROFILES = ("default", "strict")
EFFECTS = ("call_made", "send_call_to_visible", "off_hold")
"""The visible effects (D24) an operation's success is checked by."""


class _Remove:
    def __repr__(self) -> str:
        return "REMOVE"


REMOVE: Final = _Remove()
"""A change value meaning: leave the field out of the request."""


@dataclass(frozen=True)
class Document:
    key: str
    title: str
    file: str


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    action_statuses: tuple[int, ...]
    make_call_statuses: tuple[int, ...]
    hangup_statuses: tuple[int, ...]
    ack_schema: str
    """The schema an acknowledgement must validate against (D15)."""
    ack_200_schema: str
    """The schema of a 200 answer's body, which D15 lets carry the whole PhoneCall."""
    self_schema: str
    """The schema of the self link's answer (D22)."""
    auth_statuses: tuple[int, ...]

    @property
    def full_phonecall_in_200(self) -> bool:
        """Whether a 200 may carry the whole PhoneCall in place of the acknowledgement."""
        return self.ack_200_schema != self.ack_schema

    def ack_schema_for(self, status: int) -> str:
        return self.ack_200_schema if status == 200 else self.ack_schema


@dataclass(frozen=True)
class Operation:
    name: str
    slug: str
    method: str
    path: str
    document: str
    decision: str
    state: str
    effect: str
    path_params: Mapping[str, str]
    body: Mapping[str, Any]
    bulk_path: str | None = None

    @property
    def is_action(self) -> bool:
        """A PUT action on an existing call (as opposed to making a call)."""
        return self.method == "PUT"


@dataclass(frozen=True)
class FieldRule:
    """A field the reference server validates, and the rule it must satisfy."""

    name: str
    rule: str
    required: bool = False

    @property
    def location(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def key(self) -> str:
        return self.name.split(".", 1)[1]


def _changes(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A case's or cause's field changes: ``change`` values, and ``remove``d fields."""
    changes: dict[str, Any] = dict(raw.get("change", {}))
    changes.update(dict.fromkeys(raw.get("remove", ()), REMOVE))
    return changes


@dataclass(frozen=True)
class Case:
    """One valid form of an operation's request: the fields that differ from the valid one."""

    name: str
    change: Mapping[str, Any] = field(default_factory=dict)
    """Field path (``body.sendCallTo``, ``path.userId``, ``query.video``) -> value or REMOVE."""
    state: str | None = None
    """The call state the form needs, when not the operation's own."""


@dataclass(frozen=True)
class Cause:
    """One single-field fault (D26) that must draw the requirement's code."""

    name: str
    field: str
    value: Any = None
    remove: bool = False
    # dataclasses.field: the name ``field`` is this class's own attribute above
    given: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    """Valid changes the fault is made on (a form of the request, not a second fault)."""
    needs: str | None = None
    """A call the value names that the test prepares first: ``gone_call`` (hung up)."""

    @property
    def changes(self) -> dict[str, Any]:
        """Every field change of this case: the given form, then the fault."""
        return {**self.given, self.field: REMOVE if self.remove else self.value}


@dataclass(frozen=True)
class Requirement:
    id: str
    category: str
    title: str
    decision: str
    document: str
    row: str
    operations: tuple[str, ...] = ()
    cases: tuple[Case, ...] = ()
    """Success forms: each one a valid variation of the request that must succeed."""
    effect: bool = False
    """Success forms whose operation's effect (D24) must show too."""
    follow: bool = False
    """Success forms whose answer's self link must answer 200 with the call (D21)."""
    bulk: bool = False
    expect: int | None = None
    code: str | None = None
    codes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    fields: tuple[FieldRule, ...] = ()
    causes: tuple[Cause, ...] = ()
    values: tuple[Any, ...] = ()
    """Robustness values the requirement is tried with (e.g. near misses of an action)."""

    def accepted_codes(self, profile: str) -> tuple[str, ...]:
        """The error codes this requirement accepts under ``profile`` (D7 spellings)."""
        if profile in self.codes:
            return self.codes[profile]
        return (self.code,) if self.code else ()

    def cause(self, name: str) -> Cause:
        for cause in self.causes:
            if cause.name == name:
                return cause
        raise KeyError(f"{self.id} has no cause {name!r}")

    def reference(self, contract: Contract) -> str:
        """Where the requirement comes from, for failure messages and reports."""
        doc = contract.documents[self.document]
        return f"{self.decision}; {self.document} ({doc.title}): {self.row}"


@dataclass(frozen=True)
class Support:
    list_path: str
    call_path: str
    onhold_body: Mapping[str, Any]
    token_path: str
    view_status: Mapping[str, str]
    """D23 statuses by state name (``ringing``, ``on_call``), as strings."""
    gone_statuses: tuple[int, ...]
    """D32: what hanging up a call that does not exist may answer ..."""
    gone_code: str
    """... and the code its 400 carries (D7)."""


@dataclass(frozen=True)
class Contract:
    name: str
    version: str
    digest: str
    documents: Mapping[str, Document]
    profiles: Mapping[str, Profile]
    operations: Mapping[str, Operation]
    requirements: tuple[Requirement, ...]
    support: Support

    def requirement(self, requirement_id: str) -> Requirement:
        for requirement in self.requirements:
            if requirement.id == requirement_id:
                return requirement
        raise KeyError(requirement_id)

    def ids(self, *requirement_ids: str) -> tuple[str, ...]:
        """The ids, each checked against the contract: a typo fails at import, not in a run."""
        return tuple(self.requirement(i).id for i in requirement_ids)

    def by_category(self, category: str) -> tuple[Requirement, ...]:
        return tuple(r for r in self.requirements if r.category == category)

    def errors_of(self, operation: str) -> tuple[Requirement, ...]:
        """The documented 400 codes of one operation, in data order."""
        return tuple(r for r in self.by_category("error") if r.code and operation in r.operations)

    def errors_of_any(self, operations: tuple[str, ...]) -> tuple[Requirement, ...]:
        return tuple(r for op in operations for r in self.errors_of(op))


def _cases(raw: Mapping[str, Any]) -> tuple[Case, ...]:
    if "cases" in raw:
        return tuple(
            Case(name=c["name"], change=_changes(c), state=c.get("state")) for c in raw["cases"]
        )
    if "change" in raw or "remove" in raw or "state" in raw:
        # One form: the requirement's own change (its test id names no case).
        return (Case(name="", change=_changes(raw), state=raw.get("state")),)
    return ()


def _cause(raw: Mapping[str, Any]) -> Cause:
    return Cause(
        name=raw["name"],
        field=raw["field"],
        value=raw.get("value"),
        remove=bool(raw.get("remove", False)),
        given=_changes(raw.get("given", {})),
        needs=raw.get("needs"),
    )


def _requirement(raw: Mapping[str, Any]) -> Requirement:
    return Requirement(
        id=raw["id"],
        category=raw["category"],
        title=raw["title"],
        decision=raw["decision"],
        document=raw["document"],
        row=raw["row"],
        operations=tuple(raw.get("operations", ())),
        cases=_cases(raw),
        effect=bool(raw.get("effect", False)),
        follow=bool(raw.get("follow", False)),
        bulk=bool(raw.get("bulk", False)),
        expect=raw.get("expect"),
        code=raw.get("code"),
        codes={k: tuple(v) for k, v in raw.get("codes", {}).items()},
        fields=tuple(FieldRule(**f) for f in raw.get("fields", ())),
        causes=tuple(_cause(c) for c in raw.get("causes", ())),
        values=tuple(raw.get("values", ())),
    )


def _schema_errors(raw: Mapping[str, Any]) -> list[str]:
    from jsonschema import Draft202012Validator

    text = resources.files(__package__).joinpath("contract.schema.json").read_text("utf-8")
    validator = Draft202012Validator(json.loads(text))
    return [
        f"{error.json_path}: {error.message}"
        for error in sorted(validator.iter_errors(raw), key=lambda e: list(e.absolute_path))
    ]


def parse_contract(text: str) -> Contract:
    raw = tomllib.loads(text)
    problems = _schema_errors(raw)
    if problems:
        raise ValueError("contract.toml does not match its schema: " + "; ".join(problems[:5]))
    support = raw["support"]
    contract = Contract(
        name=raw["meta"]["name"],
        version=raw["meta"]["version"],
        digest=hashlib.sha256(text.encode()).hexdigest(),
        documents={k: Document(key=k, **v) for k, v in raw["documents"].items()},
        profiles={
            name: Profile(
                name=name,
                description=p["description"],
                action_statuses=tuple(p["action_statuses"]),
                make_call_statuses=tuple(p["make_call_statuses"]),
                hangup_statuses=tuple(p["hangup_statuses"]),
                ack_schema=p["ack_schema"],
                ack_200_schema=p["ack_200_schema"],
                self_schema=p["self_schema"],
                auth_statuses=tuple(p["auth_statuses"]),
            )
            for name, p in raw["profiles"].items()
        },
        operations={
            name: Operation(
                name=name,
                slug=o["slug"],
                method=o["method"],
                path=o["path"],
                document=o["document"],
                decision=o["decision"],
                state=o["state"],
                effect=o["effect"],
                path_params=dict(o["path_params"]),
                body=o["body"],
                bulk_path=o.get("bulk_path"),
            )
            for name, o in raw["operations"].items()
        },
        requirements=tuple(_requirement(r) for r in raw["requirements"]),
        support=Support(
            list_path=support["list_path"],
            call_path=support["call_path"],
            onhold_body=support["onhold_body"],
            token_path=support["token_path"],
            view_status=dict(support["view_status"]),
            gone_statuses=tuple(support["gone_statuses"]),
            gone_code=support["gone_code"],
        ),
    )
    _validate(contract)
    return contract


def _validate(contract: Contract) -> None:
    """What the schema cannot say: ids unique, names that must name something do."""
    seen: set[str] = set()
    for operation in contract.operations.values():
        if operation.effect not in EFFECTS:
            raise ValueError(
                f"operation {operation.name}: unknown effect {operation.effect!r}; one of {EFFECTS}"
            )
    for r in contract.requirements:
        if r.id in seen:
            raise ValueError(f"duplicate requirement id {r.id!r}")
        seen.add(r.id)
        if r.document not in contract.documents:
            raise ValueError(f"{r.id}: unknown document {r.document!r}")
        for op in r.operations:
            if op not in contract.operations:
                raise ValueError(f"{r.id}: unknown operation {op!r}")
        # A fault may break another validated field of the operation (say, the URI extension
        # under which an existing call is addressed) as long as the row's code is the answer.
        validated = {f.name for e in contract.errors_of_any(r.operations) for f in e.fields}
        for cause in r.causes:
            if cause.field not in validated:
                raise ValueError(f"{r.id}: cause {cause.name!r} breaks an unvalidated field")


@cache
def load_contract() -> Contract:
    """The contract shipped with the package (parsed once per process)."""
    text = resources.files(__package__).joinpath("contract.toml").read_text(encoding="utf-8")
    return parse_contract(text)
