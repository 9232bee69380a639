"""Typed view of ``contract.toml``: operations, profiles and requirements.

The contract file is read once per process (``load_contract`` is cached) and never written; every
consumer (schemas, checks, suites, the reference server) reads these objects, so a change to the
contract is a change to the data file alone.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

CATEGORIES = ("success", "flow", "error", "robustness", "security")
PROFILES = ("default", "strict")


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
    ack_link_keys: tuple[str, ...]
    self_link_forms: tuple[str, ...]
    full_phonecall_in_200: bool
    auth_statuses: tuple[int, ...]


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


@dataclass(frozen=True)
class Cause:
    """One single-field fault (D26) that must draw the requirement's code."""

    name: str
    field: str
    value: Any = None
    remove: bool = False


@dataclass(frozen=True)
class Requirement:
    id: str
    category: str
    title: str
    decision: str
    document: str
    row: str
    operations: tuple[str, ...] = ()
    change: Mapping[str, Any] = field(default_factory=dict)
    state: str | None = None
    bulk: bool = False
    expect: int | None = None
    code: str | None = None
    codes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    fields: tuple[FieldRule, ...] = ()
    causes: tuple[Cause, ...] = ()

    def accepted_codes(self, profile: str) -> tuple[str, ...]:
        """The error codes this requirement accepts under ``profile`` (D7 spellings)."""
        if profile in self.codes:
            return self.codes[profile]
        return (self.code,) if self.code else ()

    def reference(self, contract: Contract) -> str:
        """Where the requirement comes from, for failure messages and reports."""
        doc = contract.documents[self.document]
        return f"{self.decision}; {self.document} ({doc.title}): {self.row}"


@dataclass(frozen=True)
class Support:
    list_path: str
    call_path: str
    hangup_statuses: tuple[int, ...]
    onhold_body: Mapping[str, Any]
    token_path: str
    view_status: Mapping[str, str]
    """D23 statuses by state name (``ringing``, ``on_call``), as strings."""


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

    def by_category(self, category: str) -> tuple[Requirement, ...]:
        return tuple(r for r in self.requirements if r.category == category)

    def errors_of(self, operation: str) -> tuple[Requirement, ...]:
        """The documented 400 codes of one operation, in data order."""
        return tuple(r for r in self.by_category("error") if r.code and operation in r.operations)


def _requirement(raw: Mapping[str, Any]) -> Requirement:
    return Requirement(
        id=raw["id"],
        category=raw["category"],
        title=raw["title"],
        decision=raw["decision"],
        document=raw["document"],
        row=raw["row"],
        operations=tuple(raw.get("operations", ())),
        change=dict(raw.get("change", {})),
        state=raw.get("state"),
        bulk=bool(raw.get("bulk", False)),
        expect=raw.get("expect"),
        code=raw.get("code"),
        codes={k: tuple(v) for k, v in raw.get("codes", {}).items()},
        fields=tuple(FieldRule(**f) for f in raw.get("fields", ())),
        causes=tuple(Cause(**c) for c in raw.get("causes", ())),
    )


def parse_contract(text: str) -> Contract:
    raw = tomllib.loads(text)
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
                ack_link_keys=tuple(p["ack_link_keys"]),
                self_link_forms=tuple(p["self_link_forms"]),
                full_phonecall_in_200=p["full_phonecall_in_200"],
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
            hangup_statuses=tuple(support["hangup_statuses"]),
            onhold_body=support["onhold_body"],
            token_path=support["token_path"],
            view_status=dict(support["view_status"]),
        ),
    )
    _validate(contract)
    return contract


def _validate(contract: Contract) -> None:
    """Catch a malformed contract file at load time rather than as odd test failures."""
    seen: set[str] = set()
    for r in contract.requirements:
        if r.id in seen:
            raise ValueError(f"duplicate requirement id {r.id!r}")
        seen.add(r.id)
        if r.category not in CATEGORIES:
            raise ValueError(f"{r.id}: unknown category {r.category!r}")
        if r.document not in contract.documents:
            raise ValueError(f"{r.id}: unknown document {r.document!r}")
        for op in r.operations:
            if op not in contract.operations:
                raise ValueError(f"{r.id}: unknown operation {op!r}")
        for cause in r.causes:
            if cause.field not in {f.name for f in r.fields}:
                raise ValueError(f"{r.id}: cause {cause.name!r} breaks an undeclared field")


@cache
def load_contract() -> Contract:
    """The contract shipped with the package (parsed once per process)."""
    text = resources.files(__package__).joinpath("contract.toml").read_text(encoding="utf-8")
    return parse_contract(text)
