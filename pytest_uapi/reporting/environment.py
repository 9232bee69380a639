"""Where a report was made: Python, the platform, the versions that judged, the options used.

A reviewer comparing two reports needs to know whether the same software judged both and how it
was told to run; a vendor reproducing a failure needs the same. Every option is listed with where
its value came from (``Settings.sources``); secrets are shown as ``***`` and every value is
masked again against the run's secrets, so a token pasted into the wrong option cannot leak.
"""

from __future__ import annotations

import platform
from collections.abc import Callable, Mapping
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..settings.options import OPTIONS
from ..transport.redaction import MASK, mask

if TYPE_CHECKING:
    from ..settings.resolve import Settings

PACKAGES = (
    "pytest",
    "pytest-uapi",
    "httpx",
    "jsonschema",
    "faker",
    "pytest-xdist",
    "starlette",
    "uvicorn",
)
"""The plugin and what it runs on; a version is null when the package is not installed."""


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _flag(value: bool) -> str:
    return "on" if value else "off"


def _path(value: Path | None) -> str:
    return "" if value is None else str(value)


def _secret(value: str | None) -> str:
    return MASK if value else ""


_VALUES: Mapping[str, Callable[[Settings], str]] = {
    "url": lambda s: s.url,
    "token": lambda s: _secret(s.token),
    "profile": lambda s: s.target.source,
    "strict": lambda s: _flag(s.strict),
    "timeout": lambda s: f"{s.timeout:g}",
    "max-response": lambda s: str(s.max_response),
    "no-preflight": lambda s: _flag(not s.preflight),
    "client-id": lambda s: s.client_id or "",
    "client-secret": lambda s: _secret(s.client_secret),
    "seed": lambda s: str(s.seed),
    "rebase-links": lambda s: _flag(s.rebase_links),
    "ca-bundle": lambda s: _path(s.ca_bundle),
    "insecure": lambda s: _flag(s.insecure),
    "report": lambda s: _path(s.report_dir),
    "expect": lambda s: _path(s.expect),
    "write-expectations": lambda s: _path(s.write_expectations),
    "requirement": lambda s: ",".join(s.requirements),
    "fault": lambda s: s.fault or "",
    "allow-untested": lambda s: _flag(s.allow_untested),
}
"""How each option's value is shown. An option missing here (a new one) is listed with its
source and no value: showing nothing is the safe default for a value that might be a secret."""


def options(settings: Settings) -> list[dict[str, Any]]:
    from .report_json import strip_credentials

    listed = []
    for option in OPTIONS:
        show = _VALUES.get(option.name)
        value = None if show is None else mask(show(settings), settings.secrets)
        if option.name == "url" and value is not None:
            value = strip_credentials(value)
        listed.append(
            {
                "name": option.name,
                "option": option.cli,
                "value": value,
                "source": settings.sources.get(option.name, "default"),
            }
        )
    return listed


def collect(settings: Settings | None) -> dict[str, Any]:
    """The environment section of ``report.json`` (no options without settings)."""
    return {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "packages": {name: _version(name) for name in PACKAGES},
        "options": options(settings) if settings is not None else [],
    }
