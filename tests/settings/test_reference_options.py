"""``--uapi-reference-options``: parsed directly, and every mistake a one-line usage error."""

from __future__ import annotations

import dataclasses

import pytest

from pytest_uapi.reference.behaviour import CONFORMING, Behaviour
from pytest_uapi.settings.reference_options import (
    KEYS,
    ReferenceOptions,
    parse_reference_options,
)

PASSING = "def test_nothing():\n    pass\n"


def test_every_option_is_a_behaviour_of_the_server_or_its_mount() -> None:
    behaviour = {f.name for f in dataclasses.fields(Behaviour)}
    assert set(ReferenceOptions().behaviour()) == behaviour
    assert {f.name for f in dataclasses.fields(ReferenceOptions)} == behaviour | {"prefix"}


@pytest.mark.parametrize("name", list(CONFORMING))
def test_every_conforming_variant_parses(name: str) -> None:
    assert parse_reference_options(CONFORMING[name]) != ReferenceOptions()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ReferenceOptions()),
        ("latency=0.05", ReferenceOptions(latency=0.05)),
        (
            "latency=0.05, answer-delay=0.3,effect_delay=1",
            ReferenceOptions(latency=0.05, answer_delay=0.3, effect_delay=1.0),
        ),
        ("multi-view chunked", ReferenceOptions(multi_view=True, chunked=True)),
        ("extra-fields=yes,close-connections=no", ReferenceOptions(extra_fields=True)),
        ("prefix=/pbx/v1/", ReferenceOptions(prefix="/pbx/v1")),
        ("prefix=pbx", ReferenceOptions(prefix="/pbx")),
        ("prefix=/", ReferenceOptions()),
    ],
)
def test_parses(text: str, expected: ReferenceOptions) -> None:
    assert parse_reference_options(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "latncy=0.05",
            "unknown option 'latncy' (did you mean latency?); known: " + ", ".join(KEYS),
        ),
        ("latency=-1", "latency='-1' is not a number of seconds >= 0; write e.g. latency=0.3"),
        ("effect-delay=soon", "effect-delay='soon' is not a number of seconds >= 0"),
        ("answer-delay=inf", "answer-delay='inf' is not a number of seconds >= 0"),
        ("latency", "latency needs a value; write e.g. latency=0.3"),
        ("chunked=maybe", "chunked='maybe' is not yes or no; write chunked or chunked=no"),
        ("latency=1,latency=2", "latency is given twice; give it once"),
        ("prefix=/uapi", "prefix='/uapi' is not a path of plain segments outside /uapi"),
        ("prefix=/a b", "unknown option 'b'"),
        ("prefix=/a?b", "prefix='/a?b' is not a path of plain segments"),
    ],
)
def test_refuses_with_the_fix(text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_reference_options(text)
    assert str(caught.value).startswith(message)


def test_describe_reads_back() -> None:
    options = ReferenceOptions(latency=0.05, effect_delay=0.3, multi_view=True, prefix="/pbx")
    assert options.describe() == "latency=0.05,effect-delay=0.3,multi-view,prefix=/pbx"
    assert parse_reference_options(options.describe()) == options
    assert options.longest_delay == 0.3


@pytest.fixture
def test_file(pytester: pytest.Pytester) -> str:
    return str(pytester.makepyfile(test_nothing=PASSING))


def test_a_typo_is_a_usage_error(pytester: pytest.Pytester, test_file: str) -> None:
    result = pytester.runpytest_inprocess(
        test_file, "--uapi-url", "embedded", "--uapi-reference-options", "latency=0.1,chunkd"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --uapi-reference-options: unknown option 'chunkd' (did you mean chunked?); *"]
    )


def test_a_remote_target_takes_no_reference_options(
    pytester: pytest.Pytester, test_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UAPI_REFERENCE_OPTIONS", "latency=0.1")
    result = pytester.runpytest_inprocess(
        test_file, "--uapi-url", "http://127.0.0.1:9", "--uapi-token", "some-long-token"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: UAPI_REFERENCE_OPTIONS: these options shape the embedded reference server "
            "only; use --uapi-url embedded or embedded-http (a uapi-reference-server takes them "
            "as its own flags, e.g. uapi-reference-server --latency 0.05)"
        ]
    )


def test_the_ini_twin_shows_in_the_header(pytester: pytest.Pytester, test_file: str) -> None:
    pytester.makeini("[pytest]\nuapi_reference_options = latency=0.01,multi-view\n")
    result = pytester.runpytest_inprocess(
        test_file, "--uapi-url", "embedded", "--uapi-no-preflight"
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["uapi: *reference server latency=0.01,multi-view (from ini)*"])


def test_a_settle_bound_shorter_than_the_delays_is_a_warning(
    pytester: pytest.Pytester, test_file: str
) -> None:
    result = pytester.runpytest_inprocess(
        test_file,
        "--uapi-url",
        "embedded",
        "--uapi-no-preflight",
        "--uapi-settle",
        "0.5",
        "--uapi-reference-options",
        "answer-delay=0.2,effect-delay=0.8",
    )
    assert result.ret == pytest.ExitCode.OK  # a warning: a user may mean to see the failures
    result.stdout.fnmatch_lines(
        [
            "*UapiSettleWarning: --uapi-settle 0.5s is shorter than the embedded reference "
            "server's delay of 0.8s*"
        ]
    )
