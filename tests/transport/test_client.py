"""UapiClient against an httpx MockTransport: URLs, headers, bodies, exchanges, no-answer."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from pytest_uapi.transport.client import UapiClient
from pytest_uapi.transport.exchange import CheckFailure
from pytest_uapi.transport.session import Session

Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def sent() -> list[httpx.Request]:
    return []


@pytest.fixture
def make_client(sent: list[httpx.Request]) -> Iterator[Callable[..., UapiClient]]:
    clients: list[httpx.Client] = []

    def make(
        base_url: str = "https://pbx.example.com/prefix",
        *,
        rebase: bool = False,
        handler: Handler | None = None,
    ) -> UapiClient:
        def record(request: httpx.Request) -> httpx.Response:
            sent.append(request)
            return handler(request) if handler else httpx.Response(200, json={"ok": True})

        http = httpx.Client(transport=httpx.MockTransport(record))
        clients.append(http)
        return UapiClient(Session(http, base_url, 2.5, rebase), "tok-1")

    yield make
    for http in clients:
        http.close()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "/uapi/phoneCalls/@me/0003*210",
            "https://pbx.example.com/prefix/uapi/phoneCalls/@me/0003*210",
        ),
        ("uapi/x", "https://pbx.example.com/prefix/uapi/x"),
        (
            "https://x.x.x.x//uapi/phoneCalls/12/0003*210/ab",
            "https://x.x.x.x//uapi/phoneCalls/12/0003*210/ab",
        ),
    ],
)
def test_url_joining(make_client: Callable[..., UapiClient], url: str, expected: str) -> None:
    assert make_client().url(url) == expected


def test_rebased_links_keep_the_path_from_uapi_on(make_client: Callable[..., UapiClient]) -> None:
    client = make_client(rebase=True)
    link = "https://10.0.0.1//uapi/phoneCalls/12/0003*210/ab?x=1"
    assert client.url(link) == "https://pbx.example.com/prefix/uapi/phoneCalls/12/0003*210/ab?x=1"
    assert client.url("https://10.0.0.1/other") == "https://10.0.0.1/other"


def test_star_and_at_are_sent_literally(
    make_client: Callable[..., UapiClient], sent: list[httpx.Request]
) -> None:
    make_client().request("GET", "/uapi/phoneCalls/@me/0003*210")
    assert sent[0].url.raw_path == b"/prefix/uapi/phoneCalls/@me/0003*210"


def test_auth_modes(make_client: Callable[..., UapiClient], sent: list[httpx.Request]) -> None:
    client = make_client()
    client.request("GET", "/uapi/a")
    client.request("GET", "/uapi/a", auth=False)
    client.request("GET", "/uapi/a", auth="other")
    client.request("GET", "/uapi/a", auth=False, headers={"Authorization": "Bearer "})
    assert [r.headers.get("authorization") for r in sent] == [
        "Bearer tok-1",
        None,
        "Bearer other",
        "Bearer",  # trailing whitespace cannot go over HTTP/1.1, so no transport sends it
    ]


def test_json_bodies(make_client: Callable[..., UapiClient], sent: list[httpx.Request]) -> None:
    client = make_client()
    client.request("PUT", "/uapi/a", json={"action": "OffHold", "n": "é"})
    client.request("PUT", "/uapi/a", json=None)
    client.request("PUT", "/uapi/a", content="{broken", headers={"Content-Type": "text/plain"})
    client.request("GET", "/uapi/a", params={"waitForPickup": "20"})
    assert sent[0].headers["content-type"] == "application/json"
    assert sent[0].content.decode() == '{"action": "OffHold", "n": "é"}'
    assert sent[1].content == b"null"
    assert (sent[2].content, sent[2].headers["content-type"]) == (b"{broken", "text/plain")
    assert sent[3].url.query == b"waitForPickup=20"
    assert not sent[3].content


def test_every_answer_is_recorded_and_never_raised(make_client: Callable[..., UapiClient]) -> None:
    client = make_client(handler=lambda request: httpx.Response(500, text="boom"))
    exchange = client.get("/uapi/a")
    response = exchange.response
    assert response is not None and exchange.status == response.status_code == 500
    assert len(client.exchanges) == 1
    assert client.last.response is response
    assert client.last.error is None
    assert client.last.elapsed >= 0


@pytest.mark.parametrize(
    ("error", "title", "received"),
    [
        (
            httpx.ReadTimeout("timed out"),
            "No answer within 2.5s",
            "no complete status line and headers within 2.5s (ReadTimeout)",
        ),
        (
            httpx.ConnectTimeout("timed out"),
            "No answer within 2.5s",
            "no connection within 2.5s (ConnectTimeout)",
        ),
        (
            httpx.ConnectError("[Errno 111]\nConnection refused"),
            "No answer from the target",
            "ConnectError: [Errno 111] Connection refused",
        ),
        (
            httpx.RemoteProtocolError("peer closed"),
            "Connection closed without an answer",
            "the server closed the connection before a complete status line and headers "
            "(RemoteProtocolError: peer closed)",
        ),
    ],
)
def test_no_answer_is_a_check_failure(
    make_client: Callable[..., UapiClient], error: httpx.RequestError, title: str, received: str
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise error

    client = make_client(handler=fail)
    with pytest.raises(CheckFailure) as excinfo:
        client.get("/uapi/a")
    failure = excinfo.value
    assert (failure.title, failure.expected, failure.received) == (
        title,
        "a complete HTTP answer within 2.5s",
        received,
    )
    assert failure.requirements == ()
    assert failure.exchange is client.last
    assert client.last.response is None
    assert client.last.error == received


@pytest.mark.parametrize(
    "link",
    [
        "https://elsewhere.example.com/prefix/uapi/phoneCalls/12/0003*210/ab",  # another host
        "https://pbx.example.com:8443/prefix/uapi/phoneCalls/12/0003*210/ab",  # another port
        "http://pbx.example.com/prefix/uapi/phoneCalls/12/0003*210/ab",  # plain http
    ],
)
def test_links_to_another_origin_are_not_sent(
    make_client: Callable[..., UapiClient], sent: list[httpx.Request], link: str
) -> None:
    client = make_client()
    with pytest.raises(CheckFailure) as excinfo:
        client.get(link)
    assert sent == []  # neither the token nor the request left
    failure = excinfo.value
    assert failure.title == "Link to another origin"
    assert failure.expected == "a URL on the target's origin https://pbx.example.com"
    assert failure.received == f"{link} (not sent)"
    assert "--uapi-rebase-links" in failure.details[0]
    assert client.last.response is None and client.last.error is not None


def test_the_same_origin_in_another_spelling_is_sent(
    make_client: Callable[..., UapiClient], sent: list[httpx.Request]
) -> None:
    make_client().get("https://PBX.example.com:443/elsewhere/uapi/x")
    assert [str(r.url) for r in sent] == ["https://pbx.example.com/elsewhere/uapi/x"]
