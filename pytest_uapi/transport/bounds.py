"""Bounds on one exchange with the target: a total deadline and a cap on the answer's size.

httpx's timeouts apply to each socket operation, so a server that drips one byte a second never
trips a 10 s read timeout and holds a test (and the run) as long as it likes. Two pieces bound an
exchange as a whole:

- ``DeadlineBackend``, an httpcore network backend whose streams give every connect, TLS
  handshake, read and write at most the time left before the current request's deadline: a
  server that drips its status line and headers is cut off too;
- ``BoundedStream``, which wraps an answer's byte stream, counts the bytes against the cap and
  checks the deadline between chunks, so that transports without a network layer (the in-process
  one) are bounded the same way and a 50 MB answer is never held in memory.

Both raise: ``BoundExceeded`` (``TooLarge``, ``TooSlow``) from the stream, httpcore timeouts
(which httpx turns into ``httpx.TimeoutException``) from the backend.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import httpcore
import httpx

MIB = 1024 * 1024


def describe_size(size: int) -> str:
    """``1 MiB``, ``64 KiB`` or ``1000 bytes``: how a size reads in a message."""
    if size >= MIB and size % MIB == 0:
        return f"{size // MIB} MiB"
    if size >= 1024 and size % 1024 == 0:
        return f"{size // 1024} KiB"
    return f"{size} bytes"


class Deadline:
    """The deadline of the request in flight on each thread (None: no request in flight)."""

    def __init__(self) -> None:
        self._local = threading.local()

    def set(self, at: float | None) -> None:
        """``at`` on the ``time.perf_counter`` clock."""
        self._local.at = at

    def cap(self, timeout: float | None, expired: type[Exception]) -> float | None:
        """``timeout`` shortened to the time left; ``expired`` raised once none is left."""
        at: float | None = getattr(self._local, "at", None)
        if at is None:
            return timeout
        left = at - time.perf_counter()
        if left <= 0:
            raise expired("the exchange's deadline has passed")
        return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, deadline: Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._deadline.cap(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._deadline.cap(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout = self._deadline.cap(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self._inner.start_tls(ssl_context, server_hostname, timeout), self._deadline
        )

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """Wraps a network backend so that every operation ends by the request's deadline."""

    def __init__(self, inner: httpcore.NetworkBackend, deadline: Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = self._deadline.cap(timeout, httpcore.ConnectTimeout)
        stream = self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _DeadlineStream(stream, self._deadline)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = self._deadline.cap(timeout, httpcore.ConnectTimeout)
        stream = self._inner.connect_unix_socket(path, timeout, socket_options)
        return _DeadlineStream(stream, self._deadline)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def install_deadline(client: httpx.Client, deadline: Deadline) -> bool:
    """Put ``DeadlineBackend`` under each of ``client``'s HTTP transports; False if none took it.

    httpx has no public way to hand its connection pools a network backend, so this reaches
    into the transports it built (direct and proxy ones alike). Should a future httpx move those
    attributes, the answer's body stays bounded by ``BoundedStream``; a test pins this to True.
    """
    transports = [getattr(client, "_transport", None)]
    transports += list(getattr(client, "_mounts", {}).values())
    installed = False
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if isinstance(backend, httpcore.NetworkBackend) and not isinstance(
            backend, DeadlineBackend
        ):
            pool._network_backend = DeadlineBackend(backend, deadline)  # type: ignore[union-attr]
            installed = True
    return installed


class BoundExceeded(Exception):
    """The answer went past a bound; ``received`` is how many body bytes had come."""

    def __init__(self, received: int) -> None:
        super().__init__(received)
        self.received = received


class TooLarge(BoundExceeded):
    pass


class TooSlow(BoundExceeded):
    pass


class BoundedStream(httpx.SyncByteStream):
    """An answer's raw byte stream, cut off past ``limit`` bytes or past ``deadline``."""

    def __init__(self, inner: httpx.SyncByteStream, limit: int, deadline: float) -> None:
        self._inner = inner
        self._limit = limit
        self._deadline = deadline
        self.received = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            self.received += len(chunk)
            if self.received > self._limit:
                raise TooLarge(self.received)
            if time.perf_counter() > self._deadline:
                raise TooSlow(self.received)
            yield chunk

    def close(self) -> None:
        self._inner.close()
