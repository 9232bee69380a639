"""Fixtures of the reference server's tests: a fresh app per test, seen in process or over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette

from pytest_uapi.reference import create_app

from .support import Api, AsgiApi, HttpApi


@pytest.fixture
def app() -> Starlette:
    """A reference server with the shipped dataset and no calls."""
    return create_app()


@pytest.fixture
def asgi(app: Starlette) -> Iterator[Api]:
    """The app driven in process through ``httpx.ASGITransport``."""
    api = AsgiApi(app)
    yield api
    api.close()


@pytest.fixture
def http(app: Starlette) -> Iterator[Api]:
    """The app served by uvicorn on a free loopback port."""
    api = HttpApi(app)
    yield api
    api.close()


@pytest.fixture(params=["asgi", "http"])
def api(request: pytest.FixtureRequest) -> Api:
    """The app through each transport in turn."""
    fixture: Api = request.getfixturevalue(request.param)
    return fixture
