"""The public face: what a user's own tests import from ``pytest_uapi`` keeps working."""

from __future__ import annotations

import pytest

import pytest_uapi


@pytest.mark.parametrize("name", pytest_uapi.__all__)
def test_every_public_name_imports(name: str) -> None:
    assert getattr(pytest_uapi, name) is not None


def test_public_names_are_the_classes_the_fixtures_hand_out() -> None:
    from pytest_uapi.checking.provision import CallProvisioner
    from pytest_uapi.transport.client import UapiClient
    from pytest_uapi.transport.exchange import CheckFailure, Exchange

    assert pytest_uapi.UapiClient is UapiClient
    assert pytest_uapi.Exchange is Exchange
    assert pytest_uapi.CheckFailure is CheckFailure
    assert pytest_uapi.CallProvisioner is CallProvisioner


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'requests'"):
        pytest_uapi.requests  # noqa: B018
