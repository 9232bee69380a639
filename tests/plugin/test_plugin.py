"""Fixtures, transports, suite collection and failure reports, through pytest."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_uapi.contract import load_contract

GET_CALLS = """
import json

def test_get(uapi_client, uapi_base_url):
    exchange = uapi_client.request("GET", "/uapi/phoneCalls/@me/0003*210")
    response = exchange.response
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    json.loads(response.content)
    assert uapi_client.exchanges[-1] is exchange
    assert exchange.request.url.raw_path.endswith(b"/uapi/phoneCalls/@me/0003*210")
    assert str(exchange.request.url).startswith(uapi_base_url)
    print("BASE", uapi_base_url)
"""


@pytest.mark.parametrize(
    ("target", "base_url"),
    [("embedded", "http://uapi.embedded"), ("embedded-http", "http://127.0.0.1:*")],
)
def test_embedded_targets_answer(pytester: pytest.Pytester, target: str, base_url: str) -> None:
    pytester.makepyfile(test_get=GET_CALLS)
    result = pytester.runpytest_inprocess("--uapi-url", target, "test_get.py", "-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"*BASE {base_url}"])


def test_fixtures_skip_without_a_target(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_get=GET_CALLS)
    result = pytester.runpytest_inprocess("-rs", "test_get.py")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        [
            "SKIPPED *no UAPI target: pass --uapi-url URL (or set UAPI_URL), or --uapi-url "
            "embedded for the bundled reference server; pytest --help lists the uapi options"
        ]
    )


def test_fixture_values(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_values="""
        from pytest_uapi.contract import Contract, Profile
        from pytest_uapi.settings.target import Target

        def test_values(uapi_target, uapi_profile, uapi_contract, uapi_token, uapi_client):
            assert isinstance(uapi_target, Target) and uapi_target.caller == "0003*210"
            assert isinstance(uapi_profile, Profile) and uapi_profile.name == "strict"
            assert isinstance(uapi_contract, Contract)
            assert uapi_client.exchanges == []

        def test_fresh_exchanges(uapi_client):
            uapi_client.get("/uapi/phoneCalls/@me/0003*210")
            assert len(uapi_client.exchanges) == 1
        """
    )
    result = pytester.runpytest_inprocess(
        "--uapi-url", "embedded", "--uapi-strict", "test_values.py"
    )
    result.assert_outcomes(passed=2)


def test_faker_is_seeded_per_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_fake="""
        def test_a(uapi_faker):
            print("VALUE", uapi_faker.name())

        def test_b(uapi_faker):
            print("VALUE", uapi_faker.name())
        """
    )

    def values(*args: str) -> list[str]:
        result = pytester.runpytest_inprocess("--uapi-url", "embedded", "-s", *args)
        return [line.split("VALUE ")[1] for line in result.stdout.lines if "VALUE " in line]

    first = values("--uapi-seed", "7", "test_fake.py")
    assert len(set(first)) == 2  # each test has its own stream
    assert values("--uapi-seed", "7", "test_fake.py::test_b") == first[1:]  # order-independent
    assert values("--uapi-seed", "8", "test_fake.py") != first


def test_users_can_override_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def uapi_token():
            return "sandbox-token-13"
        """
    )
    pytester.makepyfile(
        test_mine="""
        def test_other_user(uapi_client):
            uapi_client.get("/uapi/phoneCalls/@me/0003*024")
            assert uapi_client.last.request.headers["authorization"] == "Bearer sandbox-token-13"
            assert uapi_client.last.response.status_code == 200
        """
    )
    result = pytester.runpytest_inprocess("--uapi-url", "embedded", "test_mine.py")
    result.assert_outcomes(passed=1)


def test_check_failure_is_rendered_without_traceback(pytester: pytest.Pytester) -> None:
    requirement = load_contract().requirements[0]
    pytester.makepyfile(
        test_check=f"""
        from pytest_uapi.transport.exchange import CheckFailure

        def test_check(uapi_client):
            uapi_client.request("GET", "/uapi/phoneCalls/@me/0003*210")
            exchange = uapi_client.exchanges[-1]
            raise CheckFailure(
                title="Undocumented success status",
                expected="202",
                received=str(exchange.response.status_code),
                requirements=("{requirement.id}",),
                exchange=exchange,
            )
        """
    )
    result = pytester.runpytest_inprocess("--uapi-url", "embedded", "test_check.py")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*_ test_check _*",
            "- Undocumented success status",
            "",
            "    Expected: 202",
            "    Received: 200",
            "",
            f"    Requirement: {requirement.id} (*)",
            "",
            "[[]200] OK:",
            "    {*}",
            "",
            "Reproduce with:",
            "",
            "    curl -X GET -H 'Authorization: Bearer ***' "
            "'http://uapi.embedded/uapi/phoneCalls/@me/0003*210'",
            "",
            "    This target was in-process: start uapi-reference-server and replace "
            "http://uapi.embedded with the URL it prints (and *** with the token it prints for "
            "the user).",
            "*= short test summary info =*",
        ]
    )
    output = result.stdout.str()
    assert "sandbox-token-12" not in output
    assert "Traceback" not in output
    assert "client.py" not in output and "raise CheckFailure" not in output


def test_no_answer_is_rendered(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_down="""
        def test_down(uapi_client):
            uapi_client.get("/uapi/phoneCalls/@me/0003*210")
        """
    )
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once. Without
    # the preflight (which would stop the session first), the test shows the failure itself.
    result = pytester.runpytest_inprocess(
        "--uapi-url",
        "http://127.0.0.1:9/pbx",
        "--uapi-token",
        "s3cret-token",
        "--uapi-no-preflight",
        "test_down.py",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "- No answer from the target",
            "",
            "    Expected: a complete HTTP answer within 10s",
            "    Received: ConnectError: *",
            "",
            "",
            "No answer: ConnectError: *",
            "",
            "Reproduce with:",
            "",
            "    curl -X GET -H 'Authorization: Bearer ***' "
            "'http://127.0.0.1:9/pbx/uapi/phoneCalls/@me/0003*210'",
        ]
    )
    assert "s3cret-token" not in result.stdout.str()


def test_token_is_masked_in_other_failures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_leak="""
        def test_leak(uapi_token):
            assert uapi_token == "something else"
        """
    )
    result = pytester.runpytest_inprocess(
        "--uapi-url", "embedded", "--uapi-token", "leaky-secret", "test_leak.py"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*assert '***' == 'something else'*"])
    assert "leaky-secret" not in result.stdout.str()


@pytest.fixture
def dummy_suite(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    import pytest_uapi.plugin

    # Outside the rootdir, as an installed package is.
    suite = tmp_path_factory.mktemp("site-packages") / "suites"
    suite.mkdir()
    (suite / "test_dummy.py").write_text("def test_suite(uapi_target):\n    pass\n")
    (suite / "helpers.py").write_text("def test_not_a_suite_file():\n    pass\n")
    monkeypatch.setattr(pytest_uapi.plugin, "suite_directory", lambda: suite)
    pytester.makepyfile(test_users_own="def test_own():\n    pass\n")
    return suite


def test_a_target_without_paths_runs_the_shipped_suite(
    pytester: pytest.Pytester, dummy_suite: Path
) -> None:
    # The project's naming rules must not hide the suite: it is all that runs.
    pytester.makeini("[pytest]\npython_files = check_*.py\npython_functions = check_\n")
    result = pytester.runpytest_inprocess("--uapi-url", "embedded", "-v")
    result.stdout.fnmatch_lines(["uapi: running the shipped suite (1 files)"])
    result.stdout.fnmatch_lines(["test_dummy.py::test_suite PASSED*"])
    result.assert_outcomes(passed=1)


def test_named_paths_run_instead_of_the_suite(pytester: pytest.Pytester, dummy_suite: Path) -> None:
    result = pytester.runpytest_inprocess("--uapi-url", "embedded", "test_users_own.py")
    result.stdout.no_fnmatch_line("uapi: running the shipped suite*")
    result.assert_outcomes(passed=1)
    result = pytester.runpytest_inprocess("--uapi-url", "embedded", str(dummy_suite), ".", "-v")
    result.assert_outcomes(passed=2)  # the suite next to the user's own tests


def test_without_a_target_the_users_tests_run(pytester: pytest.Pytester, dummy_suite: Path) -> None:
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=1)


def test_a_missing_suite_collects_nothing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pytest_uapi.plugin

    monkeypatch.setattr(pytest_uapi.plugin, "suite_directory", lambda: pytester.path / "none")
    pytester.makepyfile(test_users_own="def test_own():\n    pass\n")
    result = pytester.runpytest_inprocess("--uapi-url", "embedded")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    result.stdout.fnmatch_lines([f"uapi: no shipped suite found in {pytester.path / 'none'}"])


@pytest.mark.slow
def test_xdist_workers_share_the_seed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_workers="""
        import os
        import pytest

        @pytest.mark.parametrize("n", range(4))
        def test_worker(n, uapi_client, pytestconfig):
            from pytest_uapi.stash import SETTINGS

            assert uapi_client.get("/uapi/phoneCalls/@me/0003*210").status == 200
            worker = os.environ["PYTEST_XDIST_WORKER"]
            seed = pytestconfig.stash[SETTINGS].seed
            (pytestconfig.rootpath / f"seed-{worker}-{n}").write_text(str(seed))
        """
    )
    result = pytester.runpytest_subprocess(
        "--uapi-url", "embedded-http", "-n", "2", "test_workers.py"
    )
    result.assert_outcomes(passed=4)
    [header] = [line for line in result.stdout.lines if line.startswith("uapi: target")]
    seed = header.split("; seed ")[1].split(" ")[0]
    written = {p.name.split("-")[1]: p.read_text() for p in pytester.path.glob("seed-*")}
    assert set(written) == {"gw0", "gw1"}
    assert set(written.values()) == {seed}


def test_loading_the_plugin_imports_nothing_heavy(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_modules="""
        import sys

        def test_modules():
            heavy = {
                "httpx",
                "starlette",
                "uvicorn",
                "pytest_uapi.transport.client",
                "pytest_uapi.reference",
            }
            assert not heavy & set(sys.modules)
        """
    )
    result = pytester.runpytest_subprocess("test_modules.py")
    result.assert_outcomes(passed=1)
