"""Undoing an answer's Content-Encoding within the size cap and the exchange's deadline.

httpx decodes a body the way it comes: each chunk read from the socket is handed whole to zlib
(or brotli), whose output has no bound. A 3.5 KB answer labelled ``Content-Encoding: gzip,
gzip`` thus decodes to gigabytes inside one call, long past any cap counted on the decoded
chunks. Here every layer asks its decompressor for at most ``PIECE`` bytes at a time (zlib's
``max_length``, brotli's ``output_buffer_limit``) and the layers pull from one another lazily,
so what is held at once is a few pieces, whatever the ratio or the number of layers. The
caller counts the decoded bytes against the cap, and every layer looks at the deadline before
each piece, so that a body that decodes to nothing (empty deflate blocks, forever) is cut off
too.

The encodings are the ones httpx decodes, with httpx's reading of them (``deflate`` with or
without its zlib header; layers undone from the last applied; unknown codings left as they are),
except that brotli is used only where it can bound its output (the ``brotli`` package from 1.2).
``ACCEPT_ENCODING`` advertises exactly those.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from .bounds import TooLarge, TooSlow

PIECE = 64 * 1024
"""Bytes a decompressor may hand back at once."""


class TooLargeDecoded(TooLarge):
    """The decoded body went past the cap (``received`` counts the bytes as received)."""

    def __init__(self, received: int, encoding: str) -> None:
        super().__init__(received)
        self.encoding = encoding


class TooSlowDecoding(TooSlow):
    """Decoding the body was still going at the deadline."""

    def __init__(self, received: int, encoding: str) -> None:
        super().__init__(received)
        self.encoding = encoding


Check = Callable[[], None]
"""Raises once the deadline has passed."""


class _Zlib:
    """gzip or deflate; ``deflate`` falls back to a raw stream when the first bytes carry no zlib
    header, as httpx's ``DeflateDecoder`` does."""

    def __init__(self, wbits: int, raw_fallback: bool) -> None:
        self._inner = zlib.decompressobj(wbits)
        self._fallback = raw_fallback

    def pieces(self, data: bytes, check: Check) -> Iterator[bytes]:
        while data and not self._inner.eof:
            check()
            try:
                piece = self._inner.decompress(data, PIECE)
            except zlib.error as exc:
                if not self._fallback:
                    raise httpx.DecodingError(str(exc)) from None
                self._inner = zlib.decompressobj(-zlib.MAX_WBITS)
                self._fallback = False
                continue
            self._fallback = False
            # What did not fit in this piece waits in unconsumed_tail; after the end of the
            # stream (eof) the rest is ignored, as httpx does.
            data = self._inner.unconsumed_tail
            if piece:
                yield piece

    def end(self, check: Check) -> Iterator[bytes]:
        try:
            rest = self._inner.flush()
        except zlib.error as exc:  # pragma: no cover - zlib raises in decompress first
            raise httpx.DecodingError(str(exc)) from None
        if rest:
            yield rest


class _Brotli:
    def __init__(self, module: Any) -> None:
        self._inner = module.Decompressor()
        self._error: type[Exception] = module.error

    def pieces(self, data: bytes, check: Check) -> Iterator[bytes]:
        if not data:
            return
        try:
            check()
            yield self._inner.process(data, output_buffer_limit=PIECE)
            # Past the limit, brotli keeps the rest and must be asked again with no input.
            while not self._inner.can_accept_more_data():
                check()
                yield self._inner.process(b"", output_buffer_limit=PIECE)
        except self._error as exc:
            raise httpx.DecodingError(str(exc)) from None

    def end(self, check: Check) -> Iterator[bytes]:
        return iter(())


def _bounded_brotli() -> Any:
    """The ``brotli`` module when it can bound its output, else None."""
    try:
        import brotli  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except ImportError:
        return None
    try:
        brotli.Decompressor().process(b"", output_buffer_limit=PIECE)
    except TypeError:  # before brotli 1.2, or brotlicffi: no bound on what one call returns
        return None
    return brotli


_BROTLI = _bounded_brotli()
_LAYERS: dict[str, Callable[[], _Zlib | _Brotli]] = {
    "gzip": lambda: _Zlib(zlib.MAX_WBITS | 16, raw_fallback=False),
    "deflate": lambda: _Zlib(zlib.MAX_WBITS, raw_fallback=True),
}
if _BROTLI is not None:
    _LAYERS["br"] = lambda: _Brotli(_BROTLI)

ACCEPT_ENCODING = ", ".join(_LAYERS)
"""What the client asks for: the encodings decoded here, within bounds."""


def _through(layer: _Zlib | _Brotli, upstream: Iterator[bytes], check: Check) -> Iterator[bytes]:
    for data in upstream:
        yield from layer.pieces(data, check)
    yield from layer.end(check)


def read_body(
    response: httpx.Response, limit: int, deadline: float, received: Callable[[], int]
) -> None:
    """Read ``response``'s body, decoded, into ``response.content``; at most ``limit`` decoded
    bytes, by ``deadline`` (``time.perf_counter``). ``received()`` counts the bytes as received
    so far (for the exceptions)."""
    codings = [
        value.strip().lower()
        for value in response.headers.get_list("content-encoding", split_commas=True)
    ]
    known = [coding for coding in codings if coding in _LAYERS]
    encoding = ", ".join(codings)
    if response.is_stream_consumed:
        # A transport that read the answer itself (an httpx MockTransport): it is in memory.
        size = len(response.content)
        if size > limit:
            raise TooLargeDecoded(size, encoding) if codings else TooLarge(size)
        return
    raw: Iterator[bytes] = response.iter_raw()
    if not known:
        body = _collect(raw, limit, lambda: None, received, encoding)
    else:

        def check() -> None:
            # Waiting on the network is bounded below (the stream, the backend); time running
            # out here is time spent decoding.
            if time.perf_counter() > deadline:
                raise TooSlowDecoding(received(), encoding)

        stream = raw
        for coding in reversed(known):  # the last coding applied is undone first
            stream = _through(_LAYERS[coding](), stream, check)
        body = _collect(stream, limit, check, received, encoding)
    # What Response.read() sets: from here on, .content, .text and .json() read the decoded body.
    response._content = body


def _collect(
    pieces: Iterator[bytes],
    limit: int,
    check: Check,
    received: Callable[[], int],
    encoding: str,
) -> bytes:
    parts: list[bytes] = []
    size = 0
    for piece in pieces:
        size += len(piece)
        if size > limit:
            raise TooLargeDecoded(received(), encoding)
        parts.append(piece)
        check()
    return b"".join(parts)
