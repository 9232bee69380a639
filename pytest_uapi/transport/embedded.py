"""The reference server as a target: in-process (``embedded``) or on a local port
(``embedded-http``). The only module of the plugin that imports the reference server.

``embedded`` talks to the ASGI app without a socket. httpx only speaks ASGI asynchronously while
pytest tests are synchronous, so ``PortalTransport`` runs the async transport on an event loop in
a helper thread (an anyio blocking portal) and hands back fully read responses.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING

import anyio.from_thread
import httpx

if TYPE_CHECKING:
    from starlette.types import ASGIApp

    from ..settings.reference_options import ReferenceOptions

from .curl import EMBEDDED_BASE_URL

__all__ = ["EMBEDDED_BASE_URL", "PortalTransport", "embedded_server", "embedded_transport"]


class PortalTransport(httpx.BaseTransport):
    """A synchronous httpx transport that serves requests from an ASGI app in-process."""

    def __init__(self, app: ASGIApp) -> None:
        # raise_app_exceptions=False: a crash in the app is a 500 answer, as from a real server,
        # and the check that sees it reports the exchange instead of a traceback of the app.
        self._asgi = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self._stack = ExitStack()
        self._portal = self._stack.enter_context(
            anyio.from_thread.start_blocking_portal(name="uapi-embedded")
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._portal.call(self._handle, request)

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        response = await self._asgi.handle_async_request(request)
        # The body is read on the loop: an async stream cannot be read from the caller's thread.
        # Raw, as a socket would give it: the client decodes it within its bounds.
        try:
            content = b"".join([part async for part in response.aiter_raw()])
        finally:
            await response.aclose()
        return httpx.Response(
            response.status_code, headers=response.headers, stream=httpx.ByteStream(content)
        )

    def close(self) -> None:
        self._stack.close()


def fault_problem(name: str) -> str | None:
    """Why ``name`` is not a fault or variant the reference server serves; None if it is."""
    from ..reference.faults import VARIANTS, catalogue

    if name in catalogue() or name in VARIANTS:
        return None
    return f"no fault named {name!r}; uapi-reference-server --list-faults lists them"


def _app(fault: str | None, options: ReferenceOptions | None) -> ASGIApp:
    """A fresh reference app (the shipped dataset) with ``fault`` and behaving as ``options``."""
    from ..reference import create_app
    from ..reference.behaviour import Behaviour

    behaviour = Behaviour(**options.behaviour()) if options is not None else None
    return create_app(fault=fault, behaviour=behaviour)


@contextmanager
def embedded_transport(
    fault: str | None = None, options: ReferenceOptions | None = None
) -> Iterator[PortalTransport]:
    """A transport to a fresh reference app, closed on exit; mounted at ``options.prefix``
    (the base URL is then ``EMBEDDED_BASE_URL`` + the prefix)."""
    from ..reference.background import mount

    prefix = options.prefix if options is not None else ""
    transport = PortalTransport(mount(_app(fault, options), prefix))
    try:
        yield transport
    finally:
        transport.close()


@contextmanager
def embedded_server(
    fault: str | None = None, options: ReferenceOptions | None = None
) -> Iterator[str]:
    """A fresh reference app served over HTTP on 127.0.0.1; yields its base URL (with
    ``options.prefix``)."""
    from ..reference.background import BackgroundServer

    prefix = options.prefix if options is not None else ""
    with BackgroundServer(_app(fault, options), prefix=prefix) as server:
        yield str(server.url).rstrip("/")
