"""The public fixtures (``uapi_*``) and the private ones they stand on (``_uapi_*``).

Registered by the plugin's entry point. Each imports what it needs when it first runs (httpx,
faker, the embedded reference server), so a pytest run that never asks for one pays nothing.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from .stash import CLOSE_SESSION, INTERRUPTS, SESSION, SETTINGS

if TYPE_CHECKING:
    from faker import Faker

    from .checking.pool import CallPool
    from .checking.preconditions import Preconditions
    from .checking.provision import CallProvisioner
    from .contract import Contract, Profile
    from .parallel import RoleLock
    from .settings.resolve import Settings
    from .settings.target import Target
    from .transport.client import UapiClient
    from .transport.session import Session

NO_TARGET = (
    "no UAPI target: pass --uapi-url URL (or set UAPI_URL), or --uapi-url embedded for the "
    "bundled reference server; pytest --help lists the uapi options"
)


@pytest.fixture(scope="session")
def _uapi_settings(pytestconfig: pytest.Config) -> Settings:
    settings = pytestconfig.stash.get(SETTINGS, None)
    if settings is None:
        pytest.skip(NO_TARGET)
    return settings


@pytest.fixture(scope="session")
def _uapi_session(_uapi_settings: Settings, pytestconfig: pytest.Config) -> Iterator[Session]:
    from contextlib import ExitStack

    from .transport.cleanup import sweep
    from .transport.connect import open_session

    stack = ExitStack()
    session = stack.enter_context(
        open_session(_uapi_settings, pytestconfig.stash.get(INTERRUPTS, None))
    )
    # Before the client closes, the calls still up (a hang-up that failed) get one more try.
    stack.callback(lambda: sweep(session.live, session.interrupts, interrupted=False))
    pytestconfig.stash[SESSION] = session  # its fetched tokens are masked in reports
    # A second Ctrl-C can cut pytest's teardown short before this fixture's: the plugin closes
    # the session at the end of the run then (pytest_unconfigure).
    pytestconfig.stash[CLOSE_SESSION] = stack
    yield session
    stack.close()


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
    from .transport.redaction import Secret

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
    session's connections. ``request`` returns the ``Exchange`` whatever the status; no answer
    at all raises a ``CheckFailure``.
    """
    from .transport.client import UapiClient

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


@pytest.fixture(scope="session")
def _uapi_preconditions() -> Preconditions:
    """How each precondition failed in this process: the circuit breaker of ``uapi_calls``."""
    from .checking.preconditions import Preconditions

    return Preconditions()


@pytest.fixture(scope="session")
def _uapi_ringing_lock(
    _uapi_settings: Settings, uapi_target: Target, uapi_base_url: str
) -> Iterator[RoleLock]:
    """The ringing terminal, shared by this run's workers (and other runs on this machine)."""
    import os

    from .parallel import RoleLock

    # An embedded target is this process's own server: nothing to share with other processes.
    owner = "" if _uapi_settings.kind == "remote" else f"|pid {os.getpid()}"
    lock = RoleLock(f"{uapi_base_url}|{uapi_target.user_id}|{uapi_target.ringing}{owner}")
    yield lock
    lock.release()


@pytest.fixture(scope="session")
def _uapi_call_pool(
    _uapi_session: Session, uapi_base_url: str, uapi_token: str, _uapi_ringing_lock: RoleLock
) -> Iterator[CallPool]:
    """Calls made ahead of the tests that need them, once the target has settled late (D31)."""
    from .checking.pool import CallPool
    from .transport.client import UapiClient

    pool = CallPool(UapiClient(_uapi_session, uapi_token, uapi_base_url))
    yield pool
    # Before the session's sweep and its client close; a ringing call whose record a bulk
    # check has claimed is that check's to hang up.
    pool.drain(lambda p: p.state != "ringing" or _uapi_ringing_lock.take_ahead(p.id))


@pytest.fixture
def uapi_calls(
    uapi_client: UapiClient,
    uapi_target: Target,
    uapi_contract: Contract,
    uapi_faker: Faker,
    _uapi_settings: Settings,
    _uapi_preconditions: Preconditions,
    _uapi_ringing_lock: RoleLock,
    _uapi_call_pool: CallPool,
) -> Iterator[CallProvisioner]:
    """Makes calls in the states the contract tests act on and hangs them all up afterwards.

    ``uapi_calls.make("on_call" | "on_call_internal" | "ringing" | "on_hold" | ...)`` returns a
    ``Call`` (id, view id, body) once the target shows it in that state (within
    ``--uapi-settle``), or skips the test with the step that failed. Only documented requests are
    used: make a call, OnHold (D29), GET, and DELETE (D28) at teardown.
    """
    from .checking.provision import CallProvisioner

    provisioner = CallProvisioner(
        uapi_client,
        uapi_target,
        uapi_contract,
        uapi_faker,
        settle=_uapi_settings.settle,
        preconditions=_uapi_preconditions,
        ringing_lock=_uapi_ringing_lock,
        pool=_uapi_call_pool,
    )
    yield provisioner
    provisioner.hang_up_all()
