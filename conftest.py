"""Project-wide test set-up.

The project's own tests drive the plugin through pytester; a developer's own UAPI_* variables
(say, a UAPI_URL pointing at their PBX) must not leak into those runs and change their outcome,
nor must a pytest plugin the machine happens to have: pytest-benchmark refuses to run beside
xdist, and its warning stops every inner run that asks for workers; Schemathesis' plugin (a dev
dependency, used only as a command) costs seconds at every start.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

# Inner in-process pytester runs forget the modules they imported, and libraries that import
# lazily then mix two copies of a module: httpx would no longer recognize the httpcore
# exceptions of a later run. Imported once here, these are part of what every inner run starts
# with.
import httpcore  # noqa: F401
import httpx  # noqa: F401
import pytest

# Hypothesis' pytest plugin, when installed, imports all of Hypothesis (with assertion
# rewriting) in each inner run otherwise: about a second per run.
with contextlib.suppress(ImportError):
    import hypothesis  # noqa: F401


@pytest.fixture(autouse=True)
def _isolate_uapi_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in [n for n in os.environ if n.startswith("UAPI_")]:
        monkeypatch.delenv(name)
    _block_machine_plugins(monkeypatch)
    yield


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    # Pytester clears PYTEST_ADDOPTS when it starts; set the block again for its runs.
    _block_machine_plugins(monkeypatch)
    return pytester


_BLOCKED = ("benchmark", "schemathesis")


def _block_machine_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    addopts = os.environ.get("PYTEST_ADDOPTS", "")
    missing = [f"-p no:{name}" for name in _BLOCKED if f"no:{name}" not in addopts]
    if missing:
        monkeypatch.setenv("PYTEST_ADDOPTS", " ".join([addopts, *missing]).strip())
