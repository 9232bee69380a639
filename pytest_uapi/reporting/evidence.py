"""What a test's reports carry from the process that ran it to the one that judges.

Under xdist a worker runs the test and the controller judges it from the serialized report, where
the ``CheckFailure`` and the client no longer exist. So the worker writes down, in plain data:
the requirement ids the failure proves, its rendered message and curl line, and (for the JSON
report) the exchanges. They travel as one report attribute (``uapi_evidence``): extra attributes
survive xdist's serialization, and unlike ``user_properties`` they stay out of JUnit XML.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import pytest

from ..transport.curl import curl_command
from ..transport.exchange import CheckFailure
from ..transport.redaction import REPORT_BODY_LIMIT, body_text, cut, mask, mask_authorization

if TYPE_CHECKING:
    from ..contract import Contract
    from ..transport.exchange import Exchange

EVIDENCE = "uapi_evidence"
REQUIREMENT_PROPERTY = "uapi.requirement"


def junit_properties(ids: Sequence[str], contract: Contract, profile: str) -> list[tuple[str, str]]:
    """``<property>`` entries mapping a test case to the contract (JUnit XML, via user_properties).

    Document and decision are those of the primary (first) requirement: the one the test is for.
    """
    properties = [(REQUIREMENT_PROPERTY, i) for i in ids]
    for requirement in contract.requirements:
        if ids and requirement.id == ids[0]:
            properties += [
                ("uapi.document", requirement.document),
                ("uapi.decision", requirement.decision),
            ]
    properties.append(("uapi.profile", profile))
    return properties


def failed_requirements(exc: BaseException | None, markers: Sequence[str]) -> list[str]:
    """The ids a failure proves: a CheckFailure's own, else the test's primary requirement."""
    if isinstance(exc, CheckFailure) and exc.requirements:
        return list(dict.fromkeys(exc.requirements))
    return list(markers[:1])


def failure_curl(exc: BaseException | None, secrets: Sequence[str]) -> str | None:
    if not isinstance(exc, CheckFailure) or exc.exchange is None:
        return None
    return curl_command(exc.exchange.request, secrets)


def _report_text(raw: bytes, secrets: Sequence[str]) -> str:
    return cut(mask(body_text(raw), secrets), REPORT_BODY_LIMIT)


def _headers(items: Iterable[tuple[str, str]], secrets: Sequence[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in items:
        if name.lower() == "authorization":
            value = mask_authorization(value)
        value = mask(value, secrets)
        # repeated headers (Set-Cookie, Vary) are kept, joined as HTTP allows for most of them
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


def exchange_record(exchange: Exchange, secrets: Sequence[str]) -> dict[str, Any]:
    """One exchange as plain data for the JSON report: headers masked, bodies cut."""
    request = exchange.request
    response = exchange.response
    response_body: str | None = None
    response_headers: dict[str, str] | None = None
    if response is not None:
        response_headers = _headers(response.headers.multi_items(), secrets)
        try:
            response_body = _report_text(response.content, secrets)
        except Exception:  # a streamed body that was never read has nothing to show
            response_body = None
    return {
        "method": request.method,
        "url": mask(str(request.url), secrets),
        "status": response.status_code if response is not None else None,
        "request_headers": _headers(request.headers.multi_items(), secrets),
        "request_body": _report_text(request.content, secrets) if request.content else None,
        "response_headers": response_headers,
        "response_body": response_body,
        "error": mask(exchange.error, secrets) if exchange.error else None,
        "elapsed": round(exchange.elapsed, 6),
    }


def failing_index(exc: BaseException | None, exchanges: Sequence[Exchange]) -> int | None:
    """Where the exchange a ``CheckFailure`` shows sits among ``exchanges``, if it is there."""
    shown = exc.exchange if isinstance(exc, CheckFailure) else None
    if shown is None:
        return None
    # by identity: two exchanges of a test may be equal requests (a retry, a repeated GET)
    return next((i for i, x in enumerate(exchanges) if x is shown), None)


def new_exchanges(item: pytest.Item, seen: int) -> list[Exchange]:
    """The exchanges of the test's client after the first ``seen`` (each phase records its own)."""
    funcargs = getattr(item, "funcargs", None) or {}
    client = funcargs.get("uapi_client")
    exchanges = getattr(client, "exchanges", None)
    return list(exchanges[seen:]) if isinstance(exchanges, list) else []
