"""BackgroundServer: starts on a free loopback port, serves, stops, and fails clearly."""

from __future__ import annotations

import time

import httpx
import pytest

from pytest_uapi.reference import BackgroundServer, create_app


def test_serves_on_a_free_loopback_port_and_stops() -> None:
    server = BackgroundServer(create_app())
    with server:
        assert server.url.startswith("http://127.0.0.1:")
        answer = httpx.get(f"{server.url}/uapi/phoneCalls/@me/@self")
        assert answer.status_code == 401
        url = server.url
    with pytest.raises(RuntimeError, match="only while the server runs"):
        server.url  # noqa: B018
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=2)


def test_two_servers_run_side_by_side() -> None:
    with BackgroundServer(create_app()) as one, BackgroundServer(create_app()) as two:
        assert one.url != two.url


def test_a_prefix_is_part_of_the_url() -> None:
    with BackgroundServer(create_app(), prefix="pbx/") as server:
        assert server.url.endswith("/pbx")


def test_a_server_that_cannot_start_is_a_runtime_error() -> None:
    server = BackgroundServer(create_app(), start_timeout=10)
    server._config.host = "256.0.0.1"  # cannot be bound: uvicorn gives up while starting
    with pytest.raises(RuntimeError, match="stopped while starting"):
        server.start()


def test_not_started_in_time_is_a_runtime_error(monkeypatch: pytest.MonkeyPatch) -> None:
    server = BackgroundServer(create_app(), start_timeout=0.05)
    monkeypatch.setattr(server, "_run", lambda: time.sleep(0.3))  # a server that never starts
    with pytest.raises(RuntimeError, match=r"did not start within 0\.05 s"):
        server.start()
