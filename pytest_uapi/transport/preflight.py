"""One cheap request before the first test: does the target answer, and does it take the token?

A wrong URL or token is a configuration mistake; without this check it shows as hundreds of
identical failures. The preflight sends the List request of the caller (``GET
/uapi/phoneCalls/{user_id}/{caller}``) and stops the session when no HTTP answer comes back at
all (refused, DNS, TLS, timeout, closed) or when the answer is 401/403. Any other answer, even a
404 or a 500, lets the run go on: the tests report it with their own requirements.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..contract import load_contract
from .client import UapiClient
from .connect import open_session
from .exchange import CheckFailure
from .redaction import IssuedToken, Secret

if TYPE_CHECKING:
    from ..settings.resolve import Settings

PREFIX = "uapi preflight"
SKIP = "or skip this check with --uapi-no-preflight"


def _fix_for(received: str, settings: Settings) -> str:
    text = received.lower()
    if "wrong_version_number" in text or "record layer" in text:
        return "the server does not speak TLS on that port: check http:// or https://"
    if "certificate" in text or "ssl" in text or "tls" in text:
        return (
            "check the server's certificate (pass --uapi-ca-bundle FILE for a private CA, "
            "or --uapi-insecure)"
        )
    if "name or service" in text or "nodename" in text or "getaddrinfo" in text:
        return "check the host name in --uapi-url"
    if "refused" in text:
        return "check the port in --uapi-url and that the server is running"
    if "within" in text:
        return f"check --uapi-url, or raise --uapi-timeout (now {settings.timeout:g}s)"
    return "check --uapi-url"


def check(settings: Settings) -> str | None:
    """None when the target answers and takes the token; else the one-line reason and fix."""
    contract = load_contract()
    path = contract.support.list_path.format(
        userId=settings.target.user_id, extension=settings.target.caller
    )
    with open_session(settings) as session:
        token: str = Secret(settings.token)
        if session.credentials is not None:
            try:
                token = session.credentials.token(session)
            except CheckFailure as failure:
                return _no_token(failure, settings)
        client = UapiClient(session, token)
        try:
            status = client.request("GET", path).status
        except CheckFailure as failure:
            where = f"{settings.url}{path}" if settings.kind == "remote" else settings.url
            return (
                f"{PREFIX}: no answer from {where}: {failure.title} ({failure.received}); "
                f"{_fix_for(failure.received, settings)}, {SKIP}"
            )
    if status in (401, 403):
        if isinstance(token, IssuedToken):
            fix = f"check that the OAuth client acts for user {settings.target.user_id}"
        else:
            fix = (
                f"check --uapi-token (or UAPI_TOKEN, or the profile's token): it must be a "
                f"valid token of user {settings.target.user_id}"
            )
        return f"{PREFIX}: the target refused the token ({status} to GET {path}); {fix}, {SKIP}"
    return None


def _no_token(failure: CheckFailure, settings: Settings) -> str:
    if failure.exchange is not None and failure.exchange.response is None:
        return (
            f"{PREFIX}: no answer from the token endpoint: {failure.title} ({failure.received}); "
            f"{_fix_for(failure.received, settings)}, {SKIP}"
        )
    return (
        f"{PREFIX}: {failure.title.lower()} ({failure.received}); check --uapi-client-id and "
        f"--uapi-client-secret, {SKIP}"
    )
