"""What a run left on a reference server, read the way a vendor would check it by hand."""

from __future__ import annotations

import time

import httpx

TOKEN = "sandbox-token-12"


def listed_once_settled(server: str, extension: str) -> object:
    """The List of ``extension`` once the run's last hang-ups have had time to show (D31)."""
    deadline = time.monotonic() + 2
    while True:
        listed = httpx.get(
            f"{server}/uapi/phoneCalls/12/{extension}",
            headers={"Authorization": f"Bearer {TOKEN}"},
        ).json()
        if listed == {"entry": []} or time.monotonic() > deadline:
            return listed
        time.sleep(0.05)
