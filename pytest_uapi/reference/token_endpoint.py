"""OAuth 2.0 client credentials (RFC 6749, section 4.4), as UAPI servers issue tokens.

``POST /oauth/token.php`` takes a form-encoded ``grant_type=client_credentials``, ``client_id``
and ``client_secret`` (a dataset user's optional ``client_id``/``client_secret``) and answers
``{"access_token", "token_type": "Bearer", "expires_in"}``. The API then accepts the issued token
next to the dataset's static ones, until it expires. Refusals use OAuth's error body, not D25's:
400 ``unsupported_grant_type`` or ``invalid_request``, 401 ``invalid_client``.
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from pytest_uapi.contract import Dataset, User, load_contract

from .connections import DEFAULT_IDLE_TIMEOUT, BodyTimeout, BodyTooLarge, read_body

# The plugin asks the same path of a target: one place for it, the contract's support data.
TOKEN_PATH = load_contract().support.token_path
MAX_FORM_BYTES = 8 * 1024
# Far more than a client needs at once (one per test process is usual).
MAX_TOKENS_PER_USER = 100


class TokenStore:
    """Tokens issued so far and when each expires; safe to share between server threads.

    At most ``per_user`` live tokens per user: a grant beyond that retires the user's oldest
    token, so repeated grants with valid credentials cannot grow the store without bound.
    """

    def __init__(
        self,
        lifetime: float,
        clock: Callable[[], float] = time.monotonic,
        per_user: int = MAX_TOKENS_PER_USER,
    ) -> None:
        self.lifetime = lifetime
        self.per_user = per_user
        self._clock = clock
        self._tokens: dict[str, tuple[User, float]] = {}  # in the order issued
        self._lock = threading.Lock()

    def issue(self, user: User) -> str:
        token = "oauth-" + secrets.token_urlsafe(24)
        with self._lock:
            now = self._clock()
            # Expired tokens go when a new one is made: the store stays as small as the live set.
            self._tokens = {t: v for t, v in self._tokens.items() if v[1] > now}
            mine = [t for t, (owner, _) in self._tokens.items() if owner.id == user.id]
            for retired in mine[: max(0, len(mine) - self.per_user + 1)]:
                del self._tokens[retired]
            self._tokens[token] = (user, now + self.lifetime)
        return token

    def user(self, token: str) -> User | None:
        """The user of a live token; None for an unknown or expired one."""
        with self._lock:
            found = self._tokens.get(token)
        if found is None or found[1] <= self._clock():
            return None
        return found[0]

    def __len__(self) -> int:
        with self._lock:
            return len(self._tokens)


def _answer(status: int, body: dict[str, Any]) -> Response:
    # RFC 6749 5.1: token answers must not be cached.
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    return Response(json.dumps(body), status, headers, media_type="application/json")


async def _form(request: Request, timeout: float) -> dict[str, str] | None:
    """The form fields; None when the body is too large, late or cut, or repeats a field.

    RFC 6749 3.2: parameters must not be included more than once. A second ``client_id`` (or
    secret, or grant type) is ambiguous, so the request is refused rather than read one way.
    """
    try:
        body = await read_body(request, limit=MAX_FORM_BYTES, timeout=timeout)
    except (BodyTooLarge, BodyTimeout, ClientDisconnect):
        return None
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    if any(len(values) > 1 for values in fields.values()):
        return None
    return {name: values[0] for name, values in fields.items()}


def token_endpoint(
    dataset: Dataset, store: TokenStore, body_timeout: float = DEFAULT_IDLE_TIMEOUT
) -> Callable[[Request], Awaitable[Response]]:
    clients = {u.client_id: u for u in dataset.users.values() if u.client_id and u.client_secret}

    async def endpoint(request: Request) -> Response:
        form = await _form(request, body_timeout)
        if form is None:
            return _answer(400, {"error": "invalid_request"})
        if form.get("grant_type") != "client_credentials":
            return _answer(400, {"error": "unsupported_grant_type"})
        user = clients.get(form.get("client_id", ""))
        secret = form.get("client_secret", "")
        if user is None or user.client_secret is None:
            return _answer(401, {"error": "invalid_client"})
        if not hmac.compare_digest(secret.encode(), user.client_secret.encode()):
            return _answer(401, {"error": "invalid_client"})
        lifetime = store.lifetime
        return _answer(
            200,
            {
                "access_token": store.issue(user),
                "token_type": "Bearer",
                "expires_in": int(lifetime) if float(lifetime).is_integer() else lifetime,
            },
        )

    return endpoint
