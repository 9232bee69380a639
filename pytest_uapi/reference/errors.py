"""Error answers (D25) and the codes the documents leave to the implementation.

Every 4xx answer of the reference server carries ``{"error": {"code", "message"}}``. The documented
codes come from the contract data; the ones below are the server's own choices, listed in
docs/reference-server.md so that vendors can see which codes the documents do not define.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# D30: missing, malformed or unknown token (401) and a token acting for another user (403).
ACCESS_DENIED = "access_denied"
NOT_FOUND = "not_found"
METHOD_NOT_ALLOWED = "method_not_allowed"
REQUEST_TOO_LARGE = "request_too_large"
# The body did not arrive within the time the server waits for it.
REQUEST_TIMEOUT = "request_timeout"
# A body that is not JSON, or JSON that is not an object.
INVALID_REQUEST = "invalid_request"
# D17: an undocumented or missing action.
ACTION_INVALID = "pc_action_invalid"
# The simulated PBX keeps a bounded number of live calls per user.
TOO_MANY_CALLS = "too_many_calls"


class ApiError(Exception):
    """A request the server refuses: the status, the code and a message for a human."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message)


def error_body(code: str, message: str) -> dict[str, Any]:
    """The D25 error body."""
    return {"error": {"code": code, "message": message}}
