"""The plugin's settings: command-line options, their environment and ini twins, and ``Settings``.

Each setting is looked up option → environment variable → ini key → default, and the place it came
from is kept so the report header can say "(from env)". Values are parsed here and nowhere else;
a value that cannot be used is a ``pytest.UsageError`` whose one line names the setting, where it
came from and the fix, because a user's typo deserves neither a traceback nor an INTERNALERROR.

Nothing here imports httpx or the reference server: the plugin loads in every pytest run of the
environment and must stay cheap until a target is given.
"""

from __future__ import annotations

import math
import os
import random
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar
from urllib.parse import quote_plus, urlsplit

import pytest

from .target import Target, TargetProfileError, build_target, load_profile_file

EMBEDDED = "embedded"
EMBEDDED_HTTP = "embedded-http"
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_RESPONSE = 1024 * 1024
SEED_CACHE_KEY = "uapi/seed"
README = "see the pytest-uapi README, section 'Options'"

T = TypeVar("T")

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class UapiInsecureWarning(pytest.PytestWarning):
    """TLS certificates of the target are not verified (``--uapi-insecure``)."""


@dataclass(frozen=True)
class Option:
    """One setting: ``--uapi-<name>``, ``UAPI_<NAME>`` and ini key ``uapi_<name>``."""

    name: str
    help: str
    metavar: str | None = None
    flag: bool = False

    @property
    def dest(self) -> str:
        return "uapi_" + self.name.replace("-", "_")

    @property
    def cli(self) -> str:
        return "--uapi-" + self.name

    @property
    def env(self) -> str:
        return self.dest.upper()

    @property
    def ini(self) -> str:
        return self.dest

    def where(self, source: str) -> str:
        """How the user spelled the setting, for error messages."""
        return {"option": self.cli, "env": self.env}.get(source, f"ini option {self.ini}")


OPTIONS: tuple[Option, ...] = (
    Option(
        "url",
        "UAPI target: 'embedded' (reference server in-process), 'embedded-http' (reference "
        "server on a local port) or an http(s) URL with an optional path prefix",
        metavar="URL",
    ),
    Option("token", "bearer token of the target profile's user (never printed)", "TOKEN"),
    Option("profile", "target profile TOML file (default: the reference dataset)", "FILE"),
    Option("strict", "check against the strict contract profile instead of 'default'", flag=True),
    Option(
        "timeout",
        f"seconds for each whole exchange, to the answer's last byte (default {DEFAULT_TIMEOUT:g})",
        "SECONDS",
    ),
    Option(
        "max-response",
        f"largest answer body read, in bytes (default {DEFAULT_MAX_RESPONSE} = 1 MiB)",
        "BYTES",
    ),
    Option(
        "no-preflight",
        "skip the check, before the first test, that the target answers and takes the token",
        flag=True,
    ),
    Option(
        "client-id",
        "OAuth 2.0 client id: fetch the token from the target's /oauth/token.php "
        "(with --uapi-client-secret, instead of --uapi-token)",
        "ID",
    ),
    Option("client-secret", "OAuth 2.0 client secret (never printed)", "SECRET"),
    Option("seed", "seed of the generated values, or 'last' to reuse the previous run's", "N|last"),
    Option(
        "rebase-links",
        "follow self links on the target URL: keep each link's path from /uapi/ on",
        flag=True,
    ),
    Option("ca-bundle", "PEM file of CA certificates to verify the target with", "FILE"),
    Option("insecure", "do not verify the target's TLS certificate", flag=True),
    Option("report", "write report.json and report.html (the certification) to DIR", "DIR"),
    Option("expect", "expected deviations (TOML): known failures reported as xfail", "FILE"),
    Option(
        "write-expectations",
        "write an expected-deviations template listing this run's failures to FILE",
        "FILE",
    ),
    Option(
        "requirement",
        "run only the tests of these requirement ids (comma-separated, e.g. "
        "transfer.success,errors.body)",
        "ID,...",
    ),
    Option(
        "fault",
        "serve the embedded reference server with a named fault, to see a failing "
        "certification (list them: uapi-reference-server --list-faults)",
        "NAME",
    ),
)
BY_NAME: Mapping[str, Option] = {option.name: option for option in OPTIONS}


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("uapi", "UAPI conformance (pytest-uapi)")
    for option in OPTIONS:
        twins = f"[env {option.env}, ini {option.ini}]"
        if option.flag:
            # default None, not False: "not given" must fall through to the env var and ini key.
            group.addoption(
                option.cli,
                action="store_true",
                dest=option.dest,
                default=None,
                help=f"{option.help} {twins}",
            )
            # A string, parsed by parse_bool: pytest's own "bool" ini type words its errors
            # differently from one version to the next and without naming the setting.
            parser.addini(option.ini, option.help, default=None)
        else:
            group.addoption(
                option.cli,
                dest=option.dest,
                metavar=option.metavar,
                default=None,
                help=f"{option.help} {twins}",
            )
            parser.addini(option.ini, option.help, default=None)


# --- parsers: each takes the raw text and raises ValueError with the fix; callers add "where" ---


def parse_url(value: str) -> str:
    """``embedded``, ``embedded-http`` or an http(s) origin with an optional path prefix.

    The URL comes back without a trailing slash, so that joining ``/uapi/...`` never doubles it.
    """
    text = value.strip()
    if text in (EMBEDDED, EMBEDDED_HTTP):
        return text
    if "://" not in text:
        raise ValueError(
            f"malformed URL {value!r}; write it as http(s)://host[:port][/prefix], "
            f"or use {EMBEDDED} or {EMBEDDED_HTTP}"
        )
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - urlsplit checks the port only when it is read
    except ValueError as exc:
        raise ValueError(f"malformed URL {value!r} ({exc}); check the host and port") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(
            f"unknown scheme {parts.scheme!r} in {value!r}; use http:// or https://, "
            f"or {EMBEDDED} or {EMBEDDED_HTTP}"
        )
    if not parts.hostname:
        raise ValueError(f"malformed URL {value!r}: no host; write it as {scheme}://host[:port]")
    if parts.username is not None or parts.password is not None:
        raise ValueError("credentials in the URL: remove them and pass --uapi-token instead")
    if parts.query or parts.fragment:
        raise ValueError(f"URL {value!r} has a query or fragment; give only origin and prefix")
    return f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def parse_bool(value: str | bool) -> bool:
    if isinstance(value, bool):
        return value
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"not a boolean: {value!r}; use 1/true/yes or 0/false/no")


def parse_timeout(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"timeout {value!r} is not a number of seconds > 0; pass e.g. 10")
    return seconds


def parse_seed(value: str) -> int | Literal["last"]:
    text = value.strip()
    if text.lower() == "last":
        return "last"
    try:
        seed = int(text)
    except ValueError:
        seed = -1
    if seed < 0:
        raise ValueError(f"seed {value!r} is not a non-negative integer; pass e.g. 1234 or last")
    return seed


def parse_requirements(value: str) -> tuple[str, ...]:
    from .contract import load_contract

    ids = tuple(part.strip() for part in value.split(",") if part.strip())
    known = {r.id for r in load_contract().requirements}
    unknown = [i for i in ids if i not in known]
    if unknown or not ids:
        raise ValueError(
            f"no requirement {', '.join(unknown) or value!r} in the contract; the ids are listed "
            "in docs/kill-table.md and in the contract data"
        )
    return ids


def parse_fault(value: str) -> str:
    from .reference.faults import VARIANTS, catalogue

    if value not in catalogue() and value not in VARIANTS:
        raise ValueError(
            f"no fault named {value!r}; uapi-reference-server --list-faults lists them"
        )
    return value


def parse_token(value: str, what: str = "the token") -> str:
    token = value.strip()
    if not token or any(c.isspace() or not c.isprintable() for c in token):
        # never echo the value: it is a secret, even when it is a broken one
        raise ValueError(f"{what} is empty or contains whitespace; pass the bare value")
    return token


def parse_client_secret(value: str) -> str:
    return parse_token(value, "the client secret")


def parse_client_id(value: str) -> str:
    return parse_token(value, "the client id")


def parse_max_response(value: str) -> int:
    try:
        size = int(value.strip())
    except ValueError:
        size = 0
    if size <= 0:
        raise ValueError(
            f"{value!r} is not a number of bytes > 0; pass e.g. {DEFAULT_MAX_RESPONSE}"
        )
    return size


def check_ca_bundle(path: Path) -> None:
    try:
        ssl.create_default_context(cafile=str(path))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ValueError(
            f"cannot read CA bundle {str(path)!r} ({reason}); pass a PEM file"
        ) from None


# --- resolution ---


@dataclass(frozen=True)
class Settings:
    """Everything the plugin was told, parsed; one per pytest process, in ``config.stash``."""

    url: str
    """``embedded``, ``embedded-http`` or an http(s) URL without trailing slash."""
    token: str = field(repr=False)
    target: Target
    strict: bool
    timeout: float
    seed: int
    rebase_links: bool
    ca_bundle: Path | None
    insecure: bool
    sources: Mapping[str, str]
    """Where each setting came from: option, env, ini, profile, default (or controller)."""
    requirements: tuple[str, ...] = ()
    """Only the tests of these requirement ids run (empty: all)."""
    fault: str | None = None
    """A named fault of the embedded reference server (embedded targets only)."""
    max_response: int = DEFAULT_MAX_RESPONSE
    preflight: bool = True
    client_id: str | None = None
    """OAuth 2.0 client credentials: the token is fetched from the target (``token`` is "")."""
    client_secret: str | None = field(default=None, repr=False)

    @property
    def kind(self) -> Literal["embedded", "embedded-http", "remote"]:
        if self.url == EMBEDDED:
            return "embedded"
        if self.url == EMBEDDED_HTTP:
            return "embedded-http"
        return "remote"

    @property
    def contract_profile(self) -> str:
        return "strict" if self.strict else "default"

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in any output."""
        values = [self.token, self.target.second_token]
        if self.client_secret:
            # The secret travels form-encoded in the token request's body: mask both forms.
            values += [self.client_secret, quote_plus(self.client_secret)]
        return tuple(dict.fromkeys(s for s in values if s))

    def header(self) -> str:
        def item(text: str, name: str) -> str:
            return f"{text} (from {self.sources[name]})"

        parts = [
            item(f"target {self.url}", "url"),
            item(f"profile {self.contract_profile}", "strict"),
            item(f"roles {self.target.source}", "profile"),
            item(f"OAuth client {self.client_id}", "client_id")
            if self.client_id
            else item("token ***", "token"),
            item(f"seed {self.seed}", "seed"),
            item(f"timeout {self.timeout:g}s", "timeout"),
        ]
        if self.sources.get("max_response", "default") != "default":
            parts.append(item(f"max answer {self.max_response} bytes", "max_response"))
        if not self.preflight:
            parts.append(item("no preflight", "no_preflight"))
        if self.rebase_links:
            parts.append(item("rebase links", "rebase_links"))
        if self.ca_bundle is not None:
            parts.append(item(f"CA bundle {self.ca_bundle}", "ca_bundle"))
        if self.insecure:
            parts.append(item("TLS not verified", "insecure"))
        return "uapi: " + "; ".join(parts)


def _raw(config: pytest.Config, option: Option) -> tuple[str | bool, str] | None:
    """The setting's raw value and where it came from, or None when it is not set anywhere."""
    value = config.getoption(option.dest)
    if value is not None:
        return value, "option"
    env = os.environ.get(option.env, "").strip()
    if env:  # an empty variable counts as unset, as CI templates often export VAR=""
        return env, "env"
    try:
        ini = config.getini(option.ini)
    except (TypeError, ValueError) as exc:
        raise pytest.UsageError(f"ini option {option.ini}: {exc}; fix the config file") from None
    if ini is None or ini == "":
        return None
    return (ini if isinstance(ini, bool) else str(ini)), "ini"


def _base_dir(config: pytest.Config, source: str) -> Path:
    """Relative paths in a config file are relative to that file; elsewhere to the cwd."""
    if source == "ini" and config.inipath is not None:
        return config.inipath.parent
    return config.invocation_params.dir


class _Resolver:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.sources: dict[str, str] = {}

    def get(self, name: str) -> tuple[str | bool, str] | None:
        return _raw(self.config, BY_NAME[name])

    def _found(self, name: str) -> tuple[Option, tuple[str | bool, str] | None]:
        """The setting's option and raw value, remembering where it came from."""
        option = BY_NAME[name]
        found = _raw(self.config, option)
        self.sources[option.dest.removeprefix("uapi_")] = found[1] if found else "default"
        return option, found

    def parsed(self, name: str, parse: Callable[[str], T], default: T) -> T:
        option, found = self._found(name)
        if found is None:
            return default
        value, source = found
        try:
            return parse(str(value))
        except ValueError as exc:
            raise pytest.UsageError(f"{option.where(source)}: {exc}") from None

    def flag(self, name: str) -> bool:
        return self.parsed(name, parse_bool, False)

    def path(self, name: str) -> Path | None:
        _, found = self._found(name)
        if found is None:
            return None
        value, source = found
        return _base_dir(self.config, source) / Path(str(value)).expanduser()


def resolve(config: pytest.Config) -> Settings | None:
    """The settings of this run, or None when no target is given (the plugin then does nothing).

    Only the URL is looked at without a target, so a stray ``UAPI_TIMEOUT`` cannot break a run
    that does not use the plugin.
    """
    r = _Resolver(config)
    if r.get("url") is None:
        return None
    url = r.parsed("url", parse_url, EMBEDDED)

    profile_path = r.path("profile")
    overrides: dict[str, str] = {}
    if profile_path is not None:
        try:
            overrides = load_profile_file(profile_path)
        except TargetProfileError as exc:
            where = BY_NAME["profile"].where(r.sources["profile"])
            raise pytest.UsageError(f"{where}: {exc}") from None
    target = build_target(overrides, str(profile_path) if profile_path else "reference")

    token, client_id, client_secret = _credentials(r, url, target.token, "token" in overrides)

    strict = r.flag("strict")
    timeout = r.parsed("timeout", parse_timeout, DEFAULT_TIMEOUT)
    max_response = r.parsed("max-response", parse_max_response, DEFAULT_MAX_RESPONSE)
    preflight = not r.flag("no-preflight")
    rebase_links = r.flag("rebase-links")
    insecure = r.flag("insecure")
    ca_bundle = r.path("ca-bundle")
    if insecure and ca_bundle is not None:
        raise pytest.UsageError(
            f"{BY_NAME['insecure'].where(r.sources['insecure'])} and "
            f"{BY_NAME['ca-bundle'].where(r.sources['ca_bundle'])} contradict each other; "
            "drop one of them"
        )
    if ca_bundle is not None:
        try:
            check_ca_bundle(ca_bundle)
        except ValueError as exc:
            where = BY_NAME["ca-bundle"].where(r.sources["ca_bundle"])
            raise pytest.UsageError(f"{where}: {exc}") from None

    no_requirements: tuple[str, ...] = ()
    requirements = r.parsed("requirement", parse_requirements, no_requirements)
    fault: str | None = r.parsed("fault", parse_fault, None)
    if fault is not None and url not in (EMBEDDED, EMBEDDED_HTTP):
        raise pytest.UsageError(
            f"{BY_NAME['fault'].where(r.sources['fault'])}: faults are served by the embedded "
            "reference server only; use --uapi-url embedded or embedded-http"
        )

    seed = _seed(config, r)
    return Settings(
        requirements=requirements,
        fault=fault,
        url=url,
        token=token,
        target=target,
        strict=strict,
        timeout=timeout,
        seed=seed,
        rebase_links=rebase_links,
        ca_bundle=ca_bundle,
        insecure=insecure,
        sources=dict(r.sources),
        max_response=max_response,
        preflight=preflight,
        client_id=client_id,
        client_secret=client_secret,
    )


def _credentials(
    r: _Resolver, url: str, profile_token: str | None, token_in_profile: bool
) -> tuple[str, str | None, str | None]:
    """(token, client id, client secret): a token, or OAuth client credentials, never both."""
    token = r.parsed("token", parse_token, "")
    client_id: str | None = r.parsed("client-id", parse_client_id, None)
    client_secret: str | None = r.parsed("client-secret", parse_client_secret, None)
    if (client_id is None) != (client_secret is None):
        given, missing = (
            ("client-id", "client-secret") if client_id else ("client-secret", "client-id")
        )
        where = BY_NAME[given].where(r.sources[given.replace("-", "_")])
        raise pytest.UsageError(
            f"{where} needs {BY_NAME[missing].cli} (or {BY_NAME[missing].env}) too; "
            "pass both, or --uapi-token instead"
        )
    if client_id is not None:
        if token:
            raise pytest.UsageError(
                f"{BY_NAME['token'].where(r.sources['token'])} and "
                f"{BY_NAME['client-id'].where(r.sources['client_id'])} both give credentials; "
                "pass a token or OAuth client credentials, not both"
            )
        r.sources["token"] = "oauth"
        return "", client_id, client_secret
    if token:
        return token, None, None
    # A remote target never gets the shipped profile's sandbox token: only one the user gave.
    if url in (EMBEDDED, EMBEDDED_HTTP) or token_in_profile:
        r.sources["token"] = "profile"
        return profile_token or "", None, None
    raise pytest.UsageError(
        f"{BY_NAME['url'].where(r.sources['url'])} {url} needs a token: pass --uapi-token, set "
        "UAPI_TOKEN, put token in the target profile (--uapi-profile), or pass "
        "--uapi-client-id and --uapi-client-secret"
    )


def _seed(config: pytest.Config, r: _Resolver) -> int:
    # xdist workers take the controller's seed, so every worker generates the same values and
    # the header's seed reproduces the whole run.
    workerinput = getattr(config, "workerinput", None)
    if isinstance(workerinput, dict) and "uapi_seed" in workerinput:
        r.sources["seed"] = str(workerinput.get("uapi_seed_source", "controller"))
        return int(workerinput["uapi_seed"])
    fresh: int | Literal["last"] = random.Random().getrandbits(32)
    seed = r.parsed("seed", parse_seed, fresh)
    if seed != "last":
        return seed
    where = BY_NAME["seed"].where(r.sources["seed"])
    cache = getattr(config, "cache", None)
    if cache is None:
        raise pytest.UsageError(
            f"{where}: last needs pytest's cache; drop -p no:cacheprovider or pass a number"
        )
    stored = cache.get(SEED_CACHE_KEY, None)
    if not isinstance(stored, int):
        raise pytest.UsageError(f"{where}: no previous seed is stored; pass a number instead")
    r.sources["seed"] = "last run"
    return stored
