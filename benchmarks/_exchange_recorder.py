"""A pytest plugin for bench_suite.py: records every exchange the suite makes, and how long the
test loop took, so a bare httpx loop can replay the same requests on the same server."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Generator
from typing import Any

import pytest

_RECORD: list[dict[str, Any]] = []
_CLOCK: dict[str, float] = {}


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session) -> Generator[None, object, object]:
    _CLOCK["start"] = time.perf_counter()
    try:
        return (yield)
    finally:
        _CLOCK["end"] = time.perf_counter()
        out = os.environ["UAPI_BENCH_RECORD"]
        with open(out, "w", encoding="utf-8") as f:
            json.dump({"seconds": _CLOCK["end"] - _CLOCK["start"], "exchanges": _RECORD}, f)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, object, object]:
    try:
        return (yield)
    finally:
        client = getattr(item, "funcargs", {}).get("uapi_client")
        for exchange in getattr(client, "exchanges", []):
            request, response = exchange.request, exchange.response
            _RECORD.append(
                {
                    "method": request.method,
                    "url": str(request.url),
                    "headers": {
                        k: v
                        for k, v in request.headers.items()
                        if k.lower() in ("authorization", "content-type")
                    },
                    "content": request.content.decode("utf-8", "replace"),
                    "status": response.status_code if response is not None else None,
                    "answer": response.text if response is not None else "",
                    "elapsed": exchange.elapsed,
                }
            )
