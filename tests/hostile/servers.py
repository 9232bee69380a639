"""A catalogue of misbehaving HTTP servers on loopback: each breaks HTTP one way.

Every server is a context manager serving real sockets on ``127.0.0.1`` (a free port) from a
thread, and yields its base URL. Leaving the ``with`` block wakes every handler, closes every
socket and joins every thread, so no test leaks a socket (ResourceWarning is an error here).
"""

from __future__ import annotations

import json
import socket
import socketserver
import struct
import threading
import time
import zlib
from functools import cache
from types import TracebackType
from typing import ClassVar

HOST = "127.0.0.1"
POLL = 0.05
"""Seconds between two looks at the stop flag, in every loop that waits."""


def read_request(conn: socket.socket, stop: threading.Event) -> bytes | None:
    """One request's head and body (by Content-Length); None if the client went or we stop."""
    data = b""
    conn.settimeout(POLL)
    while b"\r\n\r\n" not in data:
        chunk = _recv(conn, stop)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = _recv(conn, stop)
        if not chunk:
            return None
        body += chunk
    return head


def _recv(conn: socket.socket, stop: threading.Event) -> bytes:
    while not stop.is_set():
        try:
            return conn.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            return b""
    return b""


def send(conn: socket.socket, data: bytes) -> bool:
    """False once the client has gone."""
    try:
        conn.sendall(data)
    except OSError:
        return False
    return True


def head(status: str, content_type: str | None, length: int | None, *extra: str) -> bytes:
    lines = [f"HTTP/1.1 {status}", "Connection: close"]
    if content_type is not None:
        lines.append(f"Content-Type: {content_type}")
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines += extra
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


class _TCPServer(socketserver.ThreadingTCPServer):
    # Handler threads are joined at close (not daemons), so every connection is closed by then.
    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True

    def __init__(self, hostile: HostileServer) -> None:
        self.hostile = hostile
        super().__init__((HOST, 0), _Handler)


class _Handler(socketserver.BaseRequestHandler):
    server: _TCPServer

    def handle(self) -> None:
        hostile = self.server.hostile
        request = read_request(self.request, hostile.stop)
        if request is not None:
            hostile.answer(self.request, request)


class HostileServer:
    """Base: reads each request, then ``answer`` misbehaves on the connection."""

    name: ClassVar[str]
    does: ClassVar[str]
    """What the server does, in a sentence (docs/robustness.md has the same table)."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self._server: _TCPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def answer(self, conn: socket.socket, request: bytes) -> None:
        raise NotImplementedError

    def start(self) -> None:
        self._server = _TCPServer(self)
        port = self._server.server_address[1]
        self.url = f"http://{HOST}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(POLL,), name=f"hostile-{self.name}"
        )
        self._thread.start()

    def close(self) -> None:
        self.stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()  # joins the handler threads
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> HostileServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class NeverAnswers(HostileServer):
    name = "never-answers"
    does = "listens, lets the kernel accept connections, and never reads or answers"

    def start(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind((HOST, 0))
        self._socket.listen(128)
        self.url = f"http://{HOST}:{self._socket.getsockname()[1]}"

    def close(self) -> None:
        self._socket.close()


class SilentAfterAccept(HostileServer):
    name = "silent"
    does = "accepts the connection, reads the request and sends nothing, keeping it open"

    def answer(self, conn: socket.socket, request: bytes) -> None:
        self.stop.wait()


class ClosesWithoutAnswer(HostileServer):
    name = "closes-at-once"
    does = "accepts the connection, reads the request and closes it without a byte"

    def answer(self, conn: socket.socket, request: bytes) -> None:
        return


class ClosesMidResponse(HostileServer):
    name = "closes-mid-response"
    does = "sends the status line, headers and 10 of the 1000 bytes it announced, then closes"

    def answer(self, conn: socket.socket, request: bytes) -> None:
        send(conn, head("200 OK", "application/json", 1000) + b'{"entry": ')


class Garbage(HostileServer):
    name = "garbage"
    does = "answers 200 with a body of binary garbage labelled application/json"

    def answer(self, conn: socket.socket, request: bytes) -> None:
        body = b"\x00\x13garbage<html>not json at all\x7f"
        send(conn, head("200 OK", "application/json", len(body)) + body)


class Huge(HostileServer):
    name = "huge"
    does = "answers 200 with a 50 MB body, sent as fast as the client reads"

    size = 50 * 1000 * 1000

    def answer(self, conn: socket.socket, request: bytes) -> None:
        if not send(conn, head("200 OK", "application/json", self.size)):
            return
        chunk = b" " * 65536
        conn.settimeout(POLL)
        sent = 0
        while sent < self.size and not self.stop.is_set():
            try:
                sent += conn.send(chunk)
            except TimeoutError:
                continue
            except OSError:
                return


def send_slowly_read(conn: socket.socket, data: bytes, stop: threading.Event) -> None:
    """Send ``data`` as fast as the client reads it, until it goes away or we stop."""
    conn.settimeout(POLL)
    view = memoryview(data)
    while view and not stop.is_set():
        try:
            view = view[conn.send(view[:65536]) :]
        except TimeoutError:
            continue
        except OSError:
            return


BOMB_SIZE = 1 << 30
"""What the compression bombs decode to: 1 GiB of zeros."""


@cache
def _deflated_zeros() -> tuple[bytes, int, int]:
    """Raw deflate of ``BOMB_SIZE`` zeros, with their CRC-32 and Adler-32.

    Compressing 1 GiB takes about 15 s; after a full flush the compressor starts afresh, so
    every MiB of zeros compresses to the same bytes, and those are repeated instead.
    """
    mib = b"\0" * (1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = compressor.compress(mib) + compressor.flush(zlib.Z_FULL_FLUSH)
    count = BOMB_SIZE // len(mib)
    crc, adler = 0, 1
    for _ in range(count):
        crc, adler = zlib.crc32(mib, crc), zlib.adler32(mib, adler)
    return block * count + compressor.flush(), crc, adler


@cache
def gzip_bomb() -> bytes:
    """A valid gzip member that decodes to ``BOMB_SIZE`` zeros (about 1 MB)."""
    deflated, crc, _ = _deflated_zeros()
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + deflated + struct.pack("<II", crc, BOMB_SIZE & 0xFFFFFFFF)


@cache
def deflate_bomb() -> bytes:
    """The same zeros as a zlib stream, what HTTP calls deflate."""
    deflated, _, adler = _deflated_zeros()
    return b"\x78\xda" + deflated + struct.pack(">I", adler)


@cache
def stacked_gzip_bomb() -> bytes:
    """``gzip_bomb`` gzipped again: a few KB for ``Content-Encoding: gzip, gzip``."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return compressor.compress(gzip_bomb()) + compressor.flush()


class GzipBomb(HostileServer):
    name = "gzip-bomb"
    does = "answers 200 with a 1 MB gzip body (Content-Encoding: gzip) that decodes to 1 GiB"

    encoding = "gzip"

    def body(self) -> bytes:
        return gzip_bomb()

    def start(self) -> None:
        self._body = self.body()  # made before the first request: it takes a second
        super().start()

    def answer(self, conn: socket.socket, request: bytes) -> None:
        body = self._body
        extra = f"Content-Encoding: {self.encoding}"
        send_slowly_read(
            conn, head("200 OK", "application/json", len(body), extra) + body, self.stop
        )


class StackedGzipBomb(GzipBomb):
    name = "gzip-gzip-bomb"
    does = "answers 200 with 1.8 KB, Content-Encoding: gzip, gzip, that decodes to 1 GiB"

    encoding = "gzip, gzip"

    def body(self) -> bytes:
        return stacked_gzip_bomb()


class DeflateBomb(GzipBomb):
    name = "deflate-bomb"
    does = "answers 200 with a 1 MB deflate body (Content-Encoding: deflate) that decodes to 1 GiB"

    encoding = "deflate"

    def body(self) -> bytes:
        return deflate_bomb()


class HugeHeader(HostileServer):
    name = "huge-header"
    does = "answers 200 with a 1 MB header line"

    def answer(self, conn: socket.socket, request: bytes) -> None:
        big = "X-Padding: " + "a" * 1_000_000
        send_slowly_read(conn, head("200 OK", "application/json", 2, big) + b"{}", self.stop)


class InvalidUtf8(HostileServer):
    name = "invalid-utf8"
    does = "answers 200 with a JSON body holding bytes that are not UTF-8"

    def answer(self, conn: socket.socket, request: bytes) -> None:
        body = b'[{"id": "\xff\xfe\xfa", "extension": "0003*210"}]'
        send(conn, head("202 Accepted", "application/json", len(body)) + body)


class RedirectLoop(HostileServer):
    name = "redirect-loop"
    does = "answers every request with 302 to the same URL"

    def answer(self, conn: socket.socket, request: bytes) -> None:
        target = request.split(b" ")[1].decode("ascii", "replace")
        send(conn, head("302 Found", None, 0, f"Location: {self.url}{target}"))


class Drip(HostileServer):
    name = "drip"
    does = "sends a valid answer one byte every 0.1 s, status line and headers included"

    interval = 0.1

    def answer(self, conn: socket.socket, request: bytes) -> None:
        body = json.dumps({"entry": []}).encode()
        for byte in head("200 OK", "application/json", len(body)) + body:
            if not send(conn, bytes([byte])) or self.stop.wait(self.interval):
                return


class DripBody(Drip):
    name = "drip-body"
    does = "sends the status line and headers at once, then the body one byte every 0.1 s"

    def answer(self, conn: socket.socket, request: bytes) -> None:
        body = json.dumps({"entry": [], "padding": "x" * 100}).encode()
        if not send(conn, head("200 OK", "application/json", len(body))):
            return
        for byte in body:
            if self.stop.wait(self.interval) or not send(conn, bytes([byte])):
                return


class WrongContentType(HostileServer):
    name = "wrong-content-type"
    does = "answers a valid JSON body labelled text/plain"

    def answer(self, conn: socket.socket, request: bytes) -> None:
        body = b'[{"id": "abc123", "extension": "0003*210"}]'
        send(conn, head("202 Accepted", "text/plain", len(body)) + body)


class AlwaysFails(HostileServer):
    name = "500"
    does = "answers 500 with a JSON error body to every request"

    def answer(self, conn: socket.socket, request: bytes) -> None:
        body = b'{"error": {"code": "internal", "message": "Internal Server Error"}}'
        send(conn, head("500 Internal Server Error", "application/json", len(body)) + body)


CATALOGUE: tuple[type[HostileServer], ...] = (
    NeverAnswers,
    SilentAfterAccept,
    ClosesWithoutAnswer,
    ClosesMidResponse,
    Garbage,
    Huge,
    InvalidUtf8,
    RedirectLoop,
    Drip,
    DripBody,
    WrongContentType,
    AlwaysFails,
    GzipBomb,
    StackedGzipBomb,
    DeflateBomb,
    HugeHeader,
)


# Servers that are not in the catalogue: they play a part in a scenario of two servers.


class Recorder(HostileServer):
    """The other origin: records the head of every request it gets, and answers anything."""

    name = "recorder"
    does = "records every request head and answers 200 to anything (a token, an empty list)"

    def __init__(self) -> None:
        super().__init__()
        self.heads: list[bytes] = []

    def answer(self, conn: socket.socket, request: bytes) -> None:
        self.heads.append(request)
        body = json.dumps({"entry": [], "access_token": "stolen-token-0123", "expires_in": 60})
        send(conn, head("200 OK", "application/json", len(body)) + body.encode())


class LinksElsewhere(HostileServer):
    """A target whose self links and token endpoint point at another origin (``elsewhere``)."""

    name = "links-elsewhere"
    does = "acknowledges calls with a self link on another origin, redirects its token endpoint"

    def __init__(self, elsewhere: str) -> None:
        super().__init__()
        self.elsewhere = elsewhere

    def answer(self, conn: socket.socket, request: bytes) -> None:
        method, path = request.split(b" ")[:2]
        if path.startswith(b"/oauth/"):
            location = f"Location: {self.elsewhere}{path.decode('ascii', 'replace')}"
            send(conn, head("307 Temporary Redirect", None, 0, location))
            return
        body: object = {"entry": []}
        if method == b"POST":
            link = f"{self.elsewhere}/uapi/phoneCalls/12/0003*210/abc123"
            body = [{"id": "abc123", "extension": "0003*210", "link": {"self": link}}]
        status = "204 No Content" if method == b"DELETE" else "202 Accepted"
        text = b"" if method == b"DELETE" else json.dumps(body).encode()
        send(conn, head(status, "application/json", len(text)) + text)


class ClosesIdleConnections(HostileServer):
    """Keeps connections alive, but a request that comes ``idle`` seconds or more after the
    previous answer on its connection finds it closing: no answer (as when a server's keep-alive
    timer fires while the request is on its way)."""

    name = "closes-idle"
    does = "keeps connections alive and closes one without an answer once it has been idle"

    def __init__(self, idle: float) -> None:
        super().__init__()
        self.idle = idle
        self.connections = 0

    def answer(self, conn: socket.socket, request: bytes) -> None:
        self.connections += 1
        body = b'{"entry": []}'
        while True:
            reply = head("200 OK", "application/json", len(body)).replace(
                b"Connection: close", b"Connection: keep-alive"
            )
            if not send(conn, reply + body):
                return
            answered = time.monotonic()
            if read_request(conn, self.stop) is None:
                return
            if time.monotonic() - answered >= self.idle:
                return
