"""A curl command line that replays a request exactly as it was sent, with secrets masked."""

from __future__ import annotations

import shlex
from collections.abc import Iterable

import httpx

from .redaction import mask, mask_authorization

EMBEDDED_BASE_URL = "http://uapi.embedded"
"""The base URL of the ``embedded`` target: any host does for an in-process app; this one says,
in a curl line, where the request went."""

# Headers httpx adds on its own: replaying them adds nothing and hides the interesting ones.
_IMPLICIT = {"host", "accept", "accept-encoding", "connection", "user-agent", "content-length"}


def curl_command(request: httpx.Request, secrets: Iterable[str] = ()) -> str:
    """The request as a one-line curl command; Authorization and any of ``secrets`` masked."""
    parts = ["curl", "-X", request.method]
    # raw keeps each header name as it was sent (multi_items() would lower-case it).
    for raw_name, raw_value in request.headers.raw:
        name = raw_name.decode("latin-1")
        value = raw_value.decode("latin-1")
        if name.lower() in _IMPLICIT:
            continue
        if name.lower() == "authorization":
            value = mask_authorization(value)
        parts += ["-H", f"{name}: {value}"]
    body = request.content
    if body:
        parts += ["-d", body.decode("utf-8", errors="replace")]
    parts.append(str(request.url))
    return mask(shlex.join(parts), secrets)


def replay_note(request: httpx.Request) -> str | None:
    """How to replay a request that went to the in-process target, which no curl can reach."""
    if not str(request.url).startswith(EMBEDDED_BASE_URL + "/"):
        return None
    return (
        "This target was in-process: start uapi-reference-server and replace "
        f"{EMBEDDED_BASE_URL} with the URL it prints (and *** with the token it prints for the "
        "user)."
    )
