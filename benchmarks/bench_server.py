"""Throughput of the reference server for a make-call -> action -> GET -> DELETE cycle.

    python benchmarks/bench_server.py [--cycles 2000] [--clients 8]

Measures the cycle in process (``httpx.ASGITransport``, one client) and over loopback HTTP
(uvicorn in a thread, one client, then ``--clients`` concurrent clients), and prints requests and
cycles per second. Each cycle is four requests, all answered with the documented success.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import anyio
import httpx

from pytest_uapi.reference import BackgroundServer, create_app

HEADERS = {"Authorization": "Bearer sandbox-token-12"}
MAKE_CALL = {
    "extension": "0003*210",
    "phoneCallView": [{"source": ["0003*210"], "destination": ["3235742879"]}],
}
TRANSFER = {"action": "Transfer", "sendCallTo": "0003*024", "transferFromNumber": "0003*210"}
REQUESTS_PER_CYCLE = 4


def _expect(answer: httpx.Response, status: int) -> httpx.Response:
    if answer.status_code != status:
        raise SystemExit(f"unexpected {answer.status_code}: {answer.text}")
    return answer


def cycle_sync(client: httpx.Client, base: str) -> None:
    ack = _expect(client.post(f"{base}/uapi/phoneCalls/@me/simple", json=MAKE_CALL), 202).json()
    link = ack[0]["link"]["self"]
    _expect(client.put(link, json=TRANSFER), 202)
    _expect(client.get(link), 200)
    _expect(client.delete(link), 200)


async def cycle_async(client: httpx.AsyncClient, base: str) -> None:
    answer = await client.post(f"{base}/uapi/phoneCalls/@me/simple", json=MAKE_CALL)
    link = _expect(answer, 202).json()[0]["link"]["self"]
    _expect(await client.put(link, json=TRANSFER), 202)
    _expect(await client.get(link), 200)
    _expect(await client.delete(link), 200)


def in_process(cycles: int) -> float:
    async def run() -> float:
        transport = httpx.ASGITransport(create_app())
        async with httpx.AsyncClient(transport=transport, headers=HEADERS) as client:
            base = "http://testserver"
            for _ in range(cycles // 10):  # warm-up
                await cycle_async(client, base)
            start = time.perf_counter()
            for _ in range(cycles):
                await cycle_async(client, base)
            return time.perf_counter() - start

    return anyio.run(run)


def loopback(cycles: int, clients: int) -> float:
    with BackgroundServer(create_app()) as server:
        per_client = cycles // clients

        def run(_: int) -> None:
            with httpx.Client(headers=HEADERS) as client:
                for _ in range(per_client):
                    cycle_sync(client, server.url)

        run(0)  # warm-up (and connection set-up)
        start = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(run, range(clients)))
        return time.perf_counter() - start


def report(label: str, cycles: int, measure: Callable[[], float]) -> None:
    seconds = measure()
    requests = cycles * REQUESTS_PER_CYCLE
    sys.stdout.write(
        f"{label:<34} {requests / seconds:>8.0f} requests/s  "
        f"{cycles / seconds:>7.0f} cycles/s  ({requests} requests in {seconds:.2f} s)\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=2000, help="cycles per measurement")
    parser.add_argument("--clients", type=int, default=8, help="concurrent loopback clients")
    args = parser.parse_args()
    cycles = args.cycles - args.cycles % args.clients
    sys.stdout.write(f"cycle: POST simple -> PUT Transfer -> GET self -> DELETE; {cycles} cycles\n")
    report("in process (ASGITransport)", cycles, lambda: in_process(cycles))
    report("loopback HTTP, 1 client", cycles, lambda: loopback(cycles, 1))
    report(f"loopback HTTP, {args.clients} clients", cycles, lambda: loopback(cycles, args.clients))


if __name__ == "__main__":
    main()
