"""Clients and request builders shared by the reference server's tests.

Two clients with one interface: ``AsgiApi`` drives the app in process (``httpx.ASGITransport``
through an anyio portal thread, the way the plugin embeds it) and ``HttpApi`` talks to it over
loopback HTTP (uvicorn in ``BackgroundServer``). Requests are built from the contract's operation
data and its placeholders, as the suites build theirs.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from contextlib import ExitStack
from typing import Any

import httpx
from anyio.from_thread import start_blocking_portal
from starlette.types import ASGIApp

from pytest_uapi.checking.request_spec import fill
from pytest_uapi.contract import Operation, load_contract
from pytest_uapi.reference import BackgroundServer
from pytest_uapi.settings.target import build_target

CONTRACT = load_contract()
TOKEN = "sandbox-token-12"
COLLEAGUE_TOKEN = "sandbox-token-13"
FOREIGN_TOKEN = "sandbox-token-20"

# The placeholders of contract.toml: the shipped target profile's roles, as the suites fill them,
# and the few values a suite makes up per request.
VALUES: dict[str, Any] = {
    **build_target({}).roles(),
    "view_id": "01",
    "caller_id": "John Doe <0003*210>",
    "nonce": "nonce-1",
}


class Req:
    """A request under construction: method, path parameters, query and body."""

    def __init__(self, operation: Operation, call_id: str = "", *, bulk: bool = False) -> None:
        values = {**VALUES, "call_id": call_id}
        self.values = values
        self.method = operation.method
        self.template = operation.bulk_path if bulk and operation.bulk_path else operation.path
        self.path_params: dict[str, str] = fill(dict(operation.path_params), values)
        if bulk:
            self.path_params.pop("phoneCallId", None)
        self.query: dict[str, str] = {}
        self.body: dict[str, Any] = fill(copy.deepcopy(dict(operation.body)), values)

    @property
    def path(self) -> str:
        return self.template.format(**self.path_params)

    def change(self, field: str, value: Any = None, *, remove: bool = False) -> Req:
        """Set or remove one field (``path.x``, ``query.x``, ``body.a.0.b``), as a cause does."""
        location, _, key = field.partition(".")
        value = fill(value, self.values)
        if location == "path":
            self.path_params[key] = value
            return self
        if location == "query":
            if remove:
                self.query.pop(key, None)
            else:
                self.query[key] = value
            return self
        *parents, last = key.split(".")
        target: Any = self.body
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if remove:
            del target[int(last) if last.isdigit() else last]
        else:
            target[int(last) if last.isdigit() else last] = value
        return self


class Api:
    """The reference server seen through one client; ``base`` is the URL clients are given."""

    base = ""

    def send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        raise NotImplementedError

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = TOKEN,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        all_headers = dict(headers or {})
        if token is not None:
            all_headers.setdefault("Authorization", f"Bearer {token}")
        url = path if path.startswith("http") else self.base + path
        return self.send(method, url, headers=all_headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def put(self, path: str, body: Any, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, json=body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def send_req(self, req: Req, **kwargs: Any) -> httpx.Response:
        return self.request(req.method, req.path, params=req.query, json=req.body, **kwargs)

    def make_call(
        self,
        destination: str = VALUES["public"],
        *,
        source: str = VALUES["caller"],
        extension: str | None = VALUES["caller"],
        user: str = "12",
        token: str = TOKEN,
        **extra: Any,
    ) -> dict[str, Any]:
        """Make a call and return its acknowledgement (fails the test if it is refused)."""
        body: dict[str, Any] = {
            "phoneCallView": [{"source": [source], "destination": [destination]}]
        }
        if extension is not None:
            body["extension"] = extension
        body.update(extra)
        answer = self.request("POST", f"/uapi/phoneCalls/{user}/simple", json=body, token=token)
        assert answer.status_code == 202, answer.text
        ack: dict[str, Any] = answer.json()[0]
        return ack

    def prepare(self, state: str) -> str:
        """A call in one of the contract's states (``Operation.state``); returns its id."""
        destination = {
            "on_call": VALUES["public"],
            "on_call_internal": VALUES["colleague"],
            "ringing": VALUES["ringing"],
            "on_hold": VALUES["public"],
        }[state]
        call_id: str = self.make_call(destination)["id"]
        if state == "on_hold":
            onhold = fill(dict(CONTRACT.support.onhold_body), VALUES)
            answer = self.put(f"/uapi/phoneCalls/12/{VALUES['caller']}/{call_id}", onhold)
            assert answer.status_code == 202, answer.text
        return call_id

    def call_path(self, call_id: str, extension: str = VALUES["caller"]) -> str:
        return f"/uapi/phoneCalls/12/{extension}/{call_id}"

    def close(self) -> None:
        pass


class AsgiApi(Api):
    base = "http://testserver"

    def __init__(self, app: ASGIApp) -> None:
        self._stack = ExitStack()
        self._portal = self._stack.enter_context(start_blocking_portal())
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app))

    def send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            return await self._client.request(method, url, **kwargs)

        return self._portal.call(go)

    def close(self) -> None:
        self._portal.call(self._client.aclose)
        self._stack.close()


class HttpApi(Api):
    def __init__(self, app: ASGIApp, *, prefix: str = "") -> None:
        self._server = BackgroundServer(app, prefix=prefix)
        self._server.start()
        self.base = self._server.url
        self._client = httpx.Client(timeout=10)

    def send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._client.request(method, url, **kwargs)

    def close(self) -> None:
        self._client.close()
        self._server.stop()
