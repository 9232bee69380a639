"""Titled check failures and how they read in a report.

A check that finds the target at fault raises ``CheckFailure``: a title ("Undocumented success
status"), what was expected and received, the requirement ids it proves, and the exchange that
showed it. The plugin renders it with ``render`` instead of a traceback, because the traceback of
a check says nothing about the server and the exchange says everything.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from .contract import load_contract
from .curl import curl_command
from .exchange import Exchange

BODY_LIMIT = 600


@dataclass
class CheckFailure(AssertionError):
    title: str
    expected: str
    received: str
    requirements: tuple[str, ...]
    exchange: Exchange | None = None
    details: Sequence[str] = field(default_factory=tuple)

    def __str__(self) -> str:
        return f"{self.title}: expected {self.expected}, received {self.received}"


def cut(text: str, limit: int = BODY_LIMIT) -> str:
    return (
        text if len(text) <= limit else f"{text[:limit]}... ({len(text) - limit} more characters)"
    )


def _body(exchange: Exchange) -> str:
    response = exchange.response
    if response is None:
        return ""
    try:
        raw = response.content
    except Exception:  # a streamed body that was never read: nothing to show
        return ""
    if not raw:
        return "(empty body)"
    try:
        text = json.dumps(json.loads(raw), ensure_ascii=False)
    except ValueError:
        text = raw.decode("utf-8", errors="replace")
    return cut(text)


def render(failure: CheckFailure, secrets: tuple[str, ...] = ()) -> str:
    """The failure as people read it: title, expected/received, requirement, answer, curl."""
    contract = load_contract()
    lines = [
        f"- {failure.title}",
        "",
        f"    Expected: {failure.expected}",
        f"    Received: {failure.received}",
    ]
    lines += [f"    {d}" for d in failure.details]
    lines.append("")
    for requirement_id in failure.requirements:
        try:
            requirement = contract.requirement(requirement_id)
        except KeyError:
            lines.append(f"    Requirement: {requirement_id}")
            continue
        lines.append(f"    Requirement: {requirement.id} ({requirement.reference(contract)})")
    exchange = failure.exchange
    if exchange is not None:
        lines.append("")
        if exchange.response is not None:
            reason = exchange.response.reason_phrase
            lines.append(f"[{exchange.response.status_code}] {reason}:")
            if exchange.response.is_redirect or 300 <= exchange.response.status_code < 400:
                # The suite never follows a redirect: say where it pointed, as it explains the
                # status every check then reports.
                location = exchange.response.headers.get("location", "(no Location header)")
                lines.append(f"    Redirect to {location} (not followed: the API must answer)")
            lines.append(f"    {_body(exchange)}")
        elif exchange.error:
            lines.append(f"No answer: {exchange.error}")
        lines += ["", "Reproduce with:", "", f"    {curl_command(exchange.request, secrets)}"]
    text = "\n".join(lines)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
