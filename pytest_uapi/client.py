"""The HTTP client the suites talk to the target with.

One ``httpx.Client`` serves the whole session (connection reuse keeps the suite fast); each test
gets a ``UapiClient`` view of it with its own list of exchanges, which is what a failure report
shows. The client never judges an answer: any status comes back as a response, and only the
absence of an answer (timeout, refused connection, broken protocol) is a ``CheckFailure``.
"""

from __future__ import annotations

import json as jsonlib
import ssl
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import httpx

from .exchange import Exchange
from .failures import CheckFailure

if TYPE_CHECKING:
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
    rebase_links: bool = False


@contextmanager
def open_session(settings: Settings) -> Iterator[Session]:
    """Start the target if it is embedded, open the client; close both on exit."""
    with ExitStack() as stack:
        transport: httpx.BaseTransport | None = None
        trust_env = True
        if settings.kind == "embedded":
            from .embedded import EMBEDDED_BASE_URL, embedded_transport

            transport = stack.enter_context(embedded_transport())
            base_url = EMBEDDED_BASE_URL
        elif settings.kind == "embedded-http":
            from .embedded import embedded_server

            base_url = stack.enter_context(embedded_server())
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
        yield Session(http, base_url, settings.timeout, settings.rebase_links)


def _describe(exc: httpx.RequestError, timeout: float) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"no answer within {timeout:g}s ({type(exc).__name__})"
    detail = " ".join(str(exc).split()) or "no details"
    return f"{type(exc).__name__}: {detail}"


class UapiClient:
    """Sends requests to the target and records every exchange in ``exchanges``."""

    def __init__(self, session: Session, token: str, base_url: str | None = None) -> None:
        self.session = session
        self.base_url = (base_url if base_url is not None else session.base_url).rstrip("/")
        self.token = token
        self.exchanges: list[Exchange] = []
        self._bearer = f"Bearer {token}"

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
        start = time.perf_counter()
        try:
            response = http.send(request)
        except httpx.RequestError as exc:
            error = _describe(exc, self.session.timeout)
            exchange = Exchange(request, None, error, time.perf_counter() - start)
            self.exchanges.append(exchange)
            raise CheckFailure(
                title="No answer from the target",
                expected="an HTTP answer",
                received=error,
                requirements=(),
                exchange=exchange,
            ) from None
        self.exchanges.append(Exchange(request, response, None, time.perf_counter() - start))
        return response

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)
