"""The suite against a distant server: serial against ``-n N``, in one run, as ratios.

    python benchmarks/bench_remote.py [--rtt 0.05] [--workers 4 8 16] [--profile default]
        [--answer-delay 0.6 --effect-delay 0.8]

The reference server runs in its own process on a loopback port; in front of it, a TCP proxy in
this process delays every chunk by half the round-trip time in each direction (so a request and
its answer cost one RTT, as on a real network; bandwidth is not limited). The shipped suite runs
against the proxy serially, then with each ``-n``; each run gets a fresh server, so no run sees
another's calls. Reported: wall time (pytest start-up included), tests and exchanges per run, the
ratio of each parallel run to the serial one, and the exchanges per test: as the tests' evidence
has them (report.json) and as the server answered them (its access log: also the calls made
ahead that no test took, and the hang-ups at the end of the session).
With ``--answer-delay``/``--effect-delay`` the server is asynchronous as a real PBX is (a call
answers, and an action shows, that long after its 202); the suite then runs with
``--uapi-settle`` at the larger delay plus a second, and every run is also made against the
immediate server, so the cost of asynchronous progress is a ratio too.

Absolute times on a shared machine drift from one hour to the next; the ratios, measured in one
run, are the figures to read. ``PYTHONDONTWRITEBYTECODE`` is dropped for the runs (users' Pythons
write bytecode caches; without them every worker compiles pytest, the plugin and Faker again), and
so is the Schemathesis plugin of this project's test environment (``bench_suite.NOT_USERS``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench_suite import NOT_USERS, RequestCount, start_server

TOKEN = "sandbox-token-12"


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    """Forward ``reader`` to ``writer``, each chunk ``delay`` seconds after it arrived, in order."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def deliver() -> None:
        while True:
            due, chunk = await queue.get()
            await asyncio.sleep(max(0.0, due - loop.time()))
            if not chunk:
                writer.close()
                return
            writer.write(chunk)
            await writer.drain()

    delivering = asyncio.create_task(deliver())
    try:
        while True:
            chunk = await reader.read(65536)
            queue.put_nowait((loop.time() + delay, chunk))
            if not chunk:
                break
        await delivering
    except (ConnectionError, OSError):
        delivering.cancel()
        writer.close()


class DelayProxy:
    """A loopback TCP proxy adding ``rtt`` seconds of round-trip time in front of ``upstream``."""

    def __init__(self, upstream: str, rtt: float) -> None:
        host, _, port = upstream.removeprefix("http://").partition(":")
        self.upstream = (host, int(port.rstrip("/")))
        self.half = rtt / 2
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        await asyncio.gather(
            _pump(reader, up_writer, self.half),
            _pump(up_reader, writer, self.half),
            return_exceptions=True,
        )

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        port = server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self._ready.set()
        self._loop.run_forever()

    def __enter__(self) -> DelayProxy:
        self._thread.start()
        self._ready.wait()
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)


@contextlib.contextmanager
def distant_server(rtt: float, *options: str, count: RequestCount | None = None) -> Iterator[str]:
    proc, url = start_server(*options, count=count)
    try:
        with DelayProxy(url, rtt) as proxy:
            yield proxy.url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def run_suite(url: str, workers: int, profile: str, settle: float | None) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    extra = ["-n", str(workers)] if workers else []
    if settle is not None:
        extra += ["--uapi-settle", f"{settle:g}"]
    if profile == "strict":
        extra.append("--uapi-strict")
    with tempfile.TemporaryDirectory() as empty:
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "--uapi-url", url, "--uapi-token", TOKEN, "-q",
             "-p", "no:cacheprovider", *NOT_USERS, "--uapi-report", "out", *extra],
            cwd=empty, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        wall = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"the suite failed with -n {workers}:\n{done.stdout[-3000:]}")
        report = json.loads((Path(empty) / "out" / "report.json").read_text("utf-8"))
    tests = report["tests"]
    return {
        "workers": workers,
        "wall": wall,
        "tests": len(tests),
        "exchanges": sum(len(t["exchanges"]) for t in tests),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rtt", type=float, default=0.05, help="added round-trip time, seconds")
    parser.add_argument("--workers", type=int, nargs="+", default=[4, 8, 16])
    parser.add_argument("--profile", choices=["default", "strict"], default="default")
    parser.add_argument("--answer-delay", type=float, default=0.0, help="seconds to answer")
    parser.add_argument("--effect-delay", type=float, default=0.0, help="seconds to show")
    args = parser.parse_args()
    delays = [
        "--answer-delay",
        f"{args.answer_delay:g}",
        "--effect-delay",
        f"{args.effect_delay:g}",
    ]
    asynchronous = args.answer_delay > 0 or args.effect_delay > 0
    settle = max(args.answer_delay, args.effect_delay) + 1 if asynchronous else None
    results: list[tuple[str, dict[str, Any]]] = []

    def measure(kind: str, workers: int, *options: str) -> None:
        count = RequestCount()
        with distant_server(args.rtt, *options, count=count) as url:
            result = run_suite(url, workers, args.profile, settle if options else None)
        result["requests"] = count.final()
        results.append((kind, result))

    for workers in [0, *args.workers]:
        measure("immediate", workers)
        if asynchronous:
            measure("async", workers, *delays)
    serial = results[0][1]["wall"]
    immediate = {r["workers"]: r["wall"] for kind, r in results if kind == "immediate"}
    print(f"{args.rtt * 1000:.0f} ms RTT, {args.profile} profile, {os.cpu_count()} cores", end="")
    print(f"; async: {' '.join(delays)}, settle {settle:g}" if asynchronous else "")
    print(
        f"{'server':<11}{'run':<8}{'wall s':>8}{'÷ serial':>10}{'÷ immediate':>13}"
        f"{'tests':>7}{'exchanges':>11}{'per test':>10}{'at server':>11}"
    )
    for kind, r in results:
        name = f"-n {r['workers']}" if r["workers"] else "serial"
        print(
            f"{kind:<11}{name:<8}{r['wall']:>8.1f}{r['wall'] / serial:>10.2f}"
            f"{r['wall'] / immediate[r['workers']]:>13.2f}{r['tests']:>7}"
            f"{r['exchanges']:>11}{r['exchanges'] / r['tests']:>10.1f}"
            f"{r['requests'] / r['tests']:>11.1f}"
        )


if __name__ == "__main__":
    main()
