"""How a real deployment behaves where the documents leave it free: the reference server's
realistic options and the conforming variants they make.

The reference answers at once, settles every call and effect before its 202 and lists one view
per call. A vendor's PBX conforms just as well when it does none of that (decisions.md): it may
take a moment to answer (``latency``), let a made call ring or answer a moment after the 202
(``answer_delay``, D31) and apply an accepted action a moment after it (``effect_delay``, D31),
list a view per party (``multi_view``, D35), add fields and headers the documents do not name
(``extra_fields``, D36), close the connection after each answer, or send answers in chunks with
no ``Content-Length``. Each is an option of ``uapi-reference-server`` and of the embedded targets;
``CONFORMING`` names the variants the project proves the suite passes.

Delays never sleep under the PBX lock nor hold the event loop: an answer waits with
``anyio.sleep``, and progress and effects wait on the PBX's ``Timeline``.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .pbx import STATUS_ON_CALL, STATUS_RINGING, Call, Pbx, View

__all__ = ["CONFORMING", "Behaviour", "ShapedAnswers", "place"]

# D23: what a made call shows before it settles, and the caller's view while the callee rings.
STATUS_TRYING = "2"
STATUS_OTHER_SIDE_RINGING = "4"
_STATUS_TEXT = {"0": "unknown", "1": "off hook", "2": "trying", "3": "ringing"}
_STATUS_TEXT |= {"4": "other side ringing", "5": "on call"}
# A chunked answer is sent in this many pieces (at least): enough to cross any buffer boundary.
_PIECES = 3


@dataclass(frozen=True)
class Behaviour:
    """The realistic options; the defaults are the reference (immediate, one view, plain)."""

    latency: float = 0.0
    """Seconds each answer waits before it is sent."""
    answer_delay: float = 0.0
    """Seconds a made call stays trying (status 2) before it rings or is answered."""
    effect_delay: float = 0.0
    """Seconds an accepted action (hang-up included) takes to show its effect."""
    multi_view: bool = False
    """A view for the caller and one for each destination, with ids other than "01"."""
    extra_fields: bool = False
    """Fields and headers the documents do not name, in every answer."""
    close_connections: bool = False
    """``Connection: close`` on every answer."""
    chunked: bool = False
    """Answers with a body are sent in pieces, without ``Content-Length``."""

    def __post_init__(self) -> None:
        for name in ("latency", "answer_delay", "effect_delay"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a number of seconds >= 0, not {value!r}")

    @property
    def shapes_answers(self) -> bool:
        return bool(self.latency or self.extra_fields or self.close_connections or self.chunked)

    def describe(self) -> str:
        """The options that differ from the reference, as the embedded targets spell them."""
        parts = []
        for item in fields(self):
            value = getattr(self, item.name)
            if value == item.default:
                continue
            key = item.name.replace("_", "-")
            parts.append(key if value is True else f"{key}={value:g}")
        return ",".join(parts) or "reference"


CONFORMING: Mapping[str, str] = {
    "unknown-fields": "extra-fields",
    "multi-view": "multi-view",
    "asynchronous": "answer-delay=0.1,effect-delay=0.1",
    "close-connections": "close-connections",
    "chunked": "chunked",
    "prefix": "prefix=/pbx/v1",
    "everything": (
        "latency=0.005,answer-delay=0.1,effect-delay=0.1,multi-view,extra-fields,"
        "close-connections,chunked,prefix=/pbx"
    ),
}
"""Variants a vendor's server may legitimately be, as ``--uapi-reference-options`` values: both
profiles must pass each (D1 prefix, D31, D35, D36; connection handling and framing are HTTP's)."""


# --- made calls: several views and asynchronous progress -------------------------------------


def place(pbx: Pbx, call: Call, behaviour: Behaviour) -> Call:
    """Store a just-made ``call`` as the server first lists it; schedule how it settles.

    Called under the PBX lock, right after ``Pbx.make_call`` stored the call as it settles.
    """
    settled = _with_party_views(pbx, call) if behaviour.multi_view else call
    if behaviour.answer_delay <= 0:
        return pbx.store(settled) if settled is not call else call
    trying = replace(
        settled,
        answered=None,
        views=tuple(replace(v, status=STATUS_TRYING, answered=None) for v in settled.views),
    )
    pbx.store(trying)
    pbx.later(behaviour.answer_delay, trying, lambda current: _progressed(pbx, current, settled))
    return trying


def _progressed(pbx: Pbx, call: Call, settled: Call) -> Call:
    """``call`` with each view still trying in the state it settles in (answered now, if so).

    A view an action reached first keeps what the action made of it.
    """
    now = pbx.now()
    final = {view.id: view for view in settled.views}
    views = []
    for view in call.views:
        target = final.get(view.id)
        if view.status != STATUS_TRYING or target is None:
            views.append(view)
            continue
        answered = now if target.status == STATUS_ON_CALL else None
        views.append(replace(view, status=target.status, answered=answered))
    any_answered = any(v.status == STATUS_ON_CALL for v in views)
    return replace(
        call, views=tuple(views), answered=call.answered or (now if any_answered else None)
    )


def _with_party_views(pbx: Pbx, call: Call) -> Call:
    """The call as a PBX with a view per party lists it (D35): the caller's view, which shows
    the other side ringing while no destination has answered, and one view per destination."""
    [made] = call.views
    organization = call.organization.id
    parties = []
    for number, destination in enumerate(made.destination, start=1):
        # A destination's view is that extension's; a public number's is the caller's leg.
        extension = pbx.dataset.resolve_extension(destination, organization)
        answers = pbx.answers(destination, organization)
        parties.append(
            replace(
                made,
                id=f"v{number + 1}",
                extension=extension.number if extension is not None else made.extension,
                destination=(destination,),
                status=STATUS_ON_CALL if answers else STATUS_RINGING,
                answered=made.answered if answers else None,
            )
        )
    caller_status = made.status if made.status == STATUS_ON_CALL else STATUS_OTHER_SIDE_RINGING
    caller = replace(made, id="v1", status=caller_status)
    views: tuple[View, ...] = (caller, *parties)
    return replace(call, views=views)


# --- answers: latency, unknown fields, connections, framing ---------------------------------


class ShapedAnswers:
    """ASGI middleware: every answer of ``app`` as ``behaviour`` sends it."""

    def __init__(self, app: ASGIApp, behaviour: Behaviour) -> None:
        self.app = app
        self.behaviour = behaviour
        self._numbers = itertools.count(1)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        b = self.behaviour
        whole = b.extra_fields or b.chunked  # the body is needed whole to rewrite or cut it
        number = next(self._numbers)
        head: dict[str, Any] = {}
        parts: list[bytes] = []

        async def answer(message: Message) -> None:
            if message["type"] == "http.response.start":
                if whole:
                    head.update(message)
                    return
                await anyio.sleep(b.latency)
                await send(self._head(message, None, number))
                return
            if message["type"] != "http.response.body" or not whole:
                await send(message)
                return
            parts.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await anyio.sleep(b.latency)
            await self._send_whole(send, head, b"".join(parts), scope, number)

        await self.app(scope, receive, answer)

    def _head(self, start: Message, length: int | None, number: int) -> Message:
        """The answer's head with this behaviour's headers. ``length``: the body's, when it was
        rewritten; -1 when it goes out in chunks; None to keep what the app said."""
        b = self.behaviour
        headers = list(start.get("headers", []))
        if length is not None:
            headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
            if length >= 0:
                headers.append((b"content-length", str(length).encode()))
        if b.close_connections:
            headers.append((b"connection", b"close"))
        if b.extra_fields:
            headers = [(k, _with_charset(k, v)) for k, v in headers]
            headers.append((b"x-uapi-request", str(number).encode()))
        return {**start, "headers": headers}

    async def _send_whole(
        self, send: Send, start: Message, body: bytes, scope: Scope, number: int
    ) -> None:
        sent = _with_unknown_fields(start, body, number) if self.behaviour.extra_fields else body
        # A HEAD answer says what a GET would carry and sends nothing (the server drops it).
        cut = self.behaviour.chunked and bool(sent) and scope.get("method") != "HEAD"
        # An unchanged body keeps the app's framing (a 204 has no Content-Length at all).
        length = -1 if cut else None if sent == body else len(sent)
        body = sent
        await send(self._head(start, length, number))
        if not cut:
            await send({"type": "http.response.body", "body": body})
            return
        size = max(1, math.ceil(len(body) / _PIECES))
        for offset in range(0, len(body), size):
            piece = body[offset : offset + size]
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": b""})


def _with_charset(name: bytes, value: bytes) -> bytes:
    """D36: ``application/json`` with parameters is JSON too."""
    if name.lower() == b"content-type" and value == b"application/json":
        return value + b"; charset=utf-8"
    return value


def _with_unknown_fields(start: Message, body: bytes, number: int) -> bytes:
    """``body`` with fields the documents do not name, when it is JSON (D36)."""
    types = [v for k, v in start.get("headers", []) if k.lower() == b"content-type"]
    if not body or not types or not types[0].startswith(b"application/json"):
        return body
    value = _decorated(json.loads(body), number)
    return json.dumps(value, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def _decorated(value: Any, number: int) -> Any:
    """Unknown fields on every object the server answers with, by its shape."""
    if isinstance(value, list):
        return [_decorated(item, number) for item in value]
    if not isinstance(value, dict):
        return value
    out = dict(value)
    if isinstance(out.get("error"), dict):
        out["error"] = {**out["error"], "details": [], "documentation": None}
        out["requestId"] = f"req-{number}"
    elif isinstance(out.get("entry"), list):
        out["entry"] = [_phone_call(e) if isinstance(e, dict) else e for e in out["entry"]]
        out |= {"total": len(out["entry"]), "offset": 0, "next": None}
    elif "phoneCallView" in out:
        out = _phone_call(out)
    elif "id" in out:
        out |= {"accepted": datetime.now(UTC).isoformat(), "requestId": f"req-{number}"}
    return out


def _phone_call(call: dict[str, Any]) -> dict[str, Any]:
    """A PhoneCall with a duration that grows between reads and vendor fields on every view."""
    out = dict(call)
    published = out.get("published")
    try:
        started = datetime.fromisoformat(str(published))
        out["duration"] = max(0, round((datetime.now(UTC) - started).total_seconds(), 3))
    except ValueError:
        out["duration"] = 0
    out["vendor"] = {"node": "reference-1", "recording": None}
    views = out.get("phoneCallView")
    if isinstance(views, list):
        out["phoneCallView"] = [
            {**v, "statusText": _STATUS_TEXT.get(str(v.get("status")), "unknown"), "codec": "PCMA"}
            if isinstance(v, dict)
            else v
            for v in views
        ]
    return out
