"""The exchange bounds in isolation: the deadline hook, the size cap, the wording of sizes."""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Callable

import httpcore
import httpx
import pytest

from pytest_uapi.transport.bounds import (
    BoundedStream,
    Deadline,
    DeadlineBackend,
    TooLarge,
    TooSlow,
    describe_size,
    install_deadline,
)
from pytest_uapi.transport.decoding import (
    ACCEPT_ENCODING,
    TooLargeDecoded,
    TooSlowDecoding,
    read_body,
)


def test_the_deadline_reaches_httpx_connection_pools() -> None:
    # install_deadline reaches into httpx's transports: an httpx upgrade that moves them must
    # fail here, not silently leave dripping headers unbounded.
    deadline = Deadline()
    with httpx.Client() as client:
        assert install_deadline(client, deadline)
        assert isinstance(client._transport._pool._network_backend, DeadlineBackend)  # type: ignore[attr-defined]
        assert not install_deadline(client, deadline)  # never wrapped twice


def test_deadline_caps_each_operation() -> None:
    deadline = Deadline()
    assert deadline.cap(5.0, httpcore.ReadTimeout) == 5.0  # no request in flight
    deadline.set(time.perf_counter() + 1.0)
    capped = deadline.cap(5.0, httpcore.ReadTimeout)
    assert capped is not None and 0 < capped <= 1.0
    deadline.set(time.perf_counter() - 0.01)
    with pytest.raises(httpcore.ReadTimeout):
        deadline.cap(5.0, httpcore.ReadTimeout)


def test_bounded_stream_stops_at_the_cap_and_the_deadline() -> None:
    chunks = httpx.ByteStream(b"x" * 10)
    stream = BoundedStream(chunks, 9, time.perf_counter() + 10)
    with pytest.raises(TooLarge) as large:
        list(stream)
    assert large.value.received == 10
    late = BoundedStream(httpx.ByteStream(b"x"), 9, time.perf_counter() - 1)
    with pytest.raises(TooSlow):
        list(late)
    assert b"".join(BoundedStream(httpx.ByteStream(b"ok"), 2, time.perf_counter() + 10)) == b"ok"


@pytest.mark.parametrize(
    ("size", "text"),
    [(1048576, "1 MiB"), (3 * 1048576, "3 MiB"), (65536, "64 KiB"), (1000, "1000 bytes")],
)
def test_sizes_read_as_people_write_them(size: int, text: str) -> None:
    assert describe_size(size) == text


def test_the_size_cap_is_configurable(pytester: pytest.Pytester) -> None:
    from tests.hostile import servers

    pytester.makepyfile(test_big="def test_big(uapi_client):\n    uapi_client.get('/uapi/x')\n")
    with servers.Huge() as server:
        result = pytester.runpytest_inprocess(
            "--uapi-url", server.url, "--uapi-token", "tok-1234", "--uapi-no-preflight",
            "--uapi-max-response", "2048", "test_big.py",
        )  # fmt: skip
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "- Answer larger than 2 KiB",
            "    Received: status 200 and more than 2048 bytes of body; reading stopped there *",
        ]
    )
    result.stdout.fnmatch_lines(["uapi:*; max answer 2048 bytes (from option);*"])


def _answer(body: bytes, encoding: str) -> httpx.Response:
    return httpx.Response(
        200, headers={"Content-Encoding": encoding}, stream=httpx.ByteStream(body)
    )


def _gzip(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return compressor.compress(data) + compressor.flush()


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", _gzip),
        ("deflate", zlib.compress),
        ("deflate", _raw_deflate),  # deflate without its zlib header, as httpx reads it too
        ("gzip, gzip", lambda data: _gzip(_gzip(data))),
        ("GZIP , identity, deflate", lambda data: zlib.compress(_gzip(data))),
        ("x-unknown", lambda data: data),  # left as it is, as httpx does
    ],
)
def test_answers_decode_as_httpx_decodes_them(
    encoding: str, encode: Callable[[bytes], bytes]
) -> None:
    body = json.dumps({"entry": [{"id": f"call-{i}"} for i in range(1000)]}).encode()
    response = _answer(encode(body), encoding)
    read_body(response, len(body), time.perf_counter() + 10, lambda: 0)
    assert response.content == body
    assert response.json()["entry"][999] == {"id": "call-999"}


@pytest.mark.parametrize("encoding", ["gzip", "gzip, gzip", "deflate"])
def test_the_cap_counts_decoded_bytes(encoding: str) -> None:
    zeros = b"\0" * (64 << 20)
    encoded = _gzip(zeros) if encoding.startswith("gzip") else zlib.compress(zeros)
    if encoding == "gzip, gzip":
        encoded = _gzip(encoded)
    response = _answer(encoded, encoding)
    with pytest.raises(TooLargeDecoded) as excinfo:
        read_body(response, 1 << 20, time.perf_counter() + 10, lambda: 1234)
    assert (excinfo.value.received, excinfo.value.encoding) == (1234, encoding)


def test_brotli_is_bounded_when_installed() -> None:
    brotli = pytest.importorskip("brotli")
    if "br" not in ACCEPT_ENCODING:
        pytest.skip("brotli before 1.2 cannot bound its output: br is not asked for")
    response = _answer(brotli.compress(b"\0" * (64 << 20), quality=1), "br")
    with pytest.raises(TooLargeDecoded):
        read_body(response, 1 << 20, time.perf_counter() + 10, lambda: 0)
    small = _answer(brotli.compress(b'{"entry": []}'), "br")
    read_body(small, 1 << 20, time.perf_counter() + 10, lambda: 0)
    assert small.json() == {"entry": []}


def test_decoding_stops_at_the_deadline() -> None:
    # Empty stored blocks decode to nothing, forever: only the deadline ends them.
    empty_blocks = b"\x78\x01" + b"\x00\x00\x00\xff\xff" * 200_000
    response = _answer(empty_blocks, "deflate")
    with pytest.raises(TooSlowDecoding):
        read_body(response, 1 << 20, time.perf_counter() - 0.001, lambda: 0)


def test_a_corrupt_encoding_is_a_decoding_error() -> None:
    with pytest.raises(httpx.DecodingError):
        read_body(_answer(b"not gzip at all", "gzip"), 1 << 20, time.perf_counter() + 10, lambda: 0)


def test_only_bounded_encodings_are_asked_for() -> None:
    assert ACCEPT_ENCODING.startswith("gzip, deflate")
    assert "zstd" not in ACCEPT_ENCODING
