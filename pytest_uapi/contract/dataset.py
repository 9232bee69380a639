"""The reference dataset (decisions.md, "The reference dataset") and user-supplied ones.

A dataset names the organizations, users (with their bearer tokens) and extensions a UAPI
deployment has. The reference server serves one; the suite's default target profile names the
numbers of the shipped one.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

PHONE_TERMINAL = "phone_terminal"


class DatasetError(ValueError):
    """A dataset file that cannot be used; the message names the key at fault."""


@dataclass(frozen=True)
class Organization:
    id: str
    name: str
    owner_id: str


@dataclass(frozen=True)
class User:
    id: str
    name: str
    organization: str
    token: str
    client_id: str | None = None
    """OAuth 2.0 client credentials that get a token for this user (optional, with the secret)."""
    client_secret: str | None = None


@dataclass(frozen=True)
class Extension:
    number: str
    owner: str
    kind: str
    answers: bool

    @property
    def organization(self) -> str:
        return self.number.split("*", 1)[0]

    @property
    def short(self) -> str:
        return self.number.split("*", 1)[-1]

    @property
    def is_phone_terminal(self) -> bool:
        return self.kind == PHONE_TERMINAL


@dataclass(frozen=True)
class Dataset:
    organizations: Mapping[str, Organization]
    users: Mapping[str, User]
    extensions: Mapping[str, Extension]
    unknown_user_id: str

    def user_by_token(self, token: str) -> User | None:
        for user in self.users.values():
            if user.token == token:
                return user
        return None

    def extensions_of(self, user_id: str) -> tuple[Extension, ...]:
        return tuple(e for e in self.extensions.values() if e.owner == user_id)

    def resolve_extension(self, number: str, organization: str) -> Extension | None:
        """An extension by extended number, or by short number inside ``organization`` (D6)."""
        if "*" in number:
            return self.extensions.get(number)
        return self.extensions.get(f"{organization}*{number}")


def _require(table: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in table:
        raise DatasetError(f"{where}: missing key {key!r}")
    value = table[key]
    if not isinstance(value, kind):
        raise DatasetError(f"{where}.{key}: expected {kind.__name__}, got {type(value).__name__}")
    return value


def _optional(table: Mapping[str, Any], key: str, where: str) -> str | None:
    if key not in table:
        return None
    return str(_require(table, key, str, where))


def parse_dataset(text: str, source: str = "dataset") -> Dataset:
    """Parse a dataset TOML document; every mistake is a ``DatasetError`` naming the key."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DatasetError(f"{source}: not valid TOML: {exc}") from None
    orgs = {}
    for i, o in enumerate(_require(raw, "organizations", list, source)):
        where = f"{source}: organizations[{i}]"
        org = Organization(
            id=_require(o, "id", str, where),
            name=_require(o, "name", str, where),
            owner_id=_require(o, "owner_id", str, where),
        )
        orgs[org.id] = org
    users = {}
    for i, u in enumerate(_require(raw, "users", list, source)):
        where = f"{source}: users[{i}]"
        user = User(
            id=_require(u, "id", str, where),
            name=_require(u, "name", str, where),
            organization=_require(u, "organization", str, where),
            token=_require(u, "token", str, where),
            client_id=_optional(u, "client_id", where),
            client_secret=_optional(u, "client_secret", where),
        )
        if (user.client_id is None) != (user.client_secret is None):
            raise DatasetError(f"{where}: give both client_id and client_secret, or neither")
        if user.organization not in orgs:
            raise DatasetError(f"{where}.organization: no organization {user.organization!r}")
        users[user.id] = user
    extensions = {}
    for i, e in enumerate(_require(raw, "extensions", list, source)):
        where = f"{source}: extensions[{i}]"
        ext = Extension(
            number=_require(e, "number", str, where),
            owner=_require(e, "owner", str, where),
            kind=_require(e, "kind", str, where),
            answers=_require(e, "answers", bool, where),
        )
        if "*" not in ext.number or ext.organization not in orgs:
            raise DatasetError(
                f"{where}.number: {ext.number!r} is not <organization>*<short> "
                "of a known organization"
            )
        if ext.owner not in users:
            raise DatasetError(f"{where}.owner: no user {ext.owner!r}")
        extensions[ext.number] = ext
    unknown = _require(raw, "unknown_user_id", str, source)
    if unknown in users:
        raise DatasetError(f"{source}: unknown_user_id {unknown!r} names a user")
    return Dataset(orgs, users, extensions, unknown)


@cache
def _shipped() -> Dataset:
    text = resources.files(__package__).joinpath("dataset.toml").read_text(encoding="utf-8")
    return parse_dataset(text, "dataset.toml")


def load_dataset(path: str | Path | None = None) -> Dataset:
    """The shipped reference dataset, or the one in ``path``."""
    if path is None:
        return _shipped()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"cannot read dataset {path}: {exc}") from None
    return parse_dataset(text, str(path))
