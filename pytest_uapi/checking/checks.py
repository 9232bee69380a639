"""The checks a suite makes on an exchange; each raises a titled ``CheckFailure`` naming the
requirement it proves, or returns what the next step needs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from jsonschema.exceptions import best_match

from ..contract.schemas import validator
from ..transport.exchange import CheckFailure, Exchange
from ..transport.redaction import cut

JSON_BODY = "response.json"
ERROR_BODY = "errors.body"
NO_SIDE_EFFECTS = "errors.no_side_effects"


def status(
    exchange: Exchange,
    allowed: Iterable[int],
    requirement: str,
    title: str = "Undocumented success status",
) -> int:
    """The answer's status, which must be one of ``allowed``."""
    allowed = tuple(allowed)
    got = exchange.status
    if got not in allowed:
        raise CheckFailure(
            title=_misbehaviour(got) or title,
            expected=" or ".join(str(s) for s in allowed),
            received=str(got),
            requirements=(requirement,),
            exchange=exchange,
        )
    return got


def _misbehaviour(got: int) -> str | None:
    """A title for the statuses that say more about the server than about the operation."""
    if 300 <= got < 400:
        return f"Redirect ({got}) instead of an answer"
    if got >= 500:
        return f"Server error ({got})"
    return None


def _is_json_media_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def json_body(exchange: Exchange, requirement: str = JSON_BODY) -> Any:
    """The answer's body as JSON; it must be labelled and parse as JSON."""
    assert exchange.response is not None
    content_type = exchange.response.headers.get("content-type", "")
    if not _is_json_media_type(content_type):
        raise CheckFailure(
            title="Answer is not labelled as JSON",
            expected="Content-Type: application/json",
            received=f"Content-Type: {content_type or '(none)'}",
            requirements=(requirement,),
            exchange=exchange,
        )
    try:
        # JSON on the wire is UTF-8 (RFC 8259); json.loads would guess UTF-16 from two bytes.
        text = exchange.response.content.decode("utf-8")
        return json.loads(text)
    except UnicodeDecodeError as exc:
        received = f"a body that is not UTF-8 ({exc.reason}: byte {exc.object[exc.start]:#04x} "
        received += f"at offset {exc.start})"
    except ValueError as exc:
        received = f"unparseable body ({exc})"
    raise CheckFailure(
        title="Answer is not valid JSON",
        expected="a JSON document",
        received=received,
        requirements=(requirement,),
        exchange=exchange,
    )


def schema(instance: Any, name: str, requirement: str, exchange: Exchange, title: str) -> None:
    """``instance`` must validate against the contract schema ``name``."""
    error = best_match(validator(name).iter_errors(instance))
    if error is not None:
        raise CheckFailure(
            title=title,
            expected=f"a body valid against the {name} schema",
            received=f"{error.message} (at {error.json_path})",
            requirements=(requirement,),
            exchange=exchange,
        )


def error_answer(
    exchange: Exchange,
    statuses: Sequence[int],
    codes: Sequence[str] | None,
    requirement: str,
) -> str:
    """A rejection: one of ``statuses``, the D25 error body, and (when given) one of ``codes``."""
    got = exchange.status
    if got not in statuses:
        title = "Invalid request accepted" if 200 <= got < 300 else "Unexpected status"
        if got >= 500:
            title = "Server error on invalid input"
        elif 300 <= got < 400:
            title = f"Redirect ({got}) instead of an answer"
        raise CheckFailure(
            title=title,
            expected=" or ".join(str(s) for s in statuses)
            + (f" with code {' or '.join(codes)}" if codes else " with an error body"),
            received=str(got),
            requirements=(requirement,),
            exchange=exchange,
        )
    body = json_body(exchange, ERROR_BODY)
    schema(body, "error", ERROR_BODY, exchange, "Malformed error body")
    code = str(body["error"]["code"])
    if codes and code not in codes:
        raise CheckFailure(
            title="Wrong error code",
            expected=" or ".join(codes),
            received=code,
            requirements=(requirement,),
            exchange=exchange,
        )
    return code


def unchanged(
    before: Any,
    after: Any,
    exchange: Exchange,
    what: str,
    *,
    title: str = "Rejected request changed the call",
    requirement: str = NO_SIDE_EFFECTS,
) -> None:
    """The state read after a request equals the state read before it: by default D27's rule
    for a rejected request; isolation checks name another call and their own requirement."""
    if before != after:
        raise CheckFailure(
            title=title,
            expected=f"{what} unchanged",
            received=f"before {cut(json.dumps(before))} / after {cut(json.dumps(after))}",
            requirements=(requirement,),
            exchange=exchange,
        )


def require(condition: bool, failure: CheckFailure) -> None:
    """Raise ``failure`` unless ``condition``: keeps the suites' checks one line each."""
    if not condition:
        raise failure
