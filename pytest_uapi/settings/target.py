"""Target profiles: the numbers and users of the deployment under test, by the role they play.

The suite never hard-codes a number; it asks for ``{caller}``, ``{ringing}``, ``{queue}``... and a
target profile (a small TOML file) says what those are on the target. The shipped profile
(``profiles/reference.toml``) names the reference dataset; a user's file overrides any subset of
its keys.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ..transport.redaction import MIN_SECRET_LENGTH

REFERENCE = "reference"

# Every key a profile may hold. Tokens are not roles: they never become request placeholders,
# so they cannot end up in a URL or a body that a report prints.
ROLE_KEYS = (
    "user_id",
    "caller",
    "caller_short",
    "ringing",
    "colleague",
    "colleague_short",
    "queue",
    "foreign",
    "public",
    "second_public",
    "unknown_user",
    "unknown_extension",
)
# Short forms are derived from the extended ones unless a profile spells them out.
SHORT_FORMS = {"caller_short": "caller", "colleague_short": "colleague"}
OPTIONAL_KEYS = ("token", *SHORT_FORMS, "second_user_id", "second_token")
KEYS = (*ROLE_KEYS, "token", "second_user_id", "second_token")


class TargetProfileError(ValueError):
    """A target profile that cannot be used; the message names the file and the key at fault."""


@dataclass(frozen=True)
class Target:
    """The roles of one target, as the suite addresses them."""

    user_id: str
    caller: str
    caller_short: str
    ringing: str
    colleague: str
    colleague_short: str
    queue: str
    foreign: str
    public: str
    second_public: str
    unknown_user: str
    unknown_extension: str
    token: str | None = field(default=None, repr=False)
    second_user_id: str | None = None
    second_token: str | None = field(default=None, repr=False)
    source: str = REFERENCE
    """``reference`` or the path of the user's profile file."""

    def roles(self) -> dict[str, str]:
        """Placeholder values by name (``{caller}``, ``{user_id}``, ...); never the tokens."""
        roles = {key: getattr(self, key) for key in ROLE_KEYS}
        if self.second_user_id is not None:
            roles["second_user_id"] = self.second_user_id
        return roles

    @property
    def has_second_user(self) -> bool:
        return self.second_user_id is not None and self.second_token is not None


def read_profile(text: str, source: str) -> dict[str, str]:
    """The keys of one profile file, checked for names and types (not merged)."""
    try:
        raw: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TargetProfileError(
            f"target profile {source}: invalid TOML ({exc}); fix the file"
        ) from None
    for key, value in raw.items():
        if key not in KEYS:
            known = ", ".join(KEYS)
            raise TargetProfileError(
                f"target profile {source}: unknown key {key!r}; known keys: {known}"
            )
        if not isinstance(value, str):
            kind = type(value).__name__
            raise TargetProfileError(
                f"target profile {source}: {key!r} must be a string, got {kind} {value!r}; "
                f'quote it ({key} = "{value}")'
            )
        if not value and key not in ("second_user_id", "second_token"):
            raise TargetProfileError(f"target profile {source}: {key!r} is empty; give a value")
        if value and key in ("token", "second_token") and len(value) < MIN_SECRET_LENGTH:
            raise TargetProfileError(
                f"target profile {source}: {key!r} is shorter than {MIN_SECRET_LENGTH} "
                "characters, too short to be masked safely in reports; use a longer one"
            )
    if ("second_user_id" in raw) != ("second_token" in raw):
        raise TargetProfileError(
            f"target profile {source}: give both second_user_id and second_token, or neither"
        )
    return raw


@cache
def reference_profile() -> Mapping[str, str]:
    text = (Path(__file__).parent / "profiles" / "reference.toml").read_text(encoding="utf-8")
    return read_profile(text, REFERENCE)


def load_profile_file(path: Path) -> dict[str, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise TargetProfileError(
            f"target profile {path}: cannot read it ({reason}); pass a readable TOML file"
        ) from None
    return read_profile(text, str(path))


def build_target(overrides: Mapping[str, str], source: str = REFERENCE) -> Target:
    """The reference profile with ``overrides`` applied; short forms follow their extensions."""
    values = dict(reference_profile())
    values.update(overrides)
    for short, extended in SHORT_FORMS.items():
        if short not in overrides:
            values[short] = values[extended].split("*", 1)[-1]
    second_user = values.get("second_user_id") or None
    second_token = values.get("second_token") or None
    return Target(
        **{key: values[key] for key in ROLE_KEYS},
        token=values.get("token") or None,
        second_user_id=second_user if second_token else None,
        second_token=second_token if second_user else None,
        source=source,
    )


def load_target(path: Path | None = None) -> Target:
    """The target described by the profile file at ``path``, or the reference target."""
    if path is None:
        return build_target({})
    return build_target(load_profile_file(path), str(path))
