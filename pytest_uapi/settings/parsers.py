"""Parsers of the settings' raw text: each returns the value or raises ``ValueError`` naming the
fix; the caller adds where the value came from ("--uapi-timeout: ...", "UAPI_TIMEOUT: ...").
"""

from __future__ import annotations

import difflib
import math
import ssl
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from ..transport.redaction import MIN_SECRET_LENGTH
from .options import DEFAULT_MAX_RESPONSE

EMBEDDED = "embedded"
EMBEDDED_HTTP = "embedded-http"

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def parse_url(value: str) -> str:
    """``embedded``, ``embedded-http`` or an http(s) origin with an optional path prefix.

    The URL comes back without a trailing slash, so that joining ``/uapi/...`` never doubles it.
    """
    text = value.strip()
    if text in (EMBEDDED, EMBEDDED_HTTP):
        return text
    if "://" not in text:
        raise ValueError(
            f"malformed URL {value!r}; write it as http(s)://host[:port][/prefix], "
            f"or use {EMBEDDED} or {EMBEDDED_HTTP}"
        )
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - urlsplit checks the port only when it is read
    except ValueError as exc:
        raise ValueError(f"malformed URL {value!r} ({exc}); check the host and port") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(
            f"unknown scheme {parts.scheme!r} in {value!r}; use http:// or https://, "
            f"or {EMBEDDED} or {EMBEDDED_HTTP}"
        )
    if not parts.hostname:
        raise ValueError(f"malformed URL {value!r}: no host; write it as {scheme}://host[:port]")
    if parts.username is not None or parts.password is not None:
        raise ValueError("credentials in the URL: remove them and pass --uapi-token instead")
    if parts.query or parts.fragment:
        raise ValueError(f"URL {value!r} has a query or fragment; give only origin and prefix")
    return f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def parse_bool(value: str | bool) -> bool:
    if isinstance(value, bool):
        return value
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"not a boolean: {value!r}; use 1/true/yes or 0/false/no")


def parse_timeout(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"timeout {value!r} is not a number of seconds > 0; pass e.g. 10")
    return seconds


def parse_settle(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"settle {value!r} is not a number of seconds >= 0; pass e.g. 5")
    return seconds


def parse_count(value: str) -> int:
    try:
        count = int(value.strip())
    except ValueError:
        count = 0
    if count <= 0:
        raise ValueError(f"{value!r} is not a whole number > 0; pass e.g. 8")
    return count


def parse_seed(value: str) -> int | Literal["last"]:
    text = value.strip()
    if text.lower() == "last":
        return "last"
    try:
        seed = int(text)
    except ValueError:
        seed = -1
    if seed < 0:
        raise ValueError(f"seed {value!r} is not a non-negative integer; pass e.g. 1234 or last")
    return seed


def parse_requirements(value: str) -> tuple[str, ...]:
    from ..contract import load_contract

    ids = tuple(part.strip() for part in value.split(",") if part.strip())
    known = [r.id for r in load_contract().requirements]
    unknown = [i for i in ids if i not in known]
    if unknown or not ids:
        guesses = [g for i in unknown for g in difflib.get_close_matches(i, known, n=1)]
        hint = f"did you mean {', '.join(guesses)}? " if guesses else ""
        raise ValueError(
            f"no requirement {', '.join(unknown) or value!r} in the contract; {hint}"
            "pytest --uapi-list-requirements lists them"
        )
    return ids


def parse_token(value: str, what: str = "the token", *, secret: bool = True) -> str:
    token = value.strip()
    if not token or any(c.isspace() or not c.isprintable() for c in token):
        # never echo the value: it is a secret, even when it is a broken one
        raise ValueError(f"{what} is empty or contains whitespace; pass the bare value")
    if secret:
        check_secret_length(token, what)
    return token


def check_secret_length(value: str, what: str) -> None:
    """Refuse a secret too short to mask: hiding it would hide ordinary text that contains it."""
    if len(value) < MIN_SECRET_LENGTH:
        raise ValueError(
            f"{what} is shorter than {MIN_SECRET_LENGTH} characters, too short to be masked "
            "safely in reports (masking it would cut pieces out of ordinary text, call ids and "
            "names, and give it away); use a longer one"
        )


def parse_client_secret(value: str) -> str:
    return parse_token(value, "the client secret")


def parse_client_id(value: str) -> str:
    return parse_token(value, "the client id", secret=False)


def parse_max_response(value: str) -> int:
    try:
        size = int(value.strip())
    except ValueError:
        size = 0
    if size <= 0:
        raise ValueError(
            f"{value!r} is not a number of bytes > 0; pass e.g. {DEFAULT_MAX_RESPONSE}"
        )
    return size


def check_ca_bundle(path: Path) -> None:
    try:
        ssl.create_default_context(cafile=str(path))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ValueError(
            f"cannot read CA bundle {str(path)!r} ({reason}); pass a PEM file"
        ) from None
