"""Plugin tests run pytest inside pytest: keep the outer environment out of the inner runs."""

from __future__ import annotations

import contextlib
import os

# Inner in-process runs forget the modules they imported, and libraries that import lazily then
# mix two copies of a module: httpx would no longer recognize the httpcore exceptions of a
# later run. Imported once here, these are part of what every inner run starts with.
import httpcore  # noqa: F401
import httpx  # noqa: F401
import pytest

# Hypothesis' pytest plugin, when installed, imports all of Hypothesis (with assertion
# rewriting) in each inner run otherwise: about a second per run.
with contextlib.suppress(ImportError):
    import hypothesis  # noqa: F401


@pytest.fixture(autouse=True)
def _no_uapi_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # A developer's UAPI_URL or UAPI_TOKEN would otherwise leak into every inner run.
    for name in list(os.environ):
        if name.startswith("UAPI_"):
            monkeypatch.delenv(name)
