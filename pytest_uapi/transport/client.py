"""The HTTP client the suites talk to the target with.

One ``httpx.Client`` serves the whole session (connection reuse keeps the suite fast); each test
gets a ``UapiClient`` view of it with its own list of exchanges, which is what a failure report
shows. The client never judges an answer: any status comes back as an ``Exchange``, and only the
absence of a complete answer (timeout, refused connection, broken protocol, an answer past the
deadline or the size cap of ``bounds``) is a ``CheckFailure`` titled after what the server did.
"""

from __future__ import annotations

import json as jsonlib
import time
from collections.abc import Mapping
from contextlib import nullcontext
from typing import Any, Final, NoReturn

import httpx

from .bounds import BoundedStream, BoundExceeded
from .decoding import read_body
from .exchange import CheckFailure, Exchange
from .no_answer import describe
from .redaction import IssuedToken
from .session import Session


class _Unset:
    def __repr__(self) -> str:
        return "<unset>"


UNSET: Final = _Unset()
"""``json=UNSET`` sends no body; ``json=None`` sends ``null``."""

_LINK_ROOT = "/uapi/"


def origin(url: httpx.URL) -> tuple[str, str, int | None]:
    """Scheme, host and port: what a browser calls the origin (httpx gives a default port as
    None, so ``http://pbx:80`` and ``http://pbx`` are one origin)."""
    return url.scheme, url.host, url.port


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
        # Credentials go to the target's origin only, as browsers and httpx do on redirects:
        # the session's base URL is --uapi-url (or the embedded server's own).
        self._origin = origin(httpx.URL(session.base_url))

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
        timeout: float | None = None,
    ) -> Exchange:
        """Send one request and return the exchange (recorded in ``exchanges``), whatever the
        answer's status.

        ``auth``: True sends the target's token, False no Authorization header, a string that
        token. ``headers`` are applied last, so a test can send a malformed Authorization or
        Content-Type on purpose. ``timeout`` shortens the exchange's deadline (never past
        ``--uapi-timeout``).
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
        if origin(request.url) != self._origin:
            self._elsewhere(request)
        session = self.session
        with session.interrupts.exchange() if session.interrupts else nullcontext():
            return self._exchange(request, timeout)

    def _exchange(self, request: httpx.Request, timeout: float | None) -> Exchange:
        session = self.session
        http = session.http
        start = time.perf_counter()
        deadline = start + min(session.timeout, session.timeout if timeout is None else timeout)
        session.deadline.set(deadline)
        response: httpx.Response | None = None
        stream: BoundedStream | None = None
        try:
            # Never follow a redirect, whatever the client was built with: a 3xx is an answer to
            # check, and following it would send the token wherever the server points.
            response = http.send(request, stream=True, follow_redirects=False)
            assert isinstance(response.stream, httpx.SyncByteStream)
            bounded = stream = BoundedStream(response.stream, session.max_response, deadline)
            response.stream = bounded
            # The raw bytes are capped by the stream, the decoded ones as they are decoded.
            read_body(response, session.max_response, deadline, lambda: bounded.received)
        except (httpx.HTTPError, BoundExceeded) as exc:
            if response is not None:
                response.close()
            self._no_answer(exc, request, response, stream, start)
        finally:
            session.deadline.set(None)
        assert response is not None  # _no_answer raised otherwise
        exchange = Exchange(request, response, None, time.perf_counter() - start)
        self.exchanges.append(exchange)
        return exchange

    def _elsewhere(self, request: httpx.Request) -> NoReturn:
        """A URL on another origin (a server's self link, mostly): not sent at all, so that
        neither the token nor the request reaches a host the user did not name."""
        home = str(httpx.URL(self.session.base_url).copy_with(path="/")).rstrip("/")
        error = (
            f"not sent: {request.method} {request.url} is on another origin than the target "
            f"({home}), and the token goes to the target's scheme, host and port only"
        )
        exchange = Exchange(request, None, error, 0.0)
        self.exchanges.append(exchange)
        raise CheckFailure(
            title="Link to another origin",
            expected=f"a URL on the target's origin {home}",
            received=f"{request.url} (not sent)",
            requirements=(),
            exchange=exchange,
            details=(
                "If the server writes its links with an address of its own, pass "
                "--uapi-rebase-links to follow them on --uapi-url.",
            ),
        )

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

    def get(self, url: str, **kwargs: Any) -> Exchange:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Exchange:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> Exchange:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Exchange:
        return self.request("DELETE", url, **kwargs)
