"""The HTTP client the suites talk to the target with.

One ``httpx.Client`` serves the whole session (connection reuse keeps the suite fast); each test
gets a ``UapiClient`` view of it with its own list of exchanges, which is what a failure report
shows. The client never judges an answer: any status comes back as a response, and only the
absence of a complete answer (timeout, refused connection, broken protocol, an answer past the
deadline or the size cap of ``bounds``) is a ``CheckFailure`` titled after what the server did.
"""

from __future__ import annotations

import json as jsonlib
import ssl
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, NoReturn

import httpx

from .bounds import BoundedStream, BoundExceeded, Deadline, install_deadline
from .exchange import Exchange
from .failures import CheckFailure
from .no_answer import describe
from .secret import IssuedToken

if TYPE_CHECKING:
    from .oauth import ClientCredentials
    from .options import Settings


class _Unset:
    def __repr__(self) -> str:
        return "<unset>"


UNSET: Final = _Unset()
"""``json=UNSET`` sends no body; ``json=None`` sends ``null``."""

_LINK_ROOT = "/uapi/"


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
    credentials: ClientCredentials | None = None
    """OAuth 2.0 client credentials, when the token is fetched from the target."""


@contextmanager
def open_session(settings: Settings) -> Iterator[Session]:
    """Start the target if it is embedded, open the client; close both on exit."""
    with ExitStack() as stack:
        transport: httpx.BaseTransport | None = None
        trust_env = True
        if settings.kind == "embedded":
            from .embedded import EMBEDDED_BASE_URL, embedded_transport

            transport = stack.enter_context(embedded_transport(settings.fault))
            base_url = EMBEDDED_BASE_URL
        elif settings.kind == "embedded-http":
            from .embedded import embedded_server

            base_url = stack.enter_context(embedded_server(settings.fault))
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
                trust_env=trust_env,
            )
        )
        deadline = Deadline()
        install_deadline(http, deadline)
        credentials = None
        if settings.client_id is not None and settings.client_secret is not None:
            from .oauth import ClientCredentials

            credentials = ClientCredentials(settings.client_id, settings.client_secret)
        yield Session(
            http,
            base_url,
            settings.timeout,
            settings.rebase_links,
            max_response=settings.max_response,
            deadline=deadline,
            credentials=credentials,
        )


class UapiClient:
    """Sends requests to the target and records every exchange in ``exchanges``."""

    def __init__(self, session: Session, token: str, base_url: str | None = None) -> None:
        self.session = session
        self.base_url = (base_url if base_url is not None else session.base_url).rstrip("/")
        self.token = token
        self.exchanges: list[Exchange] = []
        self._bearer = f"Bearer {token}"
        # The plugin's own OAuth token (not a user's override) is renewed when it expires.
        self._credentials = session.credentials if isinstance(token, IssuedToken) else None

    def __repr__(self) -> str:
        return f"<UapiClient {self.base_url} ({len(self.exchanges)} exchanges)>"

    @property
    def last(self) -> Exchange:
        """The most recent exchange (IndexError before the first request)."""
        return self.exchanges[-1]

    def url(self, url: str) -> str:
        """``url`` as sent: a path joined onto the base URL, an absolute URL as given.

        A server must answer its own self links, so an absolute link is followed as it is (even
        with the examples' ``//uapi``), unless links are re-based (D21): then its path from
        ``/uapi/`` on is joined onto the base URL.
        """
        if url.startswith("/"):
            return self.base_url + url
        if "://" in url:
            if self.session.rebase_links:
                index = url.find(_LINK_ROOT, url.index("://") + 3)
                if index >= 0:
                    return self.base_url + url[index:]
            return url
        return f"{self.base_url}/{url.lstrip('/')}"

    def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = UNSET,
        content: bytes | str | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: bool | str = True,
    ) -> httpx.Response:
        """Send one request and return the answer, whatever its status.

        ``auth``: True sends the target's token, False no Authorization header, a string that
        token. ``headers`` are applied last, so a test can send a malformed Authorization or
        Content-Type on purpose.
        """
        sent: dict[str, str] = {}
        if auth is True:
            if self._credentials is not None:
                self._bearer = f"Bearer {self._credentials.token(self.session)}"
            sent["Authorization"] = self._bearer
        elif auth:
            sent["Authorization"] = f"Bearer {auth}"
        if json is not UNSET:
            content = jsonlib.dumps(json, ensure_ascii=False).encode("utf-8")
            sent["Content-Type"] = "application/json"
        if headers:
            # HTTP/1.1 clients (h11) refuse values with leading or trailing whitespace, which
            # RFC 9110 strips on receipt anyway: stripping here sends the same header on every
            # transport, in-process or over a socket.
            sent.update((name, value.strip()) for name, value in headers.items())
        http = self.session.http
        request = http.build_request(
            method, self.url(url), content=content, params=params, headers=sent
        )
        session = self.session
        start = time.perf_counter()
        deadline = start + session.timeout
        session.deadline.set(deadline)
        response: httpx.Response | None = None
        stream: BoundedStream | None = None
        try:
            response = http.send(request, stream=True)
            assert isinstance(response.stream, httpx.SyncByteStream)
            stream = BoundedStream(response.stream, session.max_response, deadline)
            response.stream = stream
            response.read()
        except (httpx.HTTPError, BoundExceeded) as exc:
            if response is not None:
                response.close()
            self._no_answer(exc, request, response, stream, start)
        finally:
            session.deadline.set(None)
        assert response is not None  # _no_answer raised otherwise
        self.exchanges.append(Exchange(request, response, None, time.perf_counter() - start))
        return response

    def _no_answer(
        self,
        exc: Exception,
        request: httpx.Request,
        response: httpx.Response | None,
        stream: BoundedStream | None,
        start: float,
    ) -> NoReturn:
        session = self.session
        title, error = describe(
            exc,
            response.status_code if response is not None else None,
            stream.received if stream is not None else 0,
            session.timeout,
            session.max_response,
        )
        # The cut answer's body cannot be read again: the exchange shows what came, in words.
        exchange = Exchange(request, None, error, time.perf_counter() - start)
        self.exchanges.append(exchange)
        raise CheckFailure(
            title=title,
            expected=f"a complete HTTP answer within {session.timeout:g}s",
            received=error,
            requirements=(),
            exchange=exchange,
        ) from None

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)
