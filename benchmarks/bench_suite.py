"""Wall time of the shipped suite, and the plugin's per-exchange cost against a bare httpx loop.

    python benchmarks/bench_suite.py [--runs 5]

1. Suite wall time: ``pytest --uapi-url embedded`` from an empty folder (pytest start-up
   included), default and strict profiles, best and median of ``--runs`` runs.
2. Per-exchange overhead, side by side in one run: the reference server runs in its own process
   on a loopback port; the suite runs against it while a recorder plugin notes every request;
   then a bare ``httpx.Client`` loop sends the same requests, in the same order, to the same
   server (call ids mapped to the ones the server hands out this time). Two plugin figures: the
   time spent inside ``UapiClient.request`` (the exchange itself: recording, bounds, masking), and
   the whole test loop from the first request to the last divided by the number of exchanges
   (pytest's per-test work, fixtures and checks included; collection excluded).

Python writes bytecode caches as it does by default (``PYTHONDONTWRITEBYTECODE`` is dropped for
the runs): without them every run compiles pytest, the plugin and Faker again, which is start-up
cost, not the suite's. Schemathesis, one of this project's test dependencies, registers a pytest
plugin that every process would import (about 0.5 s of CPU, with Trio and GraphQL); an install of
pytest-uapi does not bring it, so the runs leave it out (``NOT_USERS``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent


NOT_USERS = ("-p", "no:schemathesis")
"""Plugins of this project's development environment that users' installs do not have."""


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(extra)
    return env


def suite_wall_time(runs: int, *extra: str) -> list[float]:
    times = []
    with tempfile.TemporaryDirectory() as empty:
        for _ in range(runs):
            started = time.perf_counter()
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pytest",
                    "--uapi-url",
                    "embedded",
                    "-q",
                    "-p",
                    "no:cacheprovider",
                    *NOT_USERS,
                    *extra,
                ],
                cwd=empty,
                capture_output=True,
                text=True,
                check=False,
            )
            times.append(time.perf_counter() - started)
            if done.returncode != 0:
                raise SystemExit(f"the suite failed:\n{done.stdout[-2000:]}")
    return times


_ACCESS = re.compile(r'"[A-Z]+ \S+ HTTP/[\d.]+" \d{3}')
"""A line of uvicorn's access log: one per request the server answered."""


class RequestCount:
    """The requests a server started by ``start_server`` answered, from its access log."""

    def __init__(self) -> None:
        self.value = 0
        self.reader: threading.Thread | None = None

    def final(self) -> int:
        """The count once the server has stopped and its log has been read to the end."""
        if self.reader is not None:
            self.reader.join(timeout=10)
        return self.value


def start_server(
    *options: str, count: RequestCount | None = None
) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest_uapi.reference", "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    match = re.search(r"(http://\S+)", first)
    if match is None:
        proc.kill()
        raise SystemExit(f"the reference server did not start: {first!r}")
    stdout = proc.stdout

    # uvicorn logs every request: keep reading, or the full pipe stops the server.
    def read() -> None:
        for line in stdout:
            if count is not None and _ACCESS.search(line):
                count.value += 1

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if count is not None:
        count.reader = reader
    return proc, match[1]


def record_suite(url: str, record: Path) -> dict[str, Any]:
    env = dict(
        os.environ,
        UAPI_BENCH_RECORD=str(record),
        PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
    )
    with tempfile.TemporaryDirectory() as empty:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "--uapi-url",
                url,
                "--uapi-token",
                "sandbox-token-12",
                "-q",
                "-p",
                "no:cacheprovider",
                *NOT_USERS,
                "-p",
                "_exchange_recorder",
            ],
            cwd=empty,
            env=env,
            capture_output=True,
            check=True,
        )
    data: dict[str, Any] = json.loads(record.read_text(encoding="utf-8"))
    return data


_CALL_ID = re.compile(r'"id":\s*"([A-Za-z0-9]+)"')


def replay(exchanges: list[dict[str, Any]]) -> float:
    """Send the recorded requests with a bare httpx client; seconds from first to last."""
    ids: dict[str, str] = {}
    with httpx.Client(timeout=10.0) as client:
        started = time.perf_counter()
        for ex in exchanges:
            url, content = ex["url"], ex["content"]
            for old, new in ids.items():
                url = url.replace(old, new)
                content = content.replace(old, new)
            answer = client.request(
                ex["method"], url, headers=ex["headers"], content=content.encode() or None
            )
            # A made call gets a new id: later requests of the recording use the old one.
            if ex["method"] == "POST" and answer.status_code < 300:
                for old, new in zip(
                    _CALL_ID.findall(ex["answer"]), _CALL_ID.findall(answer.text), strict=False
                ):
                    ids[old] = new
        return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    for label, extra in (("default", ()), ("strict", ("--uapi-strict",))):
        times = suite_wall_time(args.runs, *extra)
        print(
            f"suite wall time, embedded, {label} profile: best {min(times):.2f} s, "
            f"median {statistics.median(times):.2f} s over {args.runs} runs"
        )

    proc, url = start_server()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            recorded = record_suite(url, Path(tmp) / "record.json")
        exchanges = recorded["exchanges"]
        bare = min(replay(exchanges) for _ in range(3))
    finally:
        proc.terminate()
        proc.wait()
    n = len(exchanges)
    loop_each = recorded["seconds"] / n * 1e6
    client_each = sum(ex["elapsed"] for ex in exchanges) / n * 1e6
    bare_each = bare / n * 1e6
    print(f"exchanges in the suite: {n}")
    print(f"bare httpx loop, same requests, same server: {bare_each:.0f} us per exchange")
    print(
        f"plugin, inside UapiClient.request: {client_each:.0f} us per exchange "
        f"= {client_each / bare_each:.2f}x the bare loop"
    )
    print(
        f"plugin, whole test loop / exchanges: {loop_each:.0f} us per exchange "
        f"= {loop_each / bare_each:.2f}x the bare loop (pytest, fixtures and checks included)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
