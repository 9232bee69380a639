"""The hostile tests run the plugin in a subprocess: keep the outer environment out of it."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _no_uapi_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("UAPI_"):
            monkeypatch.delenv(name)
