"""Per-request cost of the plugin's client next to a bare httpx loop, over loopback HTTP.

    python benchmarks/bench_client.py [--requests 3000] [--rounds 5]

Both loops send the same authenticated List request to the reference server (``embedded-http``)
through one kept-alive connection; the plugin's loop goes through ``UapiClient.request`` (the
exchange record, the response bounds, the token). The best round of each is compared, because
the slower rounds measure the machine, not the code.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

import httpx

from pytest_uapi.settings.resolve import Settings
from pytest_uapi.settings.target import load_target
from pytest_uapi.transport.client import UapiClient
from pytest_uapi.transport.connect import open_session

TOKEN = "sandbox-token-12"
PATH = "/uapi/phoneCalls/12/0003*210"


def best(loop: Callable[[int], None], requests: int, rounds: int) -> float:
    loop(requests // 10)  # warm-up: connection, caches
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        loop(requests)
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    settings = Settings(
        url="embedded-http",
        token=TOKEN,
        target=load_target(),
        strict=False,
        timeout=10.0,
        seed=0,
        rebase_links=False,
        ca_bundle=None,
        insecure=False,
        sources={},
    )
    with open_session(settings) as session:
        client = UapiClient(session, TOKEN)
        url = session.base_url + PATH
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(timeout=10.0, trust_env=False) as bare:

            def bare_loop(n: int) -> None:
                for _ in range(n):
                    if bare.get(url, headers=headers).status_code != 200:
                        raise SystemExit("bare httpx: unexpected status")

            def plugin_loop(n: int) -> None:
                for _ in range(n):
                    client.exchanges.clear()  # a test keeps a handful, not thousands
                    if client.request("GET", PATH).status_code != 200:
                        raise SystemExit("UapiClient: unexpected status")

            plain = best(bare_loop, args.requests, args.rounds)
            plugin = best(plugin_loop, args.requests, args.rounds)
    per = 1e6 / args.requests
    sys.stdout.write(
        f"bare httpx   {plain * per:7.1f} us/request\n"
        f"UapiClient   {plugin * per:7.1f} us/request\n"
        f"ratio        {plugin / plain:7.2f}x\n"
    )


if __name__ == "__main__":
    main()
