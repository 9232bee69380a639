"""The pytest11 entry point: hooks only (options, configuration, collection, the preflight, the
report header, failure reports). The fixtures are in ``fixtures``; the certification reports in
``reporting``.

An installed pytest11 plugin loads in every pytest run of its environment, so this module does
nothing unless a target is given (``--uapi-url``, ``UAPI_URL`` or ini ``uapi_url``): it registers
options and the marker, imports nothing heavy (httpx, faker and the reference server are imported
where they are used) and keeps its state in ``config.stash``.
"""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Generator
from pathlib import Path

import pytest

from . import parallel
from .checking.marks import MARKER_HELP, requirements_of
from .settings.options import add_options
from .settings.resolve import (
    SEED_CACHE_KEY,
    UapiInsecureWarning,
    UapiSettleWarning,
    resolve,
    share_with_workers,
)
from .stash import CLOSE_SESSION, INTERRUPTS, SESSION, SETTINGS, SUITE

# Light (no httpx): one class for every check of the run, in-process inner runs included.
from .transport.exchange import CheckFailure
from .transport.redaction import mask

pytest_plugins = ["pytest_uapi.fixtures"]


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """``--uapi-list-requirements``: print the contract's requirements and exit 0, as pytest's
    own ``--markers`` does: without a target, without collecting or running anything."""
    from .settings.resolve import Resolver

    if not Resolver(config).flag("list-requirements"):
        return None
    from .contract import load_contract

    requirements = load_contract().requirements
    width = max(len(r.id) for r in requirements)
    sys.stdout.writelines(f"{r.id:<{width}}  {r.category:<10}  {r.title}\n" for r in requirements)
    return 0


def suite_directory() -> Path:
    """Where the shipped suite lives (found by path: importing it would import the suites)."""
    return Path(__file__).with_name("suites")


def suite_files() -> tuple[Path, ...]:
    directory = suite_directory()
    # sorted: every xdist worker must collect the same items in the same order
    return tuple(sorted(directory.glob("test_*.py"))) if directory.is_dir() else ()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)
    settings = resolve(config)
    if settings is None:
        return
    if settings.fault is not None:
        from .transport.embedded import fault_problem

        problem = fault_problem(settings.fault)
        if problem is not None:
            raise pytest.UsageError(f"{settings.where('fault')}: {problem}")
    config.stash[SETTINGS] = settings
    _install_interrupts(config)
    # Imported here: reporting is part of certifying a target, never of a run without one.
    from .reporting.hooks import ReportingPlugin

    config.pluginmanager.register(ReportingPlugin(config, settings), "uapi-reporting")
    if settings.insecure:
        config.issue_config_time_warning(
            UapiInsecureWarning(
                "--uapi-insecure: the target's TLS certificate is not verified; "
                "prefer --uapi-ca-bundle FILE"
            ),
            stacklevel=2,
        )
    longest = settings.reference.longest_delay
    if longest > settings.settle:
        config.issue_config_time_warning(
            UapiSettleWarning(
                f"{settings.where('settle')} {settings.settle:g}s is shorter than the embedded "
                f"reference server's delay of {longest:g}s: its calls and effects show later "
                f"than the suite waits; pass --uapi-settle {longest:g} or more"
            ),
            stacklevel=2,
        )
    if not parallel.is_worker(config):
        cache = getattr(config, "cache", None)
        if cache is not None:
            cache.set(SEED_CACHE_KEY, settings.seed)
        share_with_workers(config, settings)
        parallel.install(config)
    # Without paths on the command line, a target means "certify it": run the shipped suite in
    # place of testpaths or the current directory. With paths, only those run (the README shows
    # --pyargs pytest_uapi.suites to add the suite).
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        _collect_suite_only(config)


def _install_interrupts(config: pytest.Config) -> None:
    """SIGTERM becomes an interruption like Ctrl-C, and neither cuts an exchange in flight: in
    every process of the run (under xdist the controller too, so that terminating it shuts its
    workers down through xdist's own path, which interrupts them in turn)."""
    from .transport.cleanup import Interrupts

    interrupts = Interrupts()
    if interrupts.install():
        config.stash[INTERRUPTS] = interrupts
    config.pluginmanager.register(_Cleanup(config), "uapi-cleanup")


class _Cleanup:
    """No call left behind, whatever interrupts the run (see ``transport.cleanup``)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @pytest.hookimpl(tryfirst=True)  # before the terminal's report, which a signal can cut
    def pytest_keyboard_interrupt(self) -> None:
        """Ctrl-C, SIGTERM or pytest.exit: hang up every call still up now, bounded in time,
        before pytest's teardown, which a second interruption could cut short."""
        session = self.config.stash.get(SESSION, None)
        if session is not None and len(session.live):
            from .transport.cleanup import sweep

            with contextlib.suppress(KeyboardInterrupt):  # interrupted already: nothing new
                sweep(session.live, session.interrupts, interrupted=True)

    @pytest.hookimpl(tryfirst=True)
    def pytest_unconfigure(self) -> None:
        """The last word: what an interrupted teardown left up is hung up and the session
        closed; the signal handlers go back to what they were."""
        stash = self.config.stash
        try:
            stack = stash.get(CLOSE_SESSION, None)
            if stack is not None:
                del stash[CLOSE_SESSION]
                stack.close()
        finally:
            interrupts = stash.get(INTERRUPTS, None)
            if interrupts is not None:
                del stash[INTERRUPTS]
                interrupts.restore()


def _collect_suite_only(config: pytest.Config) -> None:
    files = suite_files()
    config.stash[SUITE] = files
    # The directory, not its files: outside the rootdir (an installed package) pytest names a
    # file given on the command line "", and every suite's tests would share node ids.
    config.args = [str(suite_directory())] if files else []
    # Nothing but the suite is collected now, so the user's naming conventions can safely be
    # widened to the suite's own; otherwise a project with python_files = "check_*.py" would
    # silently collect nothing.
    for name, value in (("python_files", "test_*.py"), ("python_functions", "test")):
        if value not in config.getini(name):
            config.addinivalue_line(name, value)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``--uapi-requirement``: keep only the tests that carry one of the requirement ids."""
    settings = config.stash.get(SETTINGS, None)
    if settings is None or not settings.requirements:
        return
    wanted = set(settings.requirements)
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        (keep if wanted & set(requirements_of(item)) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    """The preflight: before the first test, one request checks the target and the token."""
    config = session.config
    settings = config.stash.get(SETTINGS, None)
    if settings is None or not settings.preflight or parallel.is_worker(config):
        return  # under xdist the controller checks, once, before the workers run tests
    if config.option.collectonly:
        return
    # The shipped dataset's own token on the embedded server cannot be wrong.
    if settings.kind != "remote" and settings.sources["token"] == "profile":
        return
    if not parallel.is_controller(config) and not any(
        "_uapi_session" in getattr(item, "fixturenames", ()) for item in session.items
    ):
        return  # no test here talks to the target
    from .transport.preflight import check

    problem = check(settings)
    if problem is not None:
        pytest.exit(problem, returncode=pytest.ExitCode.USAGE_ERROR)


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Move what start-up and collection built (modules, the contract, the items) out of the
    garbage collector's reach: it is never garbage, yet every full collection walked it, pytest's
    own at the end of the session five times (0.3 s of CPU per process, each xdist worker)."""
    if SETTINGS in session.config.stash:  # certifying a target; other runs are left as they are
        gc.freeze()


def pytest_report_header(config: pytest.Config) -> list[str]:
    settings = config.stash.get(SETTINGS, None)
    if settings is None:
        return []
    lines = settings.header()
    suite = config.stash.get(SUITE, None)
    if suite is not None:
        if suite:
            lines.append(f"uapi: running the shipped suite ({len(suite)} files)")
        else:
            lines.append(f"uapi: no shipped suite found in {suite_directory()}")
    return lines


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if item.config.stash.get(SETTINGS, None) is None:
        return report
    secrets = _secrets(item.config)
    if report.failed and call.excinfo is not None:
        _rewrite_longrepr(report, call.excinfo.value, secrets)
    if secrets and report.sections:
        # Captured output and logs go to the terminal (-rA) and to JUnit XML as they are.
        report.sections = [(name, mask(text, secrets)) for name, text in report.sections]
    return report


def _secrets(config: pytest.Config) -> tuple[str, ...]:
    """The configured secrets, and the tokens fetched with OAuth client credentials so far."""
    settings = config.stash[SETTINGS]
    session = config.stash.get(SESSION, None)
    if session is None or session.credentials is None:
        return settings.secrets
    return (*settings.secrets, *session.credentials.issued)


def _rewrite_longrepr(
    report: pytest.TestReport, exc: BaseException, secrets: tuple[str, ...]
) -> None:
    if isinstance(exc, CheckFailure):
        from .checking.render import render

        # The exchange says everything about the server; the traceback of a check says nothing.
        report.longrepr = render(exc, secrets)
        return
    if secrets:
        text = str(report.longrepr)
        masked = mask(text, secrets)
        if masked != text:
            report.longrepr = masked
