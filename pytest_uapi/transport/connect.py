"""Opening the session: start the target if it is embedded, build the HTTP client and its bounds."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING

import httpx

from .bounds import Deadline, install_deadline
from .cleanup import Interrupts
from .decoding import ACCEPT_ENCODING
from .session import Session, TokenSource

if TYPE_CHECKING:
    from ..settings.resolve import Settings


KEEPALIVE_EXPIRY = 2.0
"""Seconds a kept-alive connection may stay idle before the client drops it. Servers close idle
connections after their own timeout (5 s for uvicorn, Apache and Node); a request sent on one as
it closes gets no answer, and httpx's default expiry, 5 s, meets those timeouts exactly (tests
idle that long waiting for a role under xdist). Well under them, a connection is never reused
when the server may be closing it; a new one costs a round trip."""

LIMITS = httpx.Limits(
    max_connections=100, max_keepalive_connections=20, keepalive_expiry=KEEPALIVE_EXPIRY
)
"""httpx's default pool (one client per process is plenty for one worker's tests and its calls
made ahead), with ``KEEPALIVE_EXPIRY``."""


@contextmanager
def open_session(settings: Settings, interrupts: Interrupts | None = None) -> Iterator[Session]:
    """Start the target if it is embedded, open the client; close both on exit. ``interrupts``:
    the process's signal handling, which the session's exchanges hold off while in flight."""
    with ExitStack() as stack:
        transport: httpx.BaseTransport | None = None
        trust_env = True
        if settings.kind == "embedded":
            from .embedded import EMBEDDED_BASE_URL, embedded_transport

            options = settings.reference
            transport = stack.enter_context(embedded_transport(settings.fault, options))
            base_url = EMBEDDED_BASE_URL + options.prefix
        elif settings.kind == "embedded-http":
            from .embedded import embedded_server

            base_url = stack.enter_context(embedded_server(settings.fault, settings.reference))
            # a proxy from the environment must not intercept calls to our own loopback server
            trust_env = False
        else:
            base_url = settings.url
        verify: bool | ssl.SSLContext = True
        if settings.insecure:
            verify = False
        elif settings.ca_bundle is not None:
            verify = ssl.create_default_context(cafile=str(settings.ca_bundle))
        http = stack.enter_context(
            httpx.Client(
                transport=transport,
                timeout=settings.timeout,
                verify=verify,
                follow_redirects=False,  # a redirect is an answer to check, not to follow
                # Only the encodings the client decodes within --uapi-max-response.
                headers={"Accept-Encoding": ACCEPT_ENCODING},
                trust_env=trust_env,
                limits=LIMITS,
            )
        )
        deadline = Deadline()
        install_deadline(http, deadline)
        credentials: TokenSource | None = None
        if settings.client_id is not None and settings.client_secret is not None:
            from .credentials import ClientCredentials

            credentials = ClientCredentials(settings.client_id, settings.client_secret)
        yield Session(
            http,
            base_url,
            settings.timeout,
            settings.rebase_links,
            max_response=settings.max_response,
            deadline=deadline,
            credentials=credentials,
            interrupts=interrupts,
        )
