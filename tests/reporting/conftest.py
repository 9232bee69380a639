"""A target that fails a few checks, served over HTTP, for the reporting tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pytest_uapi.reference import BackgroundServer, create_app

WRONG_CODE = b"wrong_code"
BROKEN_CODE = b"pc_sendcallto_invalid"


class RenameErrorCode:
    """Answers ``wrong_code`` where the contract wants ``pc_sendcallto_invalid``: the checks of
    that code fail, everything else passes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message = {}

        async def rewrite(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message  # held back until the body's length is known
                return
            if message["type"] == "http.response.body" and start:
                body = message.get("body", b"").replace(BROKEN_CODE, WRONG_CODE)
                headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
                headers.append((b"content-length", str(len(body)).encode()))
                await send({**start, "headers": headers})
                start = {}
                message = {**message, "body": body}
            await send(message)

        await self.app(scope, receive, rewrite)


@pytest.fixture(scope="session")
def broken_url() -> Iterator[str]:
    """Base URL of a reference server whose ``pc_sendcallto_invalid`` answers are wrong."""
    with BackgroundServer(RenameErrorCode(create_app())) as server:
        yield server.url
