"""Run Schemathesis and this suite against one reference server, counting what each sends.

Both tools talk to the same real loopback server (``BackgroundServer``), serving the reference
or one of its faults; the server counts the requests it receives, so the two counts are measured
the same way. Each tool runs as its own process, as a vendor would run it.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from starlette.types import ASGIApp, Receive, Scope, Send

from pytest_uapi.openapi.__main__ import render
from pytest_uapi.reference import BackgroundServer, create_app

TOKEN = "sandbox-token-12"
# The Schemathesis checks that apply to this contract; docs/openapi.md says why the others
# (positive_data_acceptance, unsupported_method, allow_header_conformance,
# object_level_authorization) do not.
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "missing_required_header",
    "ignored_auth",
    "use_after_free",
    "ensure_resource_availability",
)


class Counting:
    """An ASGI wrapper that counts the HTTP requests reaching the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.requests = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.requests += 1
        await self.app(scope, receive, send)


@contextlib.contextmanager
def serve(fault: str | None = None) -> Iterator[tuple[str, Counting]]:
    """A loopback reference server (with ``fault``), its URL and its request counter."""
    counting = Counting(create_app(fault=fault))
    with BackgroundServer(counting) as server:
        yield server.url, counting


@dataclass(frozen=True)
class ToolRun:
    """One tool's run against one server: did it fail the server, what it sent, how long."""

    found: bool
    requests: int
    seconds: float
    findings: tuple[str, ...] = field(default=())
    """Schemathesis: its failure codes and titles (``ST202 ...``); the suite: failed tests."""
    exit_code: int = 0


def document_file(profile: str, where: Path) -> Path:
    path = where / f"openapi-{profile}.json"
    path.write_text(render(profile), encoding="utf-8")
    return path


def schemathesis_command(
    document: Path, url: str, *, max_examples: int, seed: int, report: Path
) -> list[str]:
    return [
        *(sys.executable, "-m", "schemathesis.cli", "run", str(document)),
        *("--url", url, "--header", f"Authorization: Bearer {TOKEN}"),
        *("--checks", ",".join(CHECKS), "--max-examples", str(max_examples)),
        *("--seed", str(seed), "--workers", "1", "--no-color"),
        *("--report", "json", "--report-json-path", str(report)),
    ]


def run_schemathesis(
    url: str, counting: Counting, *, profile: str = "default", max_examples: int = 10, seed: int = 1
) -> ToolRun:
    with tempfile.TemporaryDirectory(prefix="uapi-st-") as tmp:
        where = Path(tmp)
        report = where / "report.json"
        command = schemathesis_command(
            document_file(profile, where), url, max_examples=max_examples, seed=seed, report=report
        )
        before, start = counting.requests, time.perf_counter()
        done = subprocess.run(command, cwd=where, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
        if not report.exists():
            raise RuntimeError(f"schemathesis wrote no report:\n{done.stdout}\n{done.stderr}")
        data = json.loads(report.read_text(encoding="utf-8"))
    findings = tuple(f"{f['code']} {f['title']}" for f in data["failures"])
    findings += tuple(f"error: {e.get('title', e)}" for e in data["errors"])
    return ToolRun(
        found=bool(findings),
        requests=counting.requests - before,
        seconds=seconds,
        findings=findings,
        exit_code=done.returncode,
    )


def suite_command(url: str, *, strict: bool = False) -> list[str]:
    return [
        *(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:schemathesis"),
        *("--uapi-url", url, "--uapi-token", TOKEN),
        *(("--uapi-strict",) if strict else ()),
    ]


def run_suite(url: str, counting: Counting, *, strict: bool = False) -> ToolRun:
    with tempfile.TemporaryDirectory(prefix="uapi-suite-") as tmp:
        # An empty ini: the suite as a vendor runs it, not under this project's settings.
        Path(tmp, "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        before, start = counting.requests, time.perf_counter()
        done = subprocess.run(
            suite_command(url, strict=strict), cwd=tmp, capture_output=True, text=True, check=False
        )
        seconds = time.perf_counter() - start
    failed = tuple(
        line.split(" ", 1)[1].split(" - ", 1)[0]
        for line in done.stdout.splitlines()
        if line.startswith("FAILED ")
    )
    return ToolRun(
        found=done.returncode != 0,
        requests=counting.requests - before,
        seconds=seconds,
        findings=failed,
        exit_code=done.returncode,
    )
