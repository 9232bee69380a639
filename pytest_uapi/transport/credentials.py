"""OAuth 2.0 client credentials: the token the suite sends, fetched from the target.

UAPI servers issue bearer tokens from ``POST /oauth/token.php`` (form-encoded ``grant_type=
client_credentials``, ``client_id``, ``client_secret``) and answer ``{"access_token",
"expires_in"}``. ``ClientCredentials`` fetches one on first use and again once it is about to
expire, so a long run keeps working; every fetch goes through ``UapiClient``, hence the same
bounds and the same failure reports (the secret masked) as any other exchange.
"""

from __future__ import annotations

import json
import threading
import time
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from ..contract import load_contract
from .client import UapiClient
from .exchange import CheckFailure
from .redaction import IssuedToken

if TYPE_CHECKING:
    from .session import Session

MAX_MARGIN = 30.0
"""Seconds before ``expires_in`` runs out at which the token is renewed (at most)."""


class ClientCredentials:
    """Fetches and renews the session's bearer token; one per session (per xdist worker)."""

    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client_id = client_id
        self._secret = client_secret
        self._token: IssuedToken | None = None
        self._renew_at: float | None = None
        self._lock = threading.Lock()
        self.issued: list[str] = []
        """Every token fetched so far: reports mask them like the configured secrets."""

    def __repr__(self) -> str:
        return f"<ClientCredentials {self.client_id} ({len(self.issued)} tokens fetched)>"

    def token(self, session: Session) -> IssuedToken:
        """A token that has not expired, fetched now if needed; ``CheckFailure`` if refused."""
        with self._lock:
            renew_at = self._renew_at
            if self._token is None or (renew_at is not None and time.monotonic() >= renew_at):
                self._fetch(session)
            assert self._token is not None
            return self._token

    def _fetch(self, session: Session) -> None:
        client = UapiClient(session, "")
        started = time.monotonic()
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._secret,
        }
        exchange = client.request(
            "POST",
            load_contract().support.token_path,
            content=urlencode(form),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            auth=False,
        )
        response = exchange.response
        assert response is not None  # no answer at all raised CheckFailure
        try:
            body = json.loads(response.content)
        except ValueError:
            body = None
        token = body.get("access_token") if isinstance(body, dict) else None
        if response.status_code != 200 or not isinstance(token, str) or not token:
            error = body.get("error") if isinstance(body, dict) else None
            raise CheckFailure(
                title="Token endpoint refused the client credentials"
                if response.status_code in (400, 401)
                else "Token endpoint gave no token",
                expected='200 with {"access_token": ..., "expires_in": ...}',
                received=f"{response.status_code}" + (f" {error}" if error else ""),
                requirements=(),
                exchange=exchange,
                details=("check --uapi-client-id and --uapi-client-secret",),
            )
        self.issued.append(token)
        self._token = IssuedToken(token)
        lifetime = body.get("expires_in") if isinstance(body, dict) else None
        if isinstance(lifetime, int | float) and not isinstance(lifetime, bool):
            self._renew_at = started + lifetime - min(MAX_MARGIN, lifetime / 10)
        else:
            self._renew_at = None  # no lifetime given: keep it for the session
