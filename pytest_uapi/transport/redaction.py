"""Redaction, in one place: what must never be printed, and how long a printed body may be.

pytest shows fixture values and locals with ``repr``, captured output as it is, and failure text
as the plugin renders it; every path that prints a token, a body or a header goes through here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import quote, quote_plus

MASK = "***"
MIN_SECRET_LENGTH = 8
"""Shorter tokens and secrets are refused: masking them would hide pieces of ordinary text (a
call id, a name), and those pieces would then tell what the secret is."""
# The characters a token is made of, besides punctuation: a secret next to one of them is part
# of a longer word (a call id, another token) and is left alone.
_WORD = "A-Za-z0-9_-"
# What may stand right before an echoed secret without being part of it: an escape of JSON
# (\n, \u00e9) or of a URL (%0A) ends in a letter or digit, and still separates.
_ESCAPED_BEFORE = r"(?<=\\[nrtbf\"/])|(?<=\\u[0-9A-Fa-f]{4})|(?<=%[0-9A-Fa-f]{2})"
FAILURE_BODY_LIMIT = 600
"""Characters of an answer's body shown in a failure message: enough to see what went wrong."""
REPORT_BODY_LIMIT = 4096
"""Characters of a body kept in the JSON report: enough for any contract answer, bounded for a
server that answers megabytes."""


class Secret(str):
    """A token or client secret; ``repr`` masks it (``-l`` locals, assertion messages)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(MASK)


class IssuedToken(Secret):
    """A token fetched with OAuth client credentials: clients given it renew it on expiry."""

    __slots__ = ()


def spellings(secret: str) -> set[str]:
    """``secret`` as sent and as a server may echo it: URL-encoded (path and form styles) and
    JSON-escaped (ASCII-only or not, with ``/`` escaped as PHP's json_encode does, or not)."""
    escaped = {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    escaped |= {text.replace("/", "\\/") for text in escaped}
    return {secret, quote(secret, safe=""), quote_plus(secret), *escaped}


def _occurrence(text: str) -> str:
    """A pattern matching ``text`` as a whole: not inside a longer word (see ``_WORD``)."""
    before = f"(?:(?<![{_WORD}])|{_ESCAPED_BEFORE})" if re.match(f"[{_WORD}]", text) else ""
    after = f"(?![{_WORD}])" if re.match(f"[{_WORD}]", text[-1]) else ""
    return f"{before}{re.escape(text)}{after}"


@lru_cache(maxsize=64)
def _pattern(secrets: tuple[str, ...]) -> re.Pattern[str] | None:
    forms = {form for secret in secrets if secret for form in spellings(secret)}
    if not forms:
        return None
    # Longest first: a spelling that contains another is masked whole.
    ordered = sorted(forms, key=lambda form: (-len(form), form))
    return re.compile("|".join(_occurrence(form) for form in ordered))


def mask(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every whole occurrence of a secret, in any of its ``spellings``, replaced
    by the mask; a secret inside a longer word (``abc`` in ``abc123``) is not one."""
    pattern = _pattern(tuple(secrets))
    return text if pattern is None else pattern.sub(MASK, text)


def mask_authorization(value: str) -> str:
    """An Authorization header value with its credentials masked, its scheme kept."""
    scheme, _, credentials = value.partition(" ")
    return f"{scheme} {MASK}" if credentials else MASK


def cut(text: str, limit: int = FAILURE_BODY_LIMIT) -> str:
    """``text``, or its first ``limit`` characters and how many more there were."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters)"


def body_text(raw: bytes) -> str:
    """A body as one line of text: JSON re-serialized compactly, anything else decoded."""
    try:
        return json.dumps(json.loads(raw), ensure_ascii=False)
    except ValueError:
        return raw.decode("utf-8", errors="replace")
