"""The pytest11 entry point: options, report header, fixtures, suite collection, failure reports.

An installed pytest11 plugin loads in every pytest run of its environment, so this module does
nothing unless a target is given (``--uapi-url``, ``UAPI_URL`` or ini ``uapi_url``): it registers
options and the marker, imports nothing heavy (httpx, faker and the reference server are imported
inside the fixtures that need them) and keeps its state in ``config.stash``.
"""

from __future__ import annotations

import sys
import zlib
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .options import SEED_CACHE_KEY, Settings, UapiInsecureWarning, add_options, resolve

# The suites' call provisioner is a fixture of the plugin, so it is imported here for pytest to
# find it; provision imports only the contract data and pytest, which keeps loading cheap.
from .provision import uapi_calls  # noqa: F401

if TYPE_CHECKING:
    from faker import Faker

    from .client import Session, UapiClient
    from .contract import Contract, Profile
    from .target import Target

SETTINGS = pytest.StashKey[Settings]()
SUITE = pytest.StashKey[tuple[Path, ...]]()
SESSION = pytest.StashKey["Session"]()
NO_TARGET = "no UAPI target: pass --uapi-url (see README)"
MARKER = (
    "uapi_requirement(*ids): the UAPI contract requirement ids this test proves "
    "(pytest-uapi reports them)"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def suite_directory() -> Path:
    """Where the shipped suite lives (found by path: importing it would import the suites)."""
    return Path(__file__).with_name("suites")


def suite_files() -> tuple[Path, ...]:
    directory = suite_directory()
    # sorted: every xdist worker must collect the same items in the same order
    return tuple(sorted(directory.glob("test_*.py"))) if directory.is_dir() else ()


class _XdistHooks:
    """Hooks of pytest-xdist, registered only when it is installed (its hook specs exist)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def pytest_configure_node(self, node: Any) -> None:
        # Workers take the controller's seed: one seed in the header reproduces the whole run.
        node.workerinput["uapi_seed"] = self.settings.seed
        node.workerinput["uapi_seed_source"] = self.settings.sources["seed"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER)
    settings = resolve(config)
    if settings is None:
        return
    config.stash[SETTINGS] = settings
    # Imported here: reporting is part of certifying a target, never of a run without one.
    from .reporting.plugin import ReportingPlugin

    config.pluginmanager.register(ReportingPlugin(config, settings), "uapi-reporting")
    if settings.insecure:
        config.issue_config_time_warning(
            UapiInsecureWarning(
                "--uapi-insecure: the target's TLS certificate is not verified; "
                "prefer --uapi-ca-bundle FILE"
            ),
            stacklevel=2,
        )
    is_worker = hasattr(config, "workerinput")
    cache = getattr(config, "cache", None)
    if cache is not None and not is_worker:
        cache.set(SEED_CACHE_KEY, settings.seed)
    if not is_worker and config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistHooks(settings), "uapi-xdist")
    # Without paths on the command line, a target means "certify it": run the shipped suite in
    # place of testpaths or the current directory. With paths, only those run (the README shows
    # --pyargs pytest_uapi.suites to add the suite).
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        _collect_suite_only(config)


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
        marker = item.get_closest_marker("uapi_requirement")
        (keep if marker is not None and wanted & set(marker.args) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    """The preflight: before the first test, one request checks the target and the token."""
    config = session.config
    settings = config.stash.get(SETTINGS, None)
    if settings is None or not settings.preflight or hasattr(config, "workerinput"):
        return  # under xdist the controller checks, once, before the workers run tests
    if config.option.collectonly:
        return
    # The shipped dataset's own token on the embedded server cannot be wrong.
    if settings.kind != "remote" and settings.sources["token"] == "profile":
        return
    xdist_controller = config.pluginmanager.has_plugin("dsession")
    if not xdist_controller and not any(
        "_uapi_session" in getattr(item, "fixturenames", ()) for item in session.items
    ):
        return  # no test here talks to the target
    from .preflight import check

    problem = check(settings)
    if problem is not None:
        pytest.exit(problem, returncode=pytest.ExitCode.USAGE_ERROR)


def pytest_report_header(config: pytest.Config) -> list[str]:
    settings = config.stash.get(SETTINGS, None)
    if settings is None:
        return []
    lines = [settings.header()]
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
    secrets = _secrets(item.config)
    if report.failed and call.excinfo is not None:
        _rewrite_longrepr(report, call.excinfo.value, secrets)
    if secrets and report.sections:
        # Captured output and logs go to the terminal (-rA) and to JUnit XML as they are.
        report.sections = [(name, _mask(text, secrets)) for name, text in report.sections]
    return report


def _secrets(config: pytest.Config) -> tuple[str, ...]:
    """The configured secrets, and the tokens fetched with OAuth client credentials so far."""
    settings = config.stash.get(SETTINGS, None)
    if settings is None:
        return ()
    session = config.stash.get(SESSION, None)
    if session is None or session.credentials is None:
        return settings.secrets
    return (*settings.secrets, *session.credentials.issued)


def _mask(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def _rewrite_longrepr(
    report: pytest.TestReport, exc: BaseException, secrets: tuple[str, ...]
) -> None:
    # A CheckFailure exists only if its module was imported: never import it just to look.
    failures = sys.modules.get("pytest_uapi.failures")
    if failures is not None and isinstance(exc, failures.CheckFailure):
        # The exchange says everything about the server; the traceback of a check says nothing.
        report.longrepr = failures.render(exc, secrets)
        return
    if secrets:
        text = str(report.longrepr)
        masked = _mask(text, secrets)
        if masked != text:
            report.longrepr = masked


# --- fixtures ---


@pytest.fixture(scope="session")
def _uapi_settings(pytestconfig: pytest.Config) -> Settings:
    settings = pytestconfig.stash.get(SETTINGS, None)
    if settings is None:
        pytest.skip(NO_TARGET)
    return settings


@pytest.fixture(scope="session")
def _uapi_session(_uapi_settings: Settings, pytestconfig: pytest.Config) -> Iterator[Session]:
    from .client import open_session

    with open_session(_uapi_settings) as session:
        pytestconfig.stash[SESSION] = session  # its fetched tokens are masked in reports
        yield session


@pytest.fixture(scope="session")
def uapi_base_url(_uapi_session: Session) -> str:
    """Base URL of the UAPI target (scheme, host, port, path prefix; no trailing slash).

    For ``embedded-http`` it is the reference server's local address; for ``embedded`` a
    placeholder host served in-process.
    """
    return _uapi_session.base_url


@pytest.fixture(scope="session")
def uapi_token(_uapi_settings: Settings, request: pytest.FixtureRequest) -> str:
    """Bearer token of the target profile's user (``--uapi-token``; masked in every report).

    With OAuth client credentials (``--uapi-client-id``), the token fetched for this session;
    ``uapi_client`` renews it when it expires.
    """
    from .secret import Secret

    if _uapi_settings.client_id is None:
        return Secret(_uapi_settings.token)
    session: Session = request.getfixturevalue("_uapi_session")
    assert session.credentials is not None
    return session.credentials.token(session)


@pytest.fixture(scope="session")
def uapi_target(_uapi_settings: Settings) -> Target:
    """The target profile: the numbers and users the suite uses, by role (``roles()``)."""
    return _uapi_settings.target


@pytest.fixture(scope="session")
def uapi_contract() -> Contract:
    """The UAPI PhoneCalls contract as data: operations, requirements, profiles, schemas."""
    from .contract import load_contract

    return load_contract()


@pytest.fixture(scope="session")
def uapi_profile(_uapi_settings: Settings, uapi_contract: Contract) -> Profile:
    """The contract profile checked: ``default``, or ``strict`` with ``--uapi-strict``."""
    return uapi_contract.profiles[_uapi_settings.contract_profile]


@pytest.fixture
def uapi_client(_uapi_session: Session, uapi_base_url: str, uapi_token: str) -> UapiClient:
    """Client for the UAPI target; ``request(method, path_or_link, json=..., auth=...)``.

    One per test, with its own ``exchanges`` list (what a failure report shows), sharing the
    session's connections. It never raises on an HTTP status; no answer at all raises a
    ``CheckFailure``.
    """
    from .client import UapiClient

    return UapiClient(_uapi_session, uapi_token, uapi_base_url)


@pytest.fixture(scope="session")
def _uapi_faker_instance() -> Faker:
    from faker import Faker

    return Faker()


@pytest.fixture
def uapi_faker(
    _uapi_settings: Settings, _uapi_faker_instance: Faker, request: pytest.FixtureRequest
) -> Faker:
    """A Faker seeded for this test from ``--uapi-seed`` and the test id.

    The same seed gives every test the same values, whatever the order or the xdist worker.
    """
    seed = _uapi_settings.seed + zlib.crc32(request.node.nodeid.encode("utf-8"))
    _uapi_faker_instance.seed_instance(seed)
    return _uapi_faker_instance
