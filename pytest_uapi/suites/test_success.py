"""Success statuses (D15, D20) for every operation with valid input, and the identifier forms
the documents allow: userId forms (D5), @self and short extensions (D6, D18), numeric strings
(D4), a public number for Transfer (D11), and the bulk form with no calls (D16)."""

from __future__ import annotations

import pytest

from pytest_uapi.checking import checks
from pytest_uapi.checking.provision import CallProvisioner, skip_precondition
from pytest_uapi.contract import Profile, Requirement
from pytest_uapi.suites._support import (
    CONTRACT,
    param,
    perform,
    prepare,
    success_statuses,
)
from pytest_uapi.transport.exchange import CheckFailure

_SUCCESS = CONTRACT.by_category("success")

PLAIN = [
    param(r, op, id=op, requirements=(r.id,))
    for r in _SUCCESS
    if not r.change and not r.bulk and not r.state
    for op in r.operations
]
FORMS = [
    param(r, op, id=f"{op}-{r.id}", requirements=(r.id,))
    for r in _SUCCESS
    if (r.change or r.state) and not r.bulk
    for op in r.operations
]
BULK = [
    param(r, op, id=op, requirements=(r.id,)) for r in _SUCCESS if r.bulk for op in r.operations
]


@pytest.mark.parametrize(("requirement", "operation"), PLAIN)
def test_success_status(
    requirement: Requirement, operation: str, uapi_calls: CallProvisioner, uapi_profile: Profile
) -> None:
    performed = perform(uapi_calls, operation)
    checks.status(performed.exchange, success_statuses(operation, uapi_profile), requirement.id)


@pytest.mark.parametrize(("requirement", "operation"), FORMS)
def test_identifier_form(
    requirement: Requirement, operation: str, uapi_calls: CallProvisioner, uapi_profile: Profile
) -> None:
    performed = perform(uapi_calls, operation, requirement.change, requirement.state)
    checks.status(
        performed.exchange,
        success_statuses(operation, uapi_profile),
        requirement.id,
        title=f"Request refused: {requirement.title.lower()}",
    )


@pytest.mark.parametrize(("requirement", "operation"), BULK)
def test_bulk_without_calls(
    requirement: Requirement, operation: str, uapi_calls: CallProvisioner
) -> None:
    extension = uapi_calls.target.ringing
    ids = uapi_calls.list_ids(extension)
    if ids is None:
        skip_precondition(
            "listing the calls of the ringing terminal failed", uapi_calls.client.last
        )
    if ids:
        skip_precondition(f"the ringing terminal {extension} has calls; the bulk check needs none")
    _, spec = prepare(uapi_calls, operation, {"path.extension": extension}, bulk=True)
    exchange = uapi_calls.send(spec)
    assert exchange.response is not None
    if exchange.response.status_code != (requirement.expect or 204) and uapi_calls.list_ids(
        extension
    ):
        # Another client made a call there between the listing and the request (a shared
        # target under xdist): the precondition no longer held, so this proves nothing.
        skip_precondition(f"a call appeared on {extension} during the check")
    checks.status(
        exchange,
        (requirement.expect or 204,),
        requirement.id,
        title="Wrong status for a bulk action with no calls",
    )
    checks.require(
        not exchange.response.content,
        CheckFailure(
            title="Body in a 204 answer",
            expected="no body",
            received=f"{len(exchange.response.content)} bytes",
            requirements=(requirement.id,),
            exchange=exchange,
        ),
    )
