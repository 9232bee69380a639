"""What the server did when an exchange brought back no complete answer, in a report's words.

Each case is a title naming the server's behaviour ("Connection closed mid-response") and one
sentence saying what came back, so that a reader knows at once whether to look at the network,
the server's timeouts or its framing.
"""

from __future__ import annotations

import httpx

from .bounds import BoundExceeded, TooLarge, describe_size


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
