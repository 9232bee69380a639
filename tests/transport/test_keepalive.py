"""A kept-alive connection is not reused once the server may be closing it: a test that waited
a few seconds (for a role, under xdist) still gets its answer."""

from __future__ import annotations

import time

from pytest_uapi.settings.resolve import Settings
from pytest_uapi.settings.target import build_target
from pytest_uapi.transport.client import UapiClient
from pytest_uapi.transport.connect import KEEPALIVE_EXPIRY, open_session
from tests.hostile.servers import ClosesIdleConnections


def test_an_idle_connection_is_not_reused_where_the_server_closes_it() -> None:
    idle = KEEPALIVE_EXPIRY + 0.5  # a server stricter than most (5 s): the test stays short
    with ClosesIdleConnections(idle) as server:
        settings = Settings(
            url=server.url, token="sandbox-token-12", target=build_target({}), strict=False,
            timeout=2.0, seed=1, rebase_links=False, ca_bundle=None, insecure=False, sources={},
        )  # fmt: skip
        with open_session(settings) as session:
            client = UapiClient(session, "sandbox-token-12")
            assert client.request("GET", "/uapi/phoneCalls/12/0003*210").status == 200
            assert client.request("GET", "/uapi/phoneCalls/12/0003*210").status == 200
            assert server.connections == 1  # kept alive while in use
            time.sleep(idle + 0.2)
            assert client.request("GET", "/uapi/phoneCalls/12/0003*210").status == 200
            assert server.connections == 2  # a new connection, not the one being closed
