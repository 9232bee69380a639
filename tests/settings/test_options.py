"""Options, their env and ini twins, the report header and every user mistake, through pytest."""

from __future__ import annotations

import pytest

from pytest_uapi.settings.options import OPTIONS

PASSING = "def test_nothing():\n    pass\n"


@pytest.fixture
def test_file(pytester: pytest.Pytester) -> str:
    # An explicit path keeps the shipped suite out of these runs: they are about the options.
    return str(pytester.makepyfile(test_nothing=PASSING))


def test_without_a_target_nothing_changes(pytester: pytest.Pytester, test_file: str) -> None:
    pytester.makeini("[pytest]\nuapi_timeout = 0\n")  # invalid, but never looked at
    result = pytester.runpytest_inprocess(test_file)
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("uapi:*")


def test_help_lists_every_option(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess("--help")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["UAPI conformance (pytest-uapi):"])
    for option in OPTIONS:
        metavar = f"={option.metavar}" if option.metavar else ""
        result.stdout.fnmatch_lines([f"  {option.cli}{metavar}*"])
        result.stdout.fnmatch_lines([f"  {option.ini} (*"])
        assert f"env {option.env}," in " ".join(result.stdout.str().split())


def test_list_requirements_prints_the_contract_and_exits(
    pytester: pytest.Pytester, test_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_uapi.contract import load_contract

    requirements = load_contract().requirements
    for args in (
        ("--uapi-list-requirements",),
        ("--uapi-url", "embedded", "--uapi-list-requirements"),
    ):
        result = pytester.runpytest_inprocess(*args, test_file)
        assert result.ret == pytest.ExitCode.OK
        assert len(result.stdout.lines) == len(requirements)  # nothing else: no session ran
        for line, requirement in zip(result.stdout.lines, requirements, strict=True):
            assert line.split(None, 2) == [requirement.id, requirement.category, requirement.title]
    monkeypatch.setenv("UAPI_LIST_REQUIREMENTS", "1")
    result = pytester.runpytest_inprocess(test_file)
    assert len(result.stdout.lines) == len(requirements)


def test_a_misspelt_requirement_gets_a_suggestion(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess(
        "--uapi-url", "embedded", "--uapi-requirement", "transfer.sucess,errors.body"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: --uapi-requirement: no requirement 'transfer.sucess' in the contract; did you "
            "mean transfer.success? pytest --uapi-list-requirements lists them"
        ]
    )


def test_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.uapi_requirement(*ids): the UAPI contract*"])


def test_header_shows_each_setting_and_its_source(
    pytester: pytest.Pytester, test_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UAPI_TOKEN", "very-secret-token")
    monkeypatch.setenv("UAPI_STRICT", "yes")
    pytester.makeini("[pytest]\nuapi_timeout = 2.5\nuapi_url = https://ignored.example.com\n")
    result = pytester.runpytest_inprocess(
        "--uapi-url", "embedded", "--uapi-seed", "1234", "--uapi-rebase-links", test_file
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "uapi: target embedded (from option); profile strict (from env); roles reference "
            "(from default); token *** (from env); seed 1234 (from option); timeout 2.5s "
            "(from ini); rebase links (from option)"
        ]
    )
    assert "very-secret-token" not in result.stdout.str() + result.stderr.str()


def test_option_beats_env_beats_ini(
    pytester: pytest.Pytester, test_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini("[pytest]\nuapi_url = embedded\nuapi_timeout = 3\nuapi_seed = 1\n")
    monkeypatch.setenv("UAPI_TIMEOUT", "4")
    monkeypatch.setenv("UAPI_SEED", "2")
    result = pytester.runpytest_inprocess("--uapi-seed", "3", test_file)
    result.stdout.fnmatch_lines(
        ["uapi: target embedded (from ini);*seed 3 (from option); timeout 4s (from env)"]
    )


def test_embedded_token_defaults_to_the_profile(pytester: pytest.Pytester, test_file: str) -> None:
    pytester.makepyfile(
        test_token="""
        def test_token(uapi_token, uapi_target):
            assert uapi_token == uapi_target.token == "sandbox-token-12"
        """
    )
    result = pytester.runpytest_inprocess("--uapi-url", "embedded", "test_token.py")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["uapi:*token *** (from profile)*"])


def test_remote_token_may_come_from_the_users_profile(
    pytester: pytest.Pytester, test_file: str
) -> None:
    pytester.makefile(".toml", vendor='token = "vendor-secret"\ncaller = "0009*100"\n')
    result = pytester.runpytest_inprocess(
        "--uapi-url", "https://pbx.example.com/", "--uapi-profile", "vendor.toml", test_file
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["uapi: target https://pbx.example.com (from option);*roles */vendor.toml (from option)*"]
    )
    assert "vendor-secret" not in result.stdout.str()


def test_insecure_warns(pytester: pytest.Pytester, test_file: str) -> None:
    # In a process of its own, as a user's run is. An in-process run shares this process's
    # modules, and pytest warns there that the plugin, imported before the inner run marked it
    # for assertion rewriting, cannot be rewritten; whether it does depends on how this process
    # found the package at start-up (sys.path or the editable finder: `python -m pytest` or
    # `pytest`, xdist or not). Only in a fresh interpreter is the plugin's warning the only one.
    args = ("--uapi-url", "https://pbx.example.com", "--uapi-token", "t0ken-123", "--uapi-insecure")
    result = pytester.runpytest_subprocess(*args, "-p", "no:cacheprovider", test_file)
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        ["*UapiInsecureWarning: --uapi-insecure: the target's TLS certificate is not verified*"]
    )
    result = pytester.runpytest_subprocess(
        *args,
        "-p",
        "no:cacheprovider",
        "-W",
        "ignore::pytest_uapi.settings.resolve.UapiInsecureWarning",
        test_file,
    )
    result.assert_outcomes(passed=1, warnings=0)


def test_seed_last_reuses_the_previous_seed(pytester: pytest.Pytester, test_file: str) -> None:
    result = pytester.runpytest_inprocess("--uapi-url", "embedded", test_file)
    [line] = [line for line in result.stdout.lines if line.startswith("uapi: target")]
    seed = line.split("; seed ")[1].split(" ")[0]
    result = pytester.runpytest_inprocess(
        "--uapi-url", "embedded", "--uapi-seed", "last", test_file
    )
    result.stdout.fnmatch_lines([f"uapi:*; seed {seed} (from last run);*"])


REMOTE = ("--uapi-url", "https://pbx.example.com", "--uapi-token", "t0ken-123")


@pytest.mark.parametrize(
    ("args", "env", "ini", "message"),
    [
        (("--uapi-url", "ftp://pbx"), {}, "", "--uapi-url: unknown scheme 'ftp' in 'ftp://pbx';*"),
        ((), {"UAPI_URL": "pbx:80"}, "", "UAPI_URL: malformed URL 'pbx:80'; write it as http*"),
        ((), {}, "uapi_url = http://", "ini option uapi_url: malformed URL 'http://': no host*"),
        (
            ("--uapi-url", "https://pbx.example.com"),
            {},
            "",
            "--uapi-url https://pbx.example.com needs a token: pass --uapi-token, set UAPI_TOKEN*",
        ),
        ((*REMOTE, "--uapi-seed", "x"), {}, "", "--uapi-seed: seed 'x' is not a non-negative*"),
        (REMOTE, {"UAPI_TIMEOUT": "0"}, "", "UAPI_TIMEOUT: timeout '0' is not a number of sec*"),
        (
            (*REMOTE, "--uapi-timeout", "-5"),
            {},
            "",
            "--uapi-timeout: timeout '-5' is not a number of seconds > 0; pass e.g. 10",
        ),
        (
            (*REMOTE, "--uapi-max-response", "0"),
            {},
            "",
            "--uapi-max-response: '0' is not a number of bytes > 0; pass e.g. 1048576",
        ),
        (
            REMOTE,
            {},
            "uapi_max_response = 1MB",
            "ini option uapi_max_response: '1MB' is not a number of bytes > 0; pass e.g. 1048576",
        ),
        (
            REMOTE,
            {"UAPI_NO_PREFLIGHT": "sometimes"},
            "",
            "UAPI_NO_PREFLIGHT: not a boolean: 'sometimes'; use 1/true/yes or 0/false/no",
        ),
        (
            ("--uapi-url", "https://pbx.example.com", "--uapi-client-id", "c1"),
            {},
            "",
            "--uapi-client-id needs --uapi-client-secret (or UAPI_CLIENT_SECRET) too; pass both, "
            "or --uapi-token instead",
        ),
        (
            ("--uapi-url", "https://pbx.example.com"),
            {"UAPI_CLIENT_SECRET": "s3cret-value"},
            "",
            "UAPI_CLIENT_SECRET needs --uapi-client-id (or UAPI_CLIENT_ID) too; pass both, or "
            "--uapi-token instead",
        ),
        (
            (*REMOTE, "--uapi-client-id", "c1", "--uapi-client-secret", "s3cret-value"),
            {},
            "",
            "--uapi-token and --uapi-client-id both give credentials; pass a token or OAuth "
            "client credentials, not both",
        ),
        (
            ("--uapi-url", "https://pbx.example.com", "--uapi-client-id", "c1"),
            {"UAPI_CLIENT_SECRET": "s3cret value"},
            "",
            "UAPI_CLIENT_SECRET: the client secret is empty or contains whitespace; pass the "
            "bare value",
        ),
        (
            ("--uapi-url", "https://pbx.example.com", "--uapi-token", "abc"),
            {},
            "",
            "--uapi-token: the token is shorter than 8 characters, too short to be masked safely "
            "in reports *; use a longer one",
        ),
        (
            ("--uapi-url", "https://pbx.example.com", "--uapi-client-id", "c1"),
            {"UAPI_CLIENT_SECRET": "s3cret"},
            "",
            "UAPI_CLIENT_SECRET: the client secret is shorter than 8 characters, too short *",
        ),
        (REMOTE, {"UAPI_STRICT": "maybe"}, "", "UAPI_STRICT: not a boolean: 'maybe'; use 1/tr*"),
        (REMOTE, {}, "uapi_insecure = maybe", "ini option uapi_insecure: not a boolean: 'maybe'*"),
        (
            (*REMOTE, "--uapi-insecure", "--uapi-ca-bundle", "ca.pem"),
            {},
            "",
            "--uapi-insecure and --uapi-ca-bundle contradict each other; drop one of them",
        ),
        (
            (*REMOTE, "--uapi-ca-bundle", "missing.pem"),
            {},
            "",
            "--uapi-ca-bundle: cannot read CA bundle '*missing.pem' (*); pass a PEM file",
        ),
        (
            (*REMOTE, "--uapi-ca-bundle", "garbage.pem"),
            {},
            "",
            "--uapi-ca-bundle: cannot read CA bundle '*garbage.pem' (*); pass a PEM file",
        ),
        (
            (*REMOTE, "--uapi-seed", "last", "-p", "no:cacheprovider"),
            {},
            "",
            "--uapi-seed: last needs pytest's cache; drop -p no:cacheprovider or pass a number",
        ),
        (
            (*REMOTE, "--uapi-seed", "last"),
            {},
            "",
            "--uapi-seed: no previous seed is stored; pass a number instead",
        ),
    ],
    ids=[
        "scheme",
        "malformed",
        "no-host",
        "no-token",
        "seed",
        "timeout",
        "negative-timeout",
        "max-response-zero",
        "max-response-unit",
        "no-preflight-bool",
        "client-id-alone",
        "client-secret-alone",
        "token-and-client",
        "client-secret-blank",
        "token-too-short",
        "client-secret-too-short",
        "bool",
        "ini-bool",
        "insecure-and-ca",
        "ca-missing",
        "ca-garbage",
        "last-no-cache",
        "last-none-stored",
    ],
)
def test_usage_errors(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    test_file: str,
    args: tuple[str, ...],
    env: dict[str, str],
    ini: str,
    message: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    if ini:
        pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makefile(".pem", ca="", garbage="not a certificate\n")
    result = pytester.runpytest_inprocess(*args, test_file)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])
    output = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in output
    assert "Traceback" not in output
    assert "s3cret" not in output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('calller = "0003*210"', "unknown key 'calller'; known keys: user_id, caller, *"),
        ("user_id = 12", "'user_id' must be a string, got int 12; quote it (user_id = \"12\")"),
        ("caller = [", "invalid TOML (*); fix the file"),
        ('second_user_id = "13"', "give both second_user_id and second_token, or neither"),
        (None, "cannot read it (No such file or directory); pass a readable TOML file"),
        (b"\xff\xfe", "cannot read it (*); pass a readable TOML file"),
    ],
    ids=["unknown-key", "wrong-type", "invalid-toml", "half-second-user", "missing", "binary"],
)
def test_profile_file_errors(
    pytester: pytest.Pytester, test_file: str, content: str | bytes | None, message: str
) -> None:
    path = pytester.path / "vendor.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    result = pytester.runpytest_inprocess(
        "--uapi-url", "embedded", "--uapi-profile", "vendor.toml", test_file
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: --uapi-profile: target profile {path}: {message}"])
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


def test_ini_profile_path_is_relative_to_the_ini_file(
    pytester: pytest.Pytester, test_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (pytester.path / "conf").mkdir()
    (pytester.path / "conf" / "vendor.toml").write_text('public = "5550100"\n')
    (pytester.path / "conf" / "pytest.ini").write_text(
        "[pytest]\nuapi_url = embedded\nuapi_profile = vendor.toml\n"
    )
    result = pytester.runpytest_inprocess("-c", "conf/pytest.ini", test_file)
    result.stdout.fnmatch_lines([f"uapi:*roles {pytester.path}/conf/vendor.toml (from ini)*"])
