"""``Settings``: every option looked up, parsed and remembered with where it came from.

Each setting is looked up option → environment variable → ini key → default, and the place it came
from is kept so the report header can say "(from env)". A value that cannot be used is a
``pytest.UsageError`` whose one line names the setting, where it came from and the fix, because a
user's typo deserves neither a traceback nor an INTERNALERROR.

Nothing here imports httpx or the reference server: the plugin loads in every pytest run of the
environment and must stay cheap until a target is given.
"""

from __future__ import annotations

import os
import random
from base64 import b64encode
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar

import pytest

from .. import parallel
from .options import (
    BY_NAME,
    DEFAULT_MAX_RESPONSE,
    DEFAULT_SEQUENCE_STEPS,
    DEFAULT_SEQUENCES,
    DEFAULT_SETTLE,
    DEFAULT_TIMEOUT,
    Option,
)
from .parsers import (
    EMBEDDED,
    EMBEDDED_HTTP,
    check_ca_bundle,
    parse_bool,
    parse_client_id,
    parse_client_secret,
    parse_count,
    parse_max_response,
    parse_requirements,
    parse_seed,
    parse_settle,
    parse_timeout,
    parse_token,
    parse_url,
)
from .reference_options import ReferenceOptions, parse_reference_options
from .target import Target, TargetProfileError, build_target, load_profile_file

SEED_CACHE_KEY = "uapi/seed"
_SEED = "uapi_seed"
_SEED_SOURCE = "uapi_seed_source"

T = TypeVar("T")


class UapiInsecureWarning(pytest.PytestWarning):
    """TLS certificates of the target are not verified (``--uapi-insecure``)."""


class UapiSettleWarning(pytest.PytestWarning):
    """``--uapi-settle`` is shorter than the embedded server's delays: conforming calls fail."""


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
    """Where each setting came from, by option name: option, env, ini, profile, default, ..."""
    requirements: tuple[str, ...] = ()
    """Only the tests of these requirement ids run (empty: all)."""
    fault: str | None = None
    """A named fault of the embedded reference server (embedded targets only)."""
    reference: ReferenceOptions = field(default_factory=ReferenceOptions)
    """How the embedded reference server behaves (embedded targets only)."""
    max_response: int = DEFAULT_MAX_RESPONSE
    settle: float = DEFAULT_SETTLE
    """Seconds a call or an effect may take to settle after the request (D31)."""
    sequences: int = DEFAULT_SEQUENCES
    """Random sequences test_sequences runs."""
    sequence_steps: int = DEFAULT_SEQUENCE_STEPS
    """Requests in each sequence."""
    preflight: bool = True
    client_id: str | None = None
    """OAuth 2.0 client credentials: the token is fetched from the target (``token`` is "")."""
    client_secret: str | None = field(default=None, repr=False)
    report_dir: Path | None = None
    """Where report.json and report.html go."""
    expect: Path | None = None
    """The expected-deviations file."""
    write_expectations: Path | None = None
    """Where an expected-deviations template of this run's failures goes."""
    allow_untested: bool = False
    """Exit 0 even when a requirement of the selected tests was not tested."""

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
            # Its encoded spellings (form, JSON) are masked with it; HTTP Basic client
            # authentication, which a server may echo, carries it as base64 of "id:secret".
            basic = b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            values += [self.client_secret, basic]
        return tuple(dict.fromkeys(s for s in values if s))

    def where(self, name: str) -> str:
        """How the user spelled the setting ``name`` (an option name), for error messages."""
        return BY_NAME[name].where(self.sources.get(name, "default"))

    def header(self) -> list[str]:
        """The report header's lines: each setting that matters, and where it came from."""

        def item(text: str, name: str) -> str:
            return f"{text} (from {self.sources[name]})"

        parts = [
            item(f"target {self.url}", "url"),
            item(f"profile {self.contract_profile}", "strict"),
            item(f"roles {self.target.source}", "profile"),
            item(f"OAuth client {self.client_id}", "client-id")
            if self.client_id
            else item("token ***", "token"),
            item(f"seed {self.seed}", "seed"),
            item(f"timeout {self.timeout:g}s", "timeout"),
        ]
        if self.sources.get("sequences", "default") != "default":
            parts.append(item(f"{self.sequences} sequences", "sequences"))
        if self.sources.get("sequence-steps", "default") != "default":
            parts.append(item(f"{self.sequence_steps} steps a sequence", "sequence-steps"))
        if self.reference != ReferenceOptions():
            parts.append(item(f"reference server {self.reference.describe()}", "reference-options"))
        if self.sources.get("settle", "default") != "default":
            parts.append(item(f"settle {self.settle:g}s", "settle"))
        if self.sources.get("max-response", "default") != "default":
            parts.append(item(f"max answer {self.max_response} bytes", "max-response"))
        if not self.preflight:
            parts.append(item("no preflight", "no-preflight"))
        if self.rebase_links:
            parts.append(item("rebase links", "rebase-links"))
        if self.ca_bundle is not None:
            parts.append(item(f"CA bundle {self.ca_bundle}", "ca-bundle"))
        if self.insecure:
            parts.append(item("TLS not verified", "insecure"))
        lines = ["uapi: " + "; ".join(parts)]
        outputs = [
            item(f"{label} {path}", name)
            for label, path, name in (
                ("report", self.report_dir, "report"),
                ("expected deviations", self.expect, "expect"),
                ("write expectations to", self.write_expectations, "write-expectations"),
            )
            if path is not None
        ]
        if outputs:
            lines.append("uapi: " + "; ".join(outputs))
        return lines


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


class Resolver:
    """Looks settings up by option name, remembering in ``sources`` where each came from."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.sources: dict[str, str] = {}

    def where(self, name: str) -> str:
        """How the user spelled the setting ``name``, for error messages."""
        return BY_NAME[name].where(self.sources.get(name, "default"))

    def given(self, name: str) -> bool:
        """Whether the setting is set anywhere (without remembering a source)."""
        return _raw(self.config, BY_NAME[name]) is not None

    def _found(self, name: str) -> tuple[str | bool, str] | None:
        found = _raw(self.config, BY_NAME[name])
        self.sources[name] = found[1] if found else "default"
        return found

    def parsed(self, name: str, parse: Callable[[str], T], default: T) -> T:
        found = self._found(name)
        if found is None:
            return default
        try:
            return parse(str(found[0]))
        except ValueError as exc:
            raise pytest.UsageError(f"{self.where(name)}: {exc}") from None

    def flag(self, name: str) -> bool:
        return self.parsed(name, parse_bool, False)

    def path(self, name: str) -> Path | None:
        found = self._found(name)
        if found is None:
            return None
        value, source = found
        return _base_dir(self.config, source) / Path(str(value)).expanduser()


def resolve(config: pytest.Config) -> Settings | None:
    """The settings of this run, or None when no target is given (the plugin then does nothing).

    Only the URL is looked at without a target, so a stray ``UAPI_TIMEOUT`` cannot break a run
    that does not use the plugin.
    """
    r = Resolver(config)
    if not r.given("url"):
        return None
    url = r.parsed("url", parse_url, EMBEDDED)

    profile_path = r.path("profile")
    overrides: dict[str, str] = {}
    if profile_path is not None:
        try:
            overrides = load_profile_file(profile_path)
        except TargetProfileError as exc:
            raise pytest.UsageError(f"{r.where('profile')}: {exc}") from None
    target = build_target(overrides, str(profile_path) if profile_path else "reference")

    token, client_id, client_secret = _credentials(r, url, target.token, "token" in overrides)

    strict = r.flag("strict")
    timeout = r.parsed("timeout", parse_timeout, DEFAULT_TIMEOUT)
    max_response = r.parsed("max-response", parse_max_response, DEFAULT_MAX_RESPONSE)
    settle = r.parsed("settle", parse_settle, DEFAULT_SETTLE)
    sequences = r.parsed("sequences", parse_count, DEFAULT_SEQUENCES)
    sequence_steps = r.parsed("sequence-steps", parse_count, DEFAULT_SEQUENCE_STEPS)
    preflight = not r.flag("no-preflight")
    rebase_links = r.flag("rebase-links")
    insecure = r.flag("insecure")
    ca_bundle = r.path("ca-bundle")
    if insecure and ca_bundle is not None:
        raise pytest.UsageError(
            f"{r.where('insecure')} and {r.where('ca-bundle')} contradict each other; "
            "drop one of them"
        )
    if ca_bundle is not None:
        try:
            check_ca_bundle(ca_bundle)
        except ValueError as exc:
            raise pytest.UsageError(f"{r.where('ca-bundle')}: {exc}") from None

    no_requirements: tuple[str, ...] = ()
    requirements = r.parsed("requirement", parse_requirements, no_requirements)
    fault: str | None = r.parsed("fault", str.strip, None)
    if fault is not None and url not in (EMBEDDED, EMBEDDED_HTTP):
        raise pytest.UsageError(
            f"{r.where('fault')}: faults are served by the embedded reference server only; "
            "use --uapi-url embedded or embedded-http"
        )

    reference = r.parsed("reference-options", parse_reference_options, ReferenceOptions())
    if reference != ReferenceOptions() and url not in (EMBEDDED, EMBEDDED_HTTP):
        raise pytest.UsageError(
            f"{r.where('reference-options')}: these options shape the embedded reference server "
            "only; use --uapi-url embedded or embedded-http (a uapi-reference-server takes them "
            "as its own flags, e.g. uapi-reference-server --latency 0.05)"
        )

    seed = _seed(config, r)
    return Settings(
        reference=reference,
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
        max_response=max_response,
        settle=settle,
        sequences=sequences,
        sequence_steps=sequence_steps,
        preflight=preflight,
        client_id=client_id,
        client_secret=client_secret,
        report_dir=r.path("report"),
        expect=r.path("expect"),
        write_expectations=r.path("write-expectations"),
        allow_untested=r.flag("allow-untested"),
        sources=dict(r.sources),
    )


def _credentials(
    r: Resolver, url: str, profile_token: str | None, token_in_profile: bool
) -> tuple[str, str | None, str | None]:
    """(token, client id, client secret): a token, or OAuth client credentials, never both."""
    token = r.parsed("token", parse_token, "")
    client_id: str | None = r.parsed("client-id", parse_client_id, None)
    client_secret: str | None = r.parsed("client-secret", parse_client_secret, None)
    if (client_id is None) != (client_secret is None):
        given, missing = (
            ("client-id", "client-secret") if client_id else ("client-secret", "client-id")
        )
        raise pytest.UsageError(
            f"{r.where(given)} needs {BY_NAME[missing].cli} (or {BY_NAME[missing].env}) too; "
            "pass both, or --uapi-token instead"
        )
    if client_id is not None:
        if token:
            raise pytest.UsageError(
                f"{r.where('token')} and {r.where('client-id')} both give credentials; "
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
        f"{r.where('url')} {url} needs a token: pass --uapi-token, set "
        "UAPI_TOKEN, put token in the target profile (--uapi-profile), or pass "
        "--uapi-client-id and --uapi-client-secret"
    )


def share_with_workers(config: pytest.Config, settings: Settings) -> None:
    """Workers take the controller's seed: one seed in the header reproduces the whole run."""
    parallel.share(config, _SEED, settings.seed)
    parallel.share(config, _SEED_SOURCE, settings.sources["seed"])


def _seed(config: pytest.Config, r: Resolver) -> int:
    shared = parallel.from_controller(config, _SEED)
    if shared is not None:
        r.sources["seed"] = str(parallel.from_controller(config, _SEED_SOURCE) or "controller")
        return int(shared)
    fresh: int | Literal["last"] = random.Random().getrandbits(32)
    seed = r.parsed("seed", parse_seed, fresh)
    if seed != "last":
        return seed
    where = r.where("seed")
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
