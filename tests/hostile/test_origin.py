"""The token never leaves the target's origin: self links and token endpoints that point at
another scheme, host or port are not followed, and that other origin receives nothing."""

from __future__ import annotations

import pytest

from . import servers

TOKEN = "t0ken-SECRET-123"


def test_a_self_link_to_another_origin_is_not_followed(pytester: pytest.Pytester) -> None:
    with servers.Recorder() as other, servers.LinksElsewhere(other.url) as target:
        result = pytester.runpytest_inprocess(
            "--uapi-url", target.url, "--uapi-token", TOKEN, "--uapi-no-preflight",
            "-p", "no:cacheprovider", "--pyargs", "pytest_uapi.suites",
            "-k", "test_self_link and MakeCall",
        )  # fmt: skip
        heads = list(other.heads)
    assert heads == []  # neither the token nor the request reached the other origin
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "- Link to another origin",
            f"    Expected: a URL on the target's origin {target.url}",
            f"    Received: {other.url}/uapi/phoneCalls/12/0003*210/abc123 (not sent)",
            "    If the server writes its links with an address of its own, pass "
            "--uapi-rebase-links to follow them on --uapi-url.",
        ]
    )
    assert TOKEN not in result.stdout.str()


def test_rebased_links_stay_on_the_target(pytester: pytest.Pytester) -> None:
    with servers.Recorder() as other, servers.LinksElsewhere(other.url) as target:
        result = pytester.runpytest_inprocess(
            "--uapi-url", target.url, "--uapi-token", TOKEN, "--uapi-no-preflight",
            "--uapi-rebase-links", "-p", "no:cacheprovider", "--pyargs", "pytest_uapi.suites",
            "-k", "test_self_link and MakeCall",
        )  # fmt: skip
        heads = list(other.heads)
    assert heads == []
    result.stdout.no_fnmatch_line("*Link to another origin*")


def test_the_token_endpoint_is_never_redirected(pytester: pytest.Pytester) -> None:
    with servers.Recorder() as other, servers.LinksElsewhere(other.url) as target:
        result = pytester.runpytest_inprocess(
            "--uapi-url", target.url, "--uapi-client-id", "client-12",
            "--uapi-client-secret", "client-SECRET-12", "-p", "no:cacheprovider",
            "--pyargs", "pytest_uapi.suites", "-k", "test_success_status and MakeCall",
        )  # fmt: skip
        heads = list(other.heads)
    assert heads == []  # the client secret went to the target only, and was not re-sent
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stdout.fnmatch_lines(["*uapi preflight: token endpoint gave no token (307)*"])
