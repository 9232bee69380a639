"""Masking: whole occurrences of a secret, in every spelling a server may echo, and nothing else."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus

import httpx
import pytest

from pytest_uapi.transport.curl import curl_command
from pytest_uapi.transport.redaction import MASK, mask

SECRET = "s3cr+t/tok=en"
TOKEN = "sandbox-token-12"


@pytest.mark.parametrize(
    "text",
    [
        "018cbed0a5efb8f2123e",  # a call id
        "Alice Walker <0003*210>",  # a caller name
        f"{TOKEN}3 and x{TOKEN}",  # a longer token that contains it
        "nonceabcd1234",
    ],
)
def test_text_that_merely_contains_a_secret_is_left_alone(text: str) -> None:
    secrets = (TOKEN, "abcd1234", "0a5efb8f", "Walke")
    assert mask(text, secrets) == text


@pytest.mark.parametrize(
    "spelled",
    [
        SECRET,
        quote(SECRET, safe=""),  # in a path or query
        quote_plus(SECRET),  # form-encoded, as the token request sends it
        json.dumps(SECRET)[1:-1],  # JSON-escaped (the '/' stays as it is)
        SECRET.replace("/", "\\/"),  # JSON with an escaped solidus
    ],
)
def test_every_spelling_of_a_secret_is_masked(spelled: str) -> None:
    for text in (spelled, f"a {spelled} b", f'{{"echo": "{spelled}"}}', f"x={spelled}&y"):
        assert SECRET not in mask(text, (SECRET,))
        assert spelled not in mask(text, (SECRET,)), text


def test_escapes_before_a_secret_still_separate_it() -> None:
    for text in (f"line\\n{TOKEN}", f"\\u00e9{TOKEN}", f"%0A{TOKEN}", f"{TOKEN}."):
        assert TOKEN not in mask(text, (TOKEN,)), text


def test_basic_credentials_of_a_client_are_masked() -> None:
    from pytest_uapi.settings.resolve import Settings
    from pytest_uapi.settings.target import build_target

    settings = Settings(
        url="https://pbx.example.com", token="", target=build_target({}), strict=False,
        timeout=1.0, seed=1, rebase_links=False, ca_bundle=None, insecure=False, sources={},
        client_id="client-12", client_secret=SECRET,
    )  # fmt: skip
    basic = base64.b64encode(f"client-12:{SECRET}".encode()).decode()
    assert mask(f"Authorization: Basic {basic}", settings.secrets) == f"Authorization: Basic {MASK}"


def test_curl_lines_mask_only_the_secret() -> None:
    token = "abcdefgh"
    request = httpx.Request(
        "GET",
        "https://pbx.example.com/uapi/phoneCalls/12/0003*210/abcdefgh12",
        headers={"Authorization": f"Bearer {token}", "X-Echo": token},
    )
    line = curl_command(request, (token,))
    assert line == (
        "curl -X GET -H 'Authorization: Bearer ***' -H 'X-Echo: ***' "
        "'https://pbx.example.com/uapi/phoneCalls/12/0003*210/abcdefgh12'"
    )
