"""Project-wide test set-up.

The project's own tests drive the plugin through pytester; a developer's own UAPI_* variables
(say, a UAPI_URL pointing at their PBX) must not leak into those runs and change their outcome.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _isolate_uapi_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in [n for n in os.environ if n.startswith("UAPI_")]:
        monkeypatch.delenv(name)
    yield
