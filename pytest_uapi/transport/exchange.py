"""The ground types of a conversation with the target: one ``Exchange`` (a request sent and what
came back), and ``CheckFailure``, raised when an exchange shows the target at fault.

Both are plain data. The transport raises a ``CheckFailure`` when no complete answer came back;
the checks raise one when an answer breaks the contract; ``checking.render`` turns one into the
text a report shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx


@dataclass(frozen=True)
class Exchange:
    """One request sent to the target and its answer (or why none came: ``error``)."""

    request: httpx.Request
    response: httpx.Response | None
    error: str | None = None
    """Why no response came back (timeout, refused connection, oversized body, ...)."""
    elapsed: float = 0.0

    @property
    def status(self) -> int:
        """The answer's status code (an exchange without an answer raised ``CheckFailure``)."""
        assert self.response is not None, self.error
        return self.response.status_code

    @property
    def accepted(self) -> bool:
        """A 2xx answer."""
        return self.response is not None and 200 <= self.response.status_code < 300

    def json(self) -> Any:
        """The answer's body as JSON, or None when it is not JSON (or there is no answer)."""
        if self.response is None:
            return None
        try:
            return self.response.json()
        except ValueError:
            return None


@dataclass
class CheckFailure(AssertionError):
    """The target did something the contract forbids, or gave no answer: what, and the proof."""

    title: str
    expected: str
    received: str
    requirements: tuple[str, ...]
    exchange: Exchange | None = None
    details: Sequence[str] = field(default_factory=tuple)

    def __str__(self) -> str:
        return f"{self.title}: expected {self.expected}, received {self.received}"
