"""``--uapi-reference-options``: how the embedded reference server behaves.

    --uapi-reference-options "latency=0.05,answer-delay=0.3,effect-delay=0.3,multi-view"

The same options as ``uapi-reference-server``'s flags, spelled without the dashes in front:
delays in seconds (``latency``, ``answer-delay``, ``effect-delay``), switches (``multi-view``,
``extra-fields``, ``close-connections``, ``chunked``; ``=no`` turns one off again) and
``prefix=/path`` to mount the server under a path (D1). Parsed here, without importing the
reference server: ``transport.embedded`` turns them into its ``Behaviour``.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, fields, replace
from typing import Any

from .parsers import parse_bool

# A path prefix of plain segments: nothing a URL would need to escape, and never /uapi itself.
_PREFIX = re.compile(r"(/[A-Za-z0-9._~-]+)+")
_SEPARATORS = re.compile(r"[,\s]+")


@dataclass(frozen=True)
class ReferenceOptions:
    """The embedded reference server's options; the defaults are the reference."""

    latency: float = 0.0
    answer_delay: float = 0.0
    effect_delay: float = 0.0
    multi_view: bool = False
    extra_fields: bool = False
    close_connections: bool = False
    chunked: bool = False
    prefix: str = ""

    def behaviour(self) -> dict[str, Any]:
        """The keyword arguments of the reference server's ``Behaviour`` (all but ``prefix``)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "prefix"}

    @property
    def longest_delay(self) -> float:
        """The longest a call or an effect takes to settle after its 202 (D31)."""
        return max(self.answer_delay, self.effect_delay)

    def describe(self) -> str:
        """The options that differ from the reference, as they are written."""
        parts = []
        for item in fields(self):
            value = getattr(self, item.name)
            if value == item.default:
                continue
            key = _key(item.name)
            parts.append(
                key
                if value is True
                else f"{key}={value:g}"
                if item.type == "float"
                else f"{key}={value}"
            )
        return ",".join(parts)


def _key(name: str) -> str:
    return name.replace("_", "-")


KEYS = tuple(_key(f.name) for f in fields(ReferenceOptions))


def _seconds(key: str, text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{key}={text!r} is not a number of seconds >= 0; write e.g. {key}=0.3")
    return seconds


def _switch(key: str, text: str | None) -> bool:
    if text is None:
        return True
    try:
        return parse_bool(text)
    except ValueError:
        raise ValueError(f"{key}={text!r} is not yes or no; write {key} or {key}=no") from None


def _prefix(text: str) -> str:
    prefix = "/" + text.strip("/") if text.strip("/") else ""
    if prefix and (not _PREFIX.fullmatch(prefix) or prefix.split("/")[1] == "uapi"):
        raise ValueError(
            f"prefix={text!r} is not a path of plain segments outside /uapi; write e.g. prefix=/pbx"
        )
    return prefix


def parse_reference_options(value: str) -> ReferenceOptions:
    """``key=value`` items separated by commas or spaces; a switch may stand alone."""
    changes: dict[str, Any] = {}
    types = {_key(f.name): (f.name, f.type) for f in fields(ReferenceOptions)}
    for item in _SEPARATORS.split(value.strip()):
        if not item:
            continue
        key, sep, text = item.partition("=")
        key = key.strip().lower().replace("_", "-")
        if key not in types:
            guesses = difflib.get_close_matches(key, KEYS, n=1)
            hint = f" (did you mean {guesses[0]}?)" if guesses else ""
            raise ValueError(f"unknown option {key!r}{hint}; known: {', '.join(KEYS)}")
        name, kind = types[key]
        if name in changes:
            raise ValueError(f"{key} is given twice; give it once")
        if kind == "bool":
            changes[name] = _switch(key, text if sep else None)
        elif not sep:
            example = "prefix=/pbx" if name == "prefix" else f"{key}=0.3"
            raise ValueError(f"{key} needs a value; write e.g. {example}")
        elif name == "prefix":
            changes[name] = _prefix(text)
        else:
            changes[name] = _seconds(key, text)
    return replace(ReferenceOptions(), **changes)
