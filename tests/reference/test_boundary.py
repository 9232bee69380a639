"""The reference server is its own part of the package: it reads the contract data and never
the plugin, the suites or the reporting (a vendor can read it as the documents' meaning alone)."""

from __future__ import annotations

import subprocess
import sys


def test_the_reference_server_imports_only_the_contract() -> None:
    code = (
        "import sys, pytest_uapi.reference, pytest_uapi.reference.__main__;"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('pytest_uapi'))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    outside = [
        m
        for m in loaded
        if not m.startswith(("pytest_uapi.reference", "pytest_uapi.contract"))
        and m != "pytest_uapi"
    ]
    assert not outside, f"the reference server pulls in {outside}"
