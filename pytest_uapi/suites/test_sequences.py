"""Sequences with an oracle (see ``_sequences``): seeded random runs of the whole API against the
target, each step judged by the reference server run in-process on the reference dataset.

``--uapi-sequences N`` sequences of ``--uapi-sequence-steps`` steps are spread over up to eight
tests (so that xdist can run them side by side); each test's sequences are seeded from
``--uapi-seed`` and the test id, so a seed reproduces a run and its shrunk failure.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Iterator

import pytest

from pytest_uapi.checking.marks import covers
from pytest_uapi.checking.provision import CallProvisioner
from pytest_uapi.contract import Profile
from pytest_uapi.settings.reference_options import ReferenceOptions
from pytest_uapi.settings.resolve import Settings
from pytest_uapi.settings.target import Target, build_target
from pytest_uapi.stash import SETTINGS
from pytest_uapi.suites._support import CONTRACT
from pytest_uapi.transport.client import UapiClient
from pytest_uapi.transport.session import Session

STATE = CONTRACT.requirement("sequence.state").id
BATCHES = 8


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "batch" not in metafunc.fixturenames:
        return
    settings = metafunc.config.stash.get(SETTINGS, None)
    count = settings.sequences if settings is not None else 1
    batches = max(1, min(BATCHES, count))
    sizes = [count // batches + (1 if n < count % batches else 0) for n in range(batches)]
    metafunc.parametrize(
        "batch",
        [
            pytest.param(size, id=f"sequences-{n + 1}", marks=covers(STATE))
            for n, size in enumerate(sizes)
        ],
    )


@pytest.fixture(scope="module")
def _oracle(_uapi_settings: Settings) -> Iterator[tuple[Session, str]]:
    """The reference server in-process, on the reference dataset: the sequences' oracle."""
    from pytest_uapi.transport.connect import open_session

    reference = build_target({})
    oracle_settings = dataclasses.replace(
        _uapi_settings,
        url="embedded",
        fault=None,
        reference=ReferenceOptions(),  # the oracle settles at once, on one view per call
        client_id=None,
        client_secret=None,
    )
    with open_session(oracle_settings) as session:
        yield session, str(reference.token)


def test_sequences(
    batch: int,
    _uapi_settings: Settings,
    _oracle: tuple[Session, str],
    uapi_client: UapiClient,
    uapi_target: Target,
    uapi_profile: Profile,
    uapi_calls: CallProvisioner,
    request: pytest.FixtureRequest,
) -> None:
    """Sequences of documented requests keep every call as the reference model says (D24, D27,
    D28, D31, D35)."""
    from hypothesis import HealthCheck, Phase, seed
    from hypothesis import settings as hypothesis_settings
    from hypothesis.stateful import run_state_machine_as_test

    from pytest_uapi.suites._sequences import SequenceMachine, Side, Timing, World, faults_of

    # The sequences ring the ringing terminal: keep the bulk checks of other workers away.
    uapi_calls.share_ringing()
    oracle_session, oracle_token = _oracle
    reference = build_target({})
    world = World(
        target=Side("target", uapi_client, uapi_target, uapi_target.second_token),
        oracle=Side(
            "oracle", UapiClient(oracle_session, oracle_token), reference, reference.second_token
        ),
        contract=CONTRACT,
        profile=uapi_profile,
        timing=Timing(settle=_uapi_settings.settle),
        secrets=_uapi_settings.secrets,
        faults=faults_of(CONTRACT),
    )

    machine = SequenceMachine.for_world(world)
    seeded = seed(_uapi_settings.seed + zlib.crc32(request.node.nodeid.encode()))(machine)
    run_state_machine_as_test(  # type: ignore[no-untyped-call,unused-ignore]  # typed only lately
        seeded,
        settings=hypothesis_settings(
            max_examples=batch,
            stateful_step_count=_uapi_settings.sequence_steps,
            database=None,
            deadline=None,
            derandomize=False,
            phases=(Phase.generate, Phase.shrink),
            suppress_health_check=list(HealthCheck),
            print_blob=False,
        ),
    )
