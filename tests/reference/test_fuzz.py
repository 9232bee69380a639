"""Fuzzing: generated and mutated requests never draw a 5xx, and a refusal never changes state.

Requests start from the valid requests of the contract's operations (and the List, hang-up and
OnHold requests), then get random mutations: values of the wrong JSON type, huge strings, odd
unicode, deep nesting, faker values, removed fields, truncated or garbage bodies, other methods,
paths, queries and credentials. The run is deterministic for a seed.

    UAPI_FUZZ_COUNT   requests in process (default 1500; the full run uses 10000)
    UAPI_FUZZ_SEED    the seed (default 2026)

A share (a tenth) is also sent over loopback HTTP through uvicorn.
"""

from __future__ import annotations

import json
import os
import random
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import anyio
import httpx
import pytest
from faker import Faker
from starlette.applications import Starlette

from pytest_uapi.contract.schemas import validator
from pytest_uapi.reference import BackgroundServer, create_app
from pytest_uapi.reference.behaviour import Behaviour

from .support import CONTRACT, TOKEN, VALUES, Req, fill

# Subprocess-heavy or long: `pytest -m "not slow"` leaves it out of the quick loop.
pytestmark = pytest.mark.slow

COUNT = int(os.environ.get("UAPI_FUZZ_COUNT", "1500"))
SEED = int(os.environ.get("UAPI_FUZZ_SEED", "2026"))
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
TOKENS = [TOKEN, TOKEN, TOKEN, "sandbox-token-13", "sandbox-token-20"]
NUMBERS = [
    VALUES[k] for k in ("caller", "caller_short", "ringing", "colleague", "queue", "foreign")
]
ERROR = validator("error")
BASE = "http://testserver"
HUGE = b'{"nonce": "' + b"x" * 70_000 + b'"}'  # over the 64 KiB default limit


@dataclass
class Sent:
    method: str
    url: str
    headers: dict[str, str | bytes] = field(default_factory=dict)
    content: bytes = b""

    def __str__(self) -> str:
        body = self.content[:300].decode("utf-8", "replace")
        return f"{self.method} {self.url} {self.headers} {body!r}"


def dumps(body: Any) -> bytes:
    try:
        return json.dumps(body).encode("utf-8", "surrogatepass")
    except RecursionError:  # nested deeper than the encoder goes: send it cut short instead
        return b"[" * 5_000


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.faker = Faker()
        self.faker.seed_instance(seed)

    # --- values ----------------------------------------------------------------------------

    def odd_string(self) -> str:
        r = self.rng
        return r.choice(
            [
                lambda: "",
                lambda: " ",
                lambda: "x" * r.randint(1_000, 70_000),
                lambda: "9" * r.randint(20, 5_000),
                lambda: "\u202e\u200b\ufeff" + self.faker.name(),
                lambda: "🎉" * r.randint(1, 50),
                lambda: "\x00\x01\x7f",
                lambda: "".join(chr(r.randint(0x80, 0x2FFFF)) for _ in range(r.randint(1, 30))),
                lambda: self.faker.phone_number(),
                lambda: self.faker.msisdn(),
                lambda: self.faker.name() + f" <{self.faker.msisdn()}>",
                lambda: self.faker.user_name(),
                lambda: self.faker.sentence(),
                lambda: r.choice(NUMBERS),
                lambda: r.choice(["@self", "@me", "@owner", "@viewer", "01", "02", "true", "-1"]),
                lambda: r.choice(
                    ["Transfer", "PickUp", "OffHold", "OnHold", "TransferToVoicemail"]
                ),
                lambda: "+" + "".join(r.choice("0123456789*+#") for _ in range(r.randint(0, 15))),
            ]
        )()

    def value(self, depth: int = 0) -> Any:
        r = self.rng
        kinds: list[Callable[[], Any]] = [
            self.odd_string,
            self.odd_string,
            lambda: r.randint(-(2**63), 2**63),
            lambda: r.choice([0, -1, 1, 20, 1e308, -0.0, 2.5]),
            lambda: r.choice([None, True, False]),
            lambda: [self.odd_string() for _ in range(r.randint(0, 4))],
            lambda: self.nested(r.randint(1, 3_000)),
        ]
        if depth < 3:
            kinds.append(lambda: [self.value(depth + 1) for _ in range(r.randint(0, 3))])
            kinds.append(lambda: {self.odd_string()[:20]: self.value(depth + 1)})
        return r.choice(kinds)()

    def nested(self, depth: int) -> Any:
        value: Any = self.odd_string()[:10]
        for _ in range(depth):
            value = [value] if self.rng.random() < 0.5 else {"a": value}
        return value

    # --- requests --------------------------------------------------------------------------

    def base(self, call_ids: list[str]) -> tuple[str, str, dict[str, Any] | None, dict[str, str]]:
        """A valid request of some kind: method, path, body, query."""
        r = self.rng
        call_id = r.choice(call_ids) if call_ids and r.random() < 0.9 else self.faker.md5()[:20]
        kind = r.choice(
            ["MakeCall"] * 4
            + ["Transfer", "TransferToVoicemail", "PickUp", "OffHold"]
            + ["OnHold", "get", "list", "delete", "delete_all", "bulk"]
        )
        if kind in CONTRACT.operations:
            req = Req(CONTRACT.operations[kind], call_id)
            if kind == "MakeCall":
                view = req.body["phoneCallView"][0]
                view["destination"] = [r.choice([VALUES["public"], *NUMBERS])]
                view["source"] = [r.choice([VALUES["caller"], VALUES["caller_short"]])]
            return req.method, req.path, req.body, {}
        call_path = f"/uapi/phoneCalls/12/{VALUES['caller']}/{call_id}"
        list_path = (
            f"/uapi/phoneCalls/12/{r.choice([VALUES['caller'], '@self', VALUES['ringing']])}"
        )
        if kind == "OnHold":
            return "PUT", call_path, fill(dict(CONTRACT.support.onhold_body), VALUES), {}
        if kind == "bulk":
            req = Req(CONTRACT.operations[r.choice(["Transfer", "TransferToVoicemail"])], bulk=True)
            return "PUT", list_path, req.body, {}
        return {
            "get": ("GET", call_path, None, {}),
            "list": ("GET", list_path, None, {}),
            "delete": ("DELETE", call_path, None, {}),
            "delete_all": ("DELETE", list_path, None, {}),
        }[kind]

    def request(self, call_ids: list[str]) -> Sent:
        r = self.rng
        method, path, body, query = self.base(call_ids)
        headers: dict[str, str | bytes] = {
            "Authorization": f"Bearer {TOKEN}",
            "Content-Type": "application/json",
        }
        raw: bytes | None = None
        for _ in range(r.choice([0, 1, 1, 1, 2, 3])):
            mutation = r.randrange(12)
            if mutation <= 3 and isinstance(body, dict):
                self.mutate_body(body)
            elif mutation == 4:
                raw = dumps(body)[: r.randint(0, 60)]
            elif mutation == 5:
                raw = r.choice(
                    [b"", b"\xff\xfe\x00", b"{" * 20_000, b"[]", b"1e999999", b"NaN", HUGE]
                )
            elif mutation == 6:
                body = self.value()
            elif mutation == 7:
                method = r.choice(METHODS)
            elif mutation == 8:
                parts = path.split("/")
                if len(parts) > 3:
                    parts[r.randrange(3, len(parts))] = quote(
                        self.odd_string()[:200], safe="@*", errors="surrogatepass"
                    )
                path = "/".join(parts) + r.choice(["", "", "/", "/extra"])
            elif mutation == 9:
                query[
                    r.choice(["waitForPickup", "callDuration", "allowPublicTransfer", "video"])
                ] = self.odd_string()[:100]
            elif mutation == 10:
                choice = r.randrange(4)
                if choice == 0:
                    headers.pop("Authorization", None)
                elif choice == 1:
                    headers["Authorization"] = f"Bearer {r.choice(TOKENS)}"
                elif choice == 2:
                    headers["Authorization"] = r.choice(
                        ["Bearer", "Basic abc", "bearer  x", "Bearer 🎉".encode()]
                    )
                else:
                    headers["Content-Type"] = r.choice(["text/plain", "application/xml", ""])
            else:
                path = r.choice(
                    ["/", "/uapi", "/uapi/phoneCalls", "/uapi/phoneCall/12/0003*210/x", path + "//"]
                )
        if raw is None:
            raw = b"" if body is None else dumps(body)
        url = path + ("?" + urlencode(query, errors="surrogatepass") if query else "")
        return Sent(method, url, headers, raw)

    def mutate_body(self, body: dict[str, Any]) -> None:
        r = self.rng
        target: Any = body
        keys = list(body)
        if (
            "phoneCallView" in body
            and isinstance(body["phoneCallView"], list)
            and body["phoneCallView"]
            and r.random() < 0.5
        ):
            target = body["phoneCallView"][0]
            keys = list(target) if isinstance(target, dict) else []
        if not isinstance(target, dict):
            return
        if keys and r.random() < 0.3:
            del target[r.choice(keys)]
            return
        key = r.choice(keys) if keys and r.random() < 0.8 else self.odd_string()[:30]
        target[key] = self.value()


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)

    def report(self, label: str) -> str:
        total = sum(self.statuses.values())
        spread = ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items()))
        return f"{label}: {total} requests, no 5xx ({spread})\n"


def check(
    answer: httpx.Response,
    sent: Sent,
    before: str,
    after: Callable[[], str],
    json_type: str = "application/json",
) -> None:
    assert answer.status_code < 500, f"{answer.status_code} for {sent}\n{answer.text[:500]}"
    if answer.status_code >= 400:
        assert after() == before, f"state changed by a refused request: {sent}"
    if sent.method == "HEAD":  # the GET's headers, no body
        return
    if answer.content:
        assert answer.headers["content-type"] == json_type, str(sent)
        answer.json()
    if answer.status_code >= 400:
        assert ERROR.is_valid(answer.json()), f"no D25 body for {sent}: {answer.text[:300]}"


def live_ids(app: Starlette) -> list[str]:
    pbx = app.state.pbx
    with pbx.lock:
        return [call.id for call in pbx.calls_of("12", None)]


def trim(app: Starlette) -> None:
    """Keep the PBX small so that snapshots stay cheap: hang up the oldest calls."""
    pbx = app.state.pbx
    with pbx.lock:
        for owner in ("12", "13", "20"):
            for call in pbx.calls_of(owner, None)[:-20]:
                pbx.hang_up(call)


def requests(seed: int, count: int, app: Starlette) -> Iterator[Sent]:
    generator = Generator(seed)
    for i in range(count):
        if i % 50 == 0:
            trim(app)
        yield generator.request(live_ids(app))


def test_fuzz_in_process() -> None:
    app = create_app()
    tally = Tally()

    async def run() -> None:
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport) as client:
            for sent in requests(SEED, COUNT, app):
                before = app.state.pbx.snapshot()
                answer = await client.request(
                    sent.method, BASE + sent.url, headers=sent.headers, content=sent.content
                )
                tally.statuses[answer.status_code] += 1
                check(answer, sent, before, app.state.pbx.snapshot)

    anyio.run(run)
    sys.stdout.write(tally.report("in process"))
    assert sum(n for s, n in tally.statuses.items() if s < 300) > COUNT // 20, tally.statuses


# Every realistic shape at once, but no delay: a refused request is then checked against the
# state right after it, which a change falling due meanwhile would muddle.
SHAPED = Behaviour(multi_view=True, extra_fields=True, close_connections=True, chunked=True)


@pytest.mark.parametrize("behaviour", [Behaviour(), SHAPED], ids=["reference", "shaped"])
def test_fuzz_over_http(behaviour: Behaviour) -> None:
    app = create_app(behaviour=behaviour)
    json_type = "application/json; charset=utf-8" if behaviour.extra_fields else "application/json"
    tally = Tally()
    seed = SEED + 1 if behaviour == Behaviour() else SEED + 2
    with BackgroundServer(app) as server, httpx.Client(timeout=30) as client:
        for sent in requests(seed, max(COUNT // 10, 50), app):
            before = app.state.pbx.snapshot()
            try:
                answer = client.request(
                    sent.method, server.url + sent.url, headers=sent.headers, content=sent.content
                )
            except (httpx.InvalidURL, httpx.LocalProtocolError, UnicodeEncodeError):
                continue  # the client refuses to send it: nothing reached the server
            tally.statuses[answer.status_code] += 1
            check(answer, sent, before, app.state.pbx.snapshot, json_type)
    sys.stdout.write(tally.report("over HTTP"))
