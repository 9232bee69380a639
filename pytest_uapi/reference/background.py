"""Run an ASGI app with uvicorn in a daemon thread, on a free loopback port.

Used by the reference server's own tests and by the plugin (``--uapi-url embedded-http``): the
suite then talks to the server over real HTTP, the way it talks to a vendor's deployment, without
a second process to manage.
"""

from __future__ import annotations

import json
import threading
import time
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from .connections import DEFAULT_IDLE_TIMEOUT, uvicorn_idle_settings

__all__ = ["BackgroundServer", "mount"]

_HOST = "127.0.0.1"


class _Prefixed:
    """Serve ``app`` under a path prefix (D1: a base URL may carry one), and nothing else.

    ASGI puts the full path in ``path`` and the mount point in ``root_path``; Starlette routes on
    the remainder and the reference app builds its self links from ``root_path``, so the links
    keep the prefix.
    """

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(self.prefix + "/"):
            root_path = scope.get("root_path", "") + self.prefix
            await self.app({**scope, "root_path": root_path}, receive, send)
            return
        body = json.dumps(
            {"error": {"code": "not_found", "message": f"Nothing is served outside {self.prefix}"}}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 404,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _normalise_prefix(prefix: str) -> str:
    prefix = prefix.strip("/")
    return f"/{prefix}" if prefix else ""


def mount(app: ASGIApp, prefix: str) -> ASGIApp:
    """``app`` served under ``prefix`` only (``app`` itself when there is none)."""
    prefix = _normalise_prefix(prefix)
    return _Prefixed(app, prefix) if prefix else app


class BackgroundServer:
    """Serve ``app`` over HTTP on ``127.0.0.1`` (a free port) while the ``with`` block runs.

    ``url`` is the base URL to give clients, e.g. ``http://127.0.0.1:54321`` or, with
    ``prefix="/pbx"``, ``http://127.0.0.1:54321/pbx``. Leaving the block stops uvicorn and joins
    its thread. A connection that sends no complete request head for ``idle_timeout`` seconds
    (after it opened or after its last answer), or takes nothing of a full send buffer for as
    long, is closed (``connections.idle_h11``).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        prefix: str = "",
        start_timeout: float = 10.0,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
    ) -> None:
        self.prefix = _normalise_prefix(prefix)
        served = mount(app, self.prefix)
        self.start_timeout = start_timeout
        self._config = uvicorn.Config(
            served,
            host=_HOST,
            port=0,
            log_level="warning",
            # Leave the host process's logging alone (pytest captures it) and skip what the
            # reference server never needs.
            log_config=None,
            lifespan="off",
            access_log=False,
            ws="none",
            timeout_graceful_shutdown=5,
            **uvicorn_idle_settings(idle_timeout),
        )
        self._server = uvicorn.Server(self._config)
        self._thread: threading.Thread | None = None
        self._url: str | None = None
        self._exit_status: int | str | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("BackgroundServer.url is known only while the server runs")
        return self._url

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("BackgroundServer is already running")
        self._thread = threading.Thread(
            target=self._run, name="uapi-background-server", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + self.start_timeout
        while not self._server.started:
            if not self._thread.is_alive():
                self._thread = None
                raise RuntimeError(
                    "the background HTTP server stopped while starting"
                    f" (exit status {self._exit_status})"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"the background HTTP server did not start within {self.start_timeout:g} s"
                )
            time.sleep(0.005)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self._url = f"http://{_HOST}:{port}{self.prefix}"

    def _run(self) -> None:
        try:
            self._server.run()
        except SystemExit as exc:
            # uvicorn exits when it cannot bind or start; start() reports it in this thread's
            # stead, rather than an unhandled exception in a thread nobody joins.
            self._exit_status = exc.code

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        self._url = None
        if thread is None:
            return
        self._server.should_exit = True
        thread.join(timeout=10)
        if thread.is_alive():
            self._server.force_exit = True
            thread.join(timeout=5)

    def __enter__(self) -> BackgroundServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = self._url or "stopped"
        return f"<BackgroundServer {state}>"
