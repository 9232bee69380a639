"""One request sent to the target and what came back: the unit every failure report shows."""

from __future__ import annotations

from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class Exchange:
    request: httpx.Request
    response: httpx.Response | None
    error: str | None = None
    """Why no response came back (timeout, refused connection, oversized body, ...)."""
    elapsed: float = 0.0
