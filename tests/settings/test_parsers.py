"""The option parsers and the target profile reader, called directly."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase

import pytest

from pytest_uapi.settings.parsers import (
    parse_bool,
    parse_seed,
    parse_timeout,
    parse_token,
    parse_url,
)
from pytest_uapi.settings.target import TargetProfileError, build_target, read_profile


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("embedded", "embedded"),
        ("embedded-http", "embedded-http"),
        ("https://pbx.example.com", "https://pbx.example.com"),
        ("https://pbx.example.com/", "https://pbx.example.com"),
        ("HTTP://127.0.0.1:8080/prefix/", "http://127.0.0.1:8080/prefix"),
        (" http://[::1]:8080/a/b ", "http://[::1]:8080/a/b"),
    ],
)
def test_parse_url_accepts(value: str, expected: str) -> None:
    assert parse_url(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("ftp://pbx.example.com", "unknown scheme 'ftp' in 'ftp://pbx.example.com'; use http://*"),
        ("pbx.example.com:8080", "malformed URL 'pbx.example.com:8080'; write it as http(s)://*"),
        ("embeded", "malformed URL 'embeded'*or use embedded or embedded-http"),
        ("http://", "malformed URL 'http://': no host*"),
        ("http://host:99999", "malformed URL 'http://host:99999' (*); check the host and port"),
        ("https://user:pw@host", "credentials in the URL: remove them and pass --uapi-token*"),
        ("https://host/?a=1", "URL 'https://host/?a=1' has a query or fragment*"),
    ],
)
def test_parse_url_rejects(value: str, message: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        parse_url(value)
    assert fnmatchcase(str(excinfo.value), message), str(excinfo.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", True), ("TRUE", True), ("yes", True), ("0", False), ("false", False), ("No", False)],
)
def test_parse_bool(value: str, expected: bool) -> None:
    assert parse_bool(value) is expected


def test_parse_bool_rejects() -> None:
    with pytest.raises(
        ValueError, match=re.escape("not a boolean: 'maybe'; use 1/true/yes or 0/false/no")
    ):
        parse_bool("maybe")


def test_parse_timeout() -> None:
    assert parse_timeout("2.5") == 2.5
    for bad in ("0", "-1", "abc", "nan", "inf", ""):
        with pytest.raises(
            ValueError, match=re.escape("is not a number of seconds > 0; pass e.g. 10")
        ):
            parse_timeout(bad)


def test_parse_seed() -> None:
    assert parse_seed("1234") == 1234
    assert parse_seed("LAST") == "last"
    for bad in ("-1", "1.5", "abc", ""):
        with pytest.raises(
            ValueError, match=re.escape("not a non-negative integer; pass e.g. 1234 or last")
        ):
            parse_seed(bad)


def test_parse_token_never_echoes_the_value() -> None:
    assert parse_token(" abcdefgh ") == "abcdefgh"
    with pytest.raises(ValueError) as excinfo:
        parse_token("secr etvalue")
    assert "secr" not in str(excinfo.value)


def test_reference_target_roles() -> None:
    target = build_target({})
    assert target.roles() == {
        "user_id": "12",
        "caller": "0003*210",
        "caller_short": "210",
        "ringing": "0003*211",
        "colleague": "0003*024",
        "colleague_short": "024",
        "queue": "0003*300",
        "foreign": "0004*100",
        "public": "3235742879",
        "second_public": "5302040",
        "unknown_user": "999999",
        "unknown_extension": "0003*999",
        "second_user_id": "13",
    }
    assert target.token == "sandbox-token-12"
    assert target.second_token == "sandbox-token-13"
    assert "sandbox-token" not in repr(target)


def test_profile_overrides_a_subset_and_derives_caller_short() -> None:
    target = build_target(read_profile('caller = "0007*500"\nuser_id = "70"', "p.toml"), "p.toml")
    assert (target.caller, target.caller_short, target.user_id) == ("0007*500", "500", "70")
    assert target.ringing == "0003*211"
    assert target.source == "p.toml"


def test_profile_can_switch_the_second_user_off() -> None:
    target = build_target(read_profile('second_user_id = ""\nsecond_token = ""', "p.toml"))
    assert target.second_user_id is None
    assert target.second_token is None
    assert "second_user_id" not in target.roles()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('calller = "1"', "target profile p.toml: unknown key 'calller'; known keys: user_id, *"),
        ("user_id = 12", "target profile p.toml: 'user_id' must be a string, got int 12; quote *"),
        ("caller = ", "target profile p.toml: invalid TOML (*); fix the file"),
        ('queue = ""', "target profile p.toml: 'queue' is empty; give a value"),
        ('second_token = "t0ken-123"', "*give both second_user_id and second_token, or neither"),
    ],
)
def test_profile_errors(text: str, message: str) -> None:
    with pytest.raises(TargetProfileError) as excinfo:
        read_profile(text, "p.toml")
    assert fnmatchcase(str(excinfo.value), message), str(excinfo.value)


@pytest.mark.parametrize("value", ["t", "abc", "1234567"])
def test_secrets_too_short_to_mask_are_refused(value: str) -> None:
    from pytest_uapi.settings.parsers import parse_client_id, parse_client_secret, parse_token

    for parse, what in ((parse_token, "the token"), (parse_client_secret, "the client secret")):
        with pytest.raises(ValueError) as excinfo:
            parse(value)
        message = str(excinfo.value)
        assert message.startswith(f"{what} is shorter than 8 characters, too short to be masked")
        assert repr(value) not in message
    assert parse_client_id("c1") == "c1"  # an id is no secret
    assert parse_token("12345678") == "12345678"


@pytest.mark.parametrize("key", ["token", "second_token"])
def test_profile_secrets_too_short_to_mask_are_refused(key: str) -> None:
    text = f'{key} = "abc"' + ('\nsecond_user_id = "13"' if key == "second_token" else "")
    with pytest.raises(TargetProfileError, match=f"'{key}' is shorter than 8 characters"):
        read_profile(text, "p.toml")
