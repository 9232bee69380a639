"""pytest-xdist integration, in one place: which process this is, and what the controller hands
its workers.

Under xdist one controller schedules tests over N worker processes, each of which configures
itself from scratch. Values the whole run must share (the seed that reproduces it, the day that
expectation dates are judged by) are put in each worker's ``workerinput`` by the one
``pytest_configure_node`` hook below; everything else here is xdist's own public API.
"""

from __future__ import annotations

from typing import Any

import pytest

_SHARED = pytest.StashKey[dict[str, Any]]()


class _Config:
    """xdist's helpers take "a request or a session": anything with a ``config``."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config


def _xdist_active(config: pytest.Config) -> bool:
    return config.pluginmanager.hasplugin("xdist")


def _xdist() -> Any:
    import xdist  # type: ignore[import-untyped]

    return xdist


def is_worker(config: pytest.Config) -> bool:
    """This process is an xdist worker (it runs tests the controller handed it)."""
    return _xdist_active(config) and bool(_xdist().is_xdist_worker(_Config(config)))


def is_controller(config: pytest.Config) -> bool:
    """This process is an xdist controller: it runs no test itself, its workers do."""
    return _xdist_active(config) and bool(_xdist().is_xdist_controller(_Config(config)))


def share(config: pytest.Config, key: str, value: Any) -> None:
    """Hand ``value`` to every worker of this run (a no-op without workers)."""
    config.stash.setdefault(_SHARED, {})[key] = value


def from_controller(config: pytest.Config, key: str) -> Any:
    """The value the controller shared under ``key``; None outside a worker or when not shared."""
    workerinput = getattr(config, "workerinput", None)
    return workerinput.get(key) if isinstance(workerinput, dict) else None


class _NodeHooks:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput.update(self.config.stash.get(_SHARED, {}))


def install(config: pytest.Config) -> None:
    """Register the hook that passes shared values on; once, in the controller, with xdist."""
    if _xdist_active(config) and not is_worker(config):
        config.pluginmanager.register(_NodeHooks(config), "uapi-xdist")
