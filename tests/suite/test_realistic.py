"""The shipped suite against a reference server that behaves as a real deployment may: delays
(D31), several views (D35), unknown fields (D36), closed connections, chunked answers, a path
prefix (D1). Each is conforming, so both profiles pass with zero failures and zero skips."""

from __future__ import annotations

import pytest

from pytest_uapi.reference.behaviour import CONFORMING
from pytest_uapi.settings.reference_options import parse_reference_options

pytestmark = pytest.mark.slow

PROFILES = {"default": [], "strict": ["--uapi-strict"]}
# The realistic server of the issue: a distant PBX whose calls and effects settle in 0.3 s.
REALISTIC = "latency=0.02,answer-delay=0.3,effect-delay=0.3"


def _clean_run(pytester: pytest.Pytester, url: str, options: str, *args: str) -> None:
    result = pytester.runpytest_subprocess(
        "--uapi-url", url, "--uapi-reference-options", options, "-p", "no:cacheprovider", *args
    )
    outcomes = result.parseoutcomes()
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()[-4000:]
    assert outcomes.get("failed", 0) == 0
    assert outcomes.get("skipped", 0) == 0
    assert outcomes["passed"] > 300
    # The options reached the server (the header names them): not a run of the plain reference.
    described = parse_reference_options(options).describe()
    result.stdout.fnmatch_lines([f"uapi: *reference server {described} (from option)*"])


@pytest.mark.parametrize(
    ("url", "profile", "workers"),
    [("embedded", "default", []), ("embedded-http", "strict", ["-n", "2"])],
    ids=["embedded-default-serial", "embedded-http-strict-n2"],
)
def test_the_suite_passes_a_realistic_server(
    pytester: pytest.Pytester, url: str, profile: str, workers: list[str]
) -> None:
    _clean_run(pytester, url, REALISTIC, *PROFILES[profile], *workers)


@pytest.mark.parametrize("profile", list(PROFILES))
@pytest.mark.parametrize("variant", list(CONFORMING))
def test_the_suite_passes_a_conforming_variant(
    pytester: pytest.Pytester, variant: str, profile: str
) -> None:
    options = CONFORMING[variant]
    # Over a socket: connections and framing are only real there. Delays take -n 2.
    delayed = parse_reference_options(options).longest_delay > 0
    _clean_run(
        pytester, "embedded-http", options, *PROFILES[profile], *(["-n", "2"] if delayed else [])
    )
