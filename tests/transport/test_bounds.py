"""The exchange bounds in isolation: the deadline hook, the size cap, the wording of sizes."""

from __future__ import annotations

import time

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
