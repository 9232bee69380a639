"""What the server did when an exchange brought back no complete answer, in a report's words.

Each case is a title naming the server's behaviour ("Connection closed mid-response") and one
sentence saying what came back, so that a reader knows at once whether to look at the network,
the server's timeouts or its framing.
"""

from __future__ import annotations

import httpcore
import httpx

from .bounds import BoundExceeded, TooLarge, describe_size
from .decoding import TooLargeDecoded, TooSlowDecoding

# h11 gives up on a status line and headers (or a chunk header) longer than this, and reports it
# as the server's protocol error: it is the client's own limit.
_HEAD_LIMIT: int = getattr(httpcore.HTTP11Connection, "MAX_INCOMPLETE_EVENT_SIZE", 100 * 1024)
_HEAD_TOO_LONG = "Receive buffer too long"


def describe(
    exc: Exception,
    status: int | None,
    received: int,
    timeout: float,
    limit: int,
) -> tuple[str, str]:
    """(title, what was received) for ``exc``; ``status`` is None before the headers came."""
    seconds = f"{timeout:g}s"
    detail = " ".join(str(exc).split()) or "no details"
    kind = type(exc).__name__
    if isinstance(exc, TooLargeDecoded):
        return (
            f"Answer larger than {describe_size(limit)} once decoded",
            f"status {status} and {received} bytes of body (Content-Encoding: {exc.encoding}) "
            f"decoding to more than {limit} bytes; decoding stopped there "
            "(raise the cap with --uapi-max-response)",
        )
    if isinstance(exc, TooSlowDecoding):
        return (
            f"Answer not decoded within {seconds}",
            f"status {status} and {received} bytes of body (Content-Encoding: {exc.encoding}) "
            f"within {seconds}, still being decoded then",
        )
    if isinstance(exc, httpx.RemoteProtocolError) and _HEAD_TOO_LONG in str(exc):
        where = "status line and headers" if status is None else "chunked body's framing"
        return (
            "Header section too large" if status is None else "Answer framing too large",
            f"the {where} went past {describe_size(_HEAD_LIMIT)} without an end, the most the "
            f"client (h11, under httpx) reads before giving up ({kind}: {detail})",
        )
    if isinstance(exc, TooLarge):
        return (
            f"Answer larger than {describe_size(limit)}",
            f"status {status} and more than {limit} bytes of body; reading stopped there "
            "(raise the cap with --uapi-max-response)",
        )
    if status is None:
        if isinstance(exc, httpx.ConnectTimeout):
            return f"No answer within {seconds}", f"no connection within {seconds} ({kind})"
        if isinstance(exc, httpx.TimeoutException):
            return (
                f"No answer within {seconds}",
                f"no complete status line and headers within {seconds} ({kind})",
            )
        if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
            return (
                "Connection closed without an answer",
                f"the server closed the connection before a complete status line and headers "
                f"({kind}: {detail})",
            )
        return "No answer from the target", f"{kind}: {detail}"
    got = f"status {status} and {received} bytes of body"
    if isinstance(exc, BoundExceeded | httpx.TimeoutException):
        return (
            f"Answer not complete within {seconds}",
            f"{got} within {seconds}; the rest was still coming",
        )
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        return (
            "Connection closed mid-response",
            f"{got}, then the connection closed before the end of the body ({kind}: {detail})",
        )
    return "Answer could not be read", f"{got}, then {kind}: {detail}"
