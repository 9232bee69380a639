"""How long the server waits for a client: the deadlines uvicorn 0.54 does not keep itself.

uvicorn's h11 protocol closes a kept-alive connection ``timeout_keep_alive`` seconds after an
answer, but arms that timer only after an answer and disarms it at the first byte received. So a
connection that never sends a request, or sends its head a byte now and then, stays open for
ever, and enough of them exhaust the server's file descriptors; and nothing bounds a client that
stops reading a long answer. ``idle_h11(seconds)`` is uvicorn's own protocol with both bounds,
given to uvicorn as its ``http`` protocol class (``BackgroundServer`` and the CLI use it):

- a connection must deliver a complete request head within ``seconds`` of being opened or of
  its previous answer; bytes that trickle in do not extend that;
- once the answer fills the send buffer, the client must take some of it within ``seconds``.

A request whose head has come but whose body has not is the app's to bound (``read_body``).
"""

from __future__ import annotations

import asyncio
import math
import re
from typing import Any

import anyio
from starlette.requests import Request
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = [
    "DEFAULT_IDLE_TIMEOUT",
    "BodyTimeout",
    "BodyTooLarge",
    "idle_h11",
    "read_body",
    "uvicorn_idle_settings",
]

# Generous for any client that means to send a request, short for a socket held open.
DEFAULT_IDLE_TIMEOUT = 5.0
# ASCII digits only: str.isdigit() also accepts characters int() refuses, such as "\u00b2".
_DECIMAL_LENGTH = re.compile(r"[0-9]{1,18}")


class _IdleH11(H11Protocol):
    """uvicorn's h11 protocol with a deadline on each request head and on a stalled answer."""

    idle_timeout = DEFAULT_IDLE_TIMEOUT
    _head_deadline: asyncio.TimerHandle | None = None
    _write_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_request()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._await_request()

    def _await_request(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
        if not self.transport.is_closing():
            self._head_deadline = self.loop.call_later(self.idle_timeout, self._head_overdue)

    def _head_overdue(self) -> None:
        self._head_deadline = None
        if self.cycle is not None and not self.cycle.response_complete:
            return  # a request came and is being answered: its answer sets the next deadline
        self.transport.close()

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._write_deadline is None:
            self._write_deadline = self.loop.call_later(self.idle_timeout, self._write_overdue)

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._write_deadline is not None:
            self._write_deadline.cancel()
            self._write_deadline = None

    def _write_overdue(self) -> None:
        # The client has not taken a byte of a full buffer: drop it and the connection.
        self._write_deadline = None
        self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        for deadline in (self._head_deadline, self._write_deadline):
            if deadline is not None:
                deadline.cancel()
        self._head_deadline = self._write_deadline = None
        super().connection_lost(exc)


def idle_h11(seconds: float) -> type[H11Protocol]:
    """uvicorn's h11 protocol, closing connections idle for ``seconds`` (see the module)."""
    if not seconds > 0:
        raise ValueError(f"the idle timeout must be a positive number of seconds, not {seconds}")

    class IdleH11(_IdleH11):
        idle_timeout = float(seconds)

    return IdleH11


def uvicorn_idle_settings(seconds: float) -> dict[str, Any]:
    """The ``uvicorn.Config`` settings for connections idle at most ``seconds``.

    uvicorn's own keep-alive timeout is whole seconds; the protocol keeps the exact bound.
    """
    return {"http": idle_h11(seconds), "timeout_keep_alive": max(1, math.ceil(seconds))}


class BodyTooLarge(Exception):
    """The body is larger than the limit (declared or as it streamed in)."""


class BodyTimeout(Exception):
    """The body did not arrive in time."""


async def read_body(request: Request, *, limit: int, timeout: float) -> bytes:
    """The whole body, at most ``limit`` bytes, within ``timeout`` seconds.

    Raises ``BodyTooLarge``, ``BodyTimeout`` or Starlette's ``ClientDisconnect``. A
    ``Content-Length`` over the limit is refused before a byte is read.
    """
    declared = request.headers.get("content-length", "")
    if _DECIMAL_LENGTH.fullmatch(declared) and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    with anyio.move_on_after(timeout) as scope:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge
            chunks.append(chunk)
    if scope.cancelled_caught:
        raise BodyTimeout
    return b"".join(chunks)
