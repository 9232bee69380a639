"""Strings that must never be printed: pytest shows fixture values and locals with ``repr``."""

from __future__ import annotations

MASK = "***"


class Secret(str):
    """A token or client secret; ``repr`` masks it (``-l`` locals, assertion messages)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(MASK)


class IssuedToken(Secret):
    """A token fetched with OAuth client credentials: clients given it renew it on expiry."""

    __slots__ = ()
