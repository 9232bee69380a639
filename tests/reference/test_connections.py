"""Connections that hold the server without using it are closed within the idle timeout: one that
never sends a request, one that sends its head a byte at a time, one that stops reading, one
whose body never comes. Connections in use are not."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette

from pytest_uapi.reference import BackgroundServer, create_app
from pytest_uapi.reference.__main__ import main
from pytest_uapi.reference.connections import idle_h11

IDLE = 0.5
# Scheduling on a busy machine; the bounds below are IDLE plus this.
SLACK = 1.5
AUTH = {"Authorization": "Bearer sandbox-token-12"}
LIST = (
    b"GET /uapi/phoneCalls/12/@self HTTP/1.1\r\nHost: x\r\n"
    b"Authorization: Bearer sandbox-token-12\r\n"
)


@pytest.fixture
def served(app: Starlette) -> Iterator[tuple[str, int]]:
    with BackgroundServer(app, idle_timeout=IDLE) as server:
        url = httpx.URL(server.url)
        yield url.host, url.port or 80


def closed_after(connection: socket.socket, limit: float) -> float:
    """Seconds until the server closed ``connection`` (reading and dropping what it sends)."""
    start = time.monotonic()
    connection.settimeout(limit)
    try:
        while connection.recv(65536):
            pass
    except (ConnectionResetError, BrokenPipeError):
        pass
    except TimeoutError:
        pytest.fail(f"the connection was still open after {limit} s")
    return time.monotonic() - start


def read_answer(connection: socket.socket) -> bytes:
    """One answer with a Content-Length, head and body, from a kept-alive connection."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += connection.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length: *(\d+)", head)
    assert length, head
    while len(body) < int(length[1]):
        body += connection.recv(65536)
    return head + b"\r\n\r\n" + body


def test_a_connection_that_never_sends_a_request_is_closed(served: tuple[str, int]) -> None:
    with socket.create_connection(served) as connection:
        elapsed = closed_after(connection, IDLE + SLACK)
    assert elapsed >= IDLE * 0.9


def test_many_silent_connections_are_all_closed(served: tuple[str, int], app: Starlette) -> None:
    connections = [socket.create_connection(served) for _ in range(200)]
    try:
        start = time.monotonic()
        for connection in connections:
            closed_after(connection, IDLE + SLACK - (time.monotonic() - start))
    finally:
        for connection in connections:
            connection.close()


def test_a_head_sent_a_byte_at_a_time_does_not_keep_the_connection(
    served: tuple[str, int],
) -> None:
    with socket.create_connection(served) as connection:
        start = time.monotonic()
        try:
            for byte in LIST:
                connection.sendall(bytes([byte]))
                time.sleep(IDLE / 5)
                if time.monotonic() - start > IDLE + SLACK:
                    pytest.fail("the connection was still open")
        except (BrokenPipeError, ConnectionResetError):
            pass
        else:
            pytest.fail("the whole head was taken, a byte every tenth of the timeout")
        assert time.monotonic() - start <= IDLE + SLACK


def test_a_kept_alive_connection_in_use_stays_open(served: tuple[str, int]) -> None:
    with socket.create_connection(served, timeout=5) as connection:
        for _ in range(5):  # five requests, IDLE * 1.5 apart in all: longer than one timeout
            connection.sendall(LIST + b"\r\n")
            answer = read_answer(connection)
            assert answer.startswith(b"HTTP/1.1 200 "), answer
            time.sleep(IDLE * 0.6)
        # And once it is idle, it is closed.
        assert closed_after(connection, IDLE + SLACK) < IDLE + SLACK


def test_a_body_that_never_comes_answers_408_and_closes() -> None:
    app = create_app(body_timeout=IDLE)
    with BackgroundServer(app, idle_timeout=IDLE) as server:
        url = httpx.URL(server.url)
        state = app.state.pbx.snapshot()
        for path in (b"/uapi/phoneCalls/12/simple", b"/oauth/token.php"):
            with socket.create_connection((url.host, url.port or 80), timeout=5) as connection:
                connection.sendall(
                    b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
                    b"Authorization: Bearer sandbox-token-12\r\n\r\n" + b'{"phoneCallView"'
                )
                start = time.monotonic()
                answer = b""
                while chunk := connection.recv(65536):
                    answer += chunk
                assert time.monotonic() - start < IDLE + SLACK
            head, _, body = answer.partition(b"\r\n\r\n")
            if path.endswith(b"simple"):
                assert head.startswith(b"HTTP/1.1 408 "), answer
                assert b'"code":"request_timeout"' in body
            else:
                assert head.startswith(b"HTTP/1.1 400 "), answer
                assert b"invalid_request" in body
        assert app.state.pbx.snapshot() == state


def test_a_client_that_stops_reading_a_long_answer_is_dropped(app: Starlette) -> None:
    pbx, dataset = app.state.pbx, app.state.dataset
    # About 10 MB of List: more than the kernel's socket buffers take (a few MB on loopback),
    # so the server is left holding the rest.
    with pbx.lock:
        for _ in range(5000):
            pbx.make_call(
                owner="12",
                extension=dataset.extensions["0003*210"],
                source=["0003*210"],
                destination=["+" + "3" * 31] * 16,
                caller_id="J" * 245 + " <0003*210>",
                nonce="n" * 256,
            )
    with BackgroundServer(app, idle_timeout=IDLE) as server:
        url = httpx.URL(server.url)
        whole = len(httpx.get(f"{server.url}/uapi/phoneCalls/12/@self", headers=AUTH).content)
        connection = socket.socket()
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        with connection:
            connection.connect((url.host, url.port or 80))
            connection.sendall(LIST + b"\r\n")
            time.sleep(IDLE + SLACK)  # read nothing
            assert not server._server.server_state.connections, "still held after the timeout"
            received = 0
            connection.settimeout(5)
            try:
                while chunk := connection.recv(65536):
                    received += len(chunk)
            except ConnectionResetError:
                pass
        assert received < whole


def test_a_request_framed_two_ways_is_refused_and_the_connection_closed(
    served: tuple[str, int], app: Starlette
) -> None:
    # Content-Length says 5 bytes, chunked says the whole call: a proxy and the server could
    # each read a different request out of the same bytes.
    body = b'{"phoneCallView":[{"source":["0003*210"],"destination":["3235742879"]}]}'
    with socket.create_connection(served, timeout=5) as connection:
        connection.sendall(
            b"POST /uapi/phoneCalls/12/simple HTTP/1.1\r\nHost: x\r\n"
            b"Authorization: Bearer sandbox-token-12\r\n"
            b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
            + f"{len(body):x}\r\n".encode()
            + body
            + b"\r\n0\r\n\r\n"
        )
        answer = b""
        while chunk := connection.recv(65536):  # ends: the server closes
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400 "), answer
    assert b'"code":"invalid_request"' in answer
    assert len(app.state.pbx) == 0


def test_the_cli_closes_idle_connections() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest_uapi.reference", "--port", "0", "--idle-timeout", "0.5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.fullmatch(r"UAPI reference server on http://(127\.0\.0\.1):(\d+)\n", line)
        assert match, line
        with socket.create_connection((match[1], int(match[2]))) as connection:
            # The first connection also waits for uvicorn to start.
            closed_after(connection, IDLE + SLACK + 5)
        with socket.create_connection((match[1], int(match[2]))) as connection:
            assert closed_after(connection, IDLE + SLACK) >= IDLE * 0.9
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=15)


@pytest.mark.parametrize("value", ["0", "-1", "abc", "inf", "nan"])
def test_the_idle_timeout_must_be_a_positive_number(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_status:
        main(["--idle-timeout", value])
    assert exit_status.value.code == 2
    error = capsys.readouterr().err
    assert "--idle-timeout" in error and "seconds" in error
    with pytest.raises(ValueError, match="positive number of seconds"):
        idle_h11(0)
