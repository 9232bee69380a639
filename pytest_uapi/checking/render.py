"""How a ``CheckFailure`` reads in a report: title, expected and received, the requirement and
where it comes from, the answer, and a curl line that replays the request.

The plugin shows this instead of a traceback, because the traceback of a check says nothing about
the server and the exchange says everything (Schemathesis' failure output is the model).
"""

from __future__ import annotations

from collections.abc import Iterable

from ..contract import load_contract
from ..transport.curl import curl_command, replay_note
from ..transport.exchange import CheckFailure, Exchange
from ..transport.redaction import body_text, cut, mask


def _body(exchange: Exchange) -> str:
    response = exchange.response
    if response is None:
        return ""
    try:
        raw = response.content
    except Exception:  # a streamed body that was never read: nothing to show
        return ""
    return cut(body_text(raw)) if raw else "(empty body)"


def render(failure: CheckFailure, secrets: Iterable[str] = ()) -> str:
    """The failure as people read it: title, expected/received, requirement, answer, curl."""
    secrets = tuple(secrets)
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
        note = replay_note(exchange.request)
        if note is not None:
            lines += ["", f"    {note}"]
    return mask("\n".join(lines), secrets)
