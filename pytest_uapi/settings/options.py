"""The plugin's options: each one a command-line flag with an environment and an ini twin.

``OPTIONS`` is the one table of settings; ``add_options`` registers it with pytest, the README's
options table is checked against it, and ``resolve`` looks each one up by its ``name``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pytest

DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_RESPONSE = 1024 * 1024
DEFAULT_SETTLE = 5.0
DEFAULT_SEQUENCES = 8
DEFAULT_SEQUENCE_STEPS = 12


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
        "settle",
        "seconds a call may take to ring, answer or show an action's effect after the request "
        f"that causes it (D31; default {DEFAULT_SETTLE:g})",
        "SECONDS",
    ),
    Option(
        "sequences",
        "how many random sequences of requests test_sequences runs, judged by the reference "
        f"model (default {DEFAULT_SEQUENCES}; a soak: 500)",
        "N",
    ),
    Option(
        "sequence-steps",
        f"requests in each of those sequences (default {DEFAULT_SEQUENCE_STEPS})",
        "N",
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
        "list-requirements",
        "print the contract's requirement ids (id, category, title; one per line) and exit",
        flag=True,
    ),
    Option(
        "fault",
        "serve the embedded reference server with a named fault, to see a failing "
        "certification (list them: uapi-reference-server --list-faults)",
        "NAME",
    ),
    Option(
        "reference-options",
        "make the embedded reference server behave as a real deployment may: KEY=VALUE items "
        "separated by commas, e.g. latency=0.05,answer-delay=0.3,effect-delay=0.3 (seconds; "
        "give --uapi-settle at least the longest delay) or the switches multi-view, "
        "extra-fields, close-connections, chunked, and prefix=/path",
        "KEY=VALUE,...",
    ),
    Option(
        "allow-untested",
        "exit 0 even when a requirement of the selected tests was not tested (their tests were "
        "skipped): for exploratory runs, never for certification",
        flag=True,
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
        else:
            group.addoption(
                option.cli,
                dest=option.dest,
                metavar=option.metavar,
                default=None,
                help=f"{option.help} {twins}",
            )
        # Flags too are read as strings and parsed by parse_bool: pytest's own "bool" ini type
        # words its errors differently from one version to the next and without naming the key.
        parser.addini(option.ini, option.help, default=None)
