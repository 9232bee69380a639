"""Redaction, in one place: what must never be printed, and how long a printed body may be.

pytest shows fixture values and locals with ``repr``, captured output as it is, and failure text
as the plugin renders it; every path that prints a token, a body or a header goes through here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

MASK = "***"
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


def mask(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced by the mask."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


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
