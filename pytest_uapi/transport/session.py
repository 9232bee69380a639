"""The session-wide connection to the target, shared by every test's client."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from .bounds import Deadline
from .cleanup import Interrupts, LiveCalls

if TYPE_CHECKING:
    import httpx


class TokenSource(Protocol):
    """Where a session's bearer token comes from when it is fetched (OAuth client credentials)."""

    issued: list[str]
    """Every token handed out so far: reports mask them like the configured secrets."""

    def token(self, session: Session) -> str:
        """A token that has not expired."""
        ...


@dataclass(frozen=True)
class Session:
    """The session-wide connection to the target."""

    http: httpx.Client
    base_url: str
    """Scheme, host, port and path prefix, without trailing slash."""
    timeout: float
    """Seconds for a whole exchange: connect, send, and read the answer to its last byte."""
    rebase_links: bool = False
    max_response: int = 1024 * 1024
    """Bytes of answer body read at most; past them the exchange fails."""
    deadline: Deadline = field(default_factory=Deadline)
    credentials: TokenSource | None = None
    """OAuth 2.0 client credentials, when the token is fetched from the target."""
    live: LiveCalls = field(default_factory=LiveCalls)
    """The calls made in this session and not hung up yet."""
    interrupts: Interrupts | None = None
    """The process's signal handling, when the plugin installed it: exchanges hold signals."""
