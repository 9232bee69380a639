"""The reporting settings: ``--uapi-report``, ``--uapi-expect``, ``--uapi-write-expectations``.

Declared in ``options.OPTIONS`` with the others (so each has its env and ini twin) and resolved
the same way, option → env → ini, with the source kept for the report header. They are read only
when a target is given, like every other setting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from ..options import BY_NAME, _Resolver


@dataclass(frozen=True)
class ReportSettings:
    report_dir: Path | None
    expect: Path | None
    write_expectations: Path | None
    sources: Mapping[str, str]

    def where(self, name: str) -> str:
        """How the user spelled ``name`` (an option name), for error messages."""
        return BY_NAME[name].where(self.sources[name.replace("-", "_")])

    def header(self) -> str | None:
        parts = [
            f"{label} {path} (from {self.sources[key]})"
            for label, path, key in (
                ("report", self.report_dir, "report"),
                ("expected deviations", self.expect, "expect"),
                ("write expectations to", self.write_expectations, "write_expectations"),
            )
            if path is not None
        ]
        return "uapi: " + "; ".join(parts) if parts else None


def resolve_reporting(config: pytest.Config) -> ReportSettings:
    r = _Resolver(config)
    report_dir = r.path("report")
    expect = r.path("expect")
    write_expectations = r.path("write-expectations")
    return ReportSettings(report_dir, expect, write_expectations, dict(r.sources))


def check_writable(settings: ReportSettings) -> None:
    """Refuse an unusable output path before any test runs, not after a long run."""
    if settings.report_dir is not None:
        try:
            settings.report_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise pytest.UsageError(
                f"{settings.where('report')}: cannot create directory "
                f"{str(settings.report_dir)!r} ({reason}); pass a writable directory"
            ) from None
    target = settings.write_expectations
    if target is not None and (target.is_dir() or not target.parent.is_dir()):
        raise pytest.UsageError(
            f"{settings.where('write-expectations')}: cannot write {str(target)!r}; pass a file "
            "path in an existing directory"
        )
