"""Success statuses (D15, D20) for every operation with valid input, and every valid form the
documents and decisions allow: userId forms (D5, D34), @self, short and participant extensions
(D6), optional fields and their defaults (D11-D13, D18), query parameters, number and callerId
forms (D4, D8, D9), a public number for Transfer (D11), and the bulk form with no calls (D16)."""

from __future__ import annotations

import pytest

from pytest_uapi.checking import checks
from pytest_uapi.checking.preconditions import skip_precondition
from pytest_uapi.checking.provision import CallProvisioner
from pytest_uapi.contract import Case, Profile, Requirement
from pytest_uapi.suites._support import (
    CONTRACT,
    acted_call_id,
    check_effect,
    check_self_link,
    param,
    perform,
    prepare,
    require_accepted,
    same_number,
    success_statuses,
)
from pytest_uapi.transport.exchange import CheckFailure

_SUCCESS = CONTRACT.by_category("success")
_DEFAULT_EXTENSION = CONTRACT.requirement("make_call.extension_optional")

PLAIN = [
    param(r, op, id=op, requirements=(r.id,))
    for r in _SUCCESS
    if not r.cases and not r.bulk
    for op in r.operations
]
FORMS = [
    param(r, op, case, id="-".join(filter(None, (op, r.id, case.name))), requirements=(r.id,))
    for r in _SUCCESS
    if r.cases and not r.bulk and r is not _DEFAULT_EXTENSION
    for op in r.operations
    for case in r.cases
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


@pytest.mark.parametrize(("requirement", "operation", "case"), FORMS)
def test_identifier_form(
    requirement: Requirement,
    operation: str,
    case: Case,
    uapi_calls: CallProvisioner,
    uapi_profile: Profile,
) -> None:
    performed = perform(uapi_calls, operation, case.change, case.state)
    checks.status(
        performed.exchange,
        success_statuses(operation, uapi_profile),
        requirement.id,
        title=f"Request refused: {requirement.title[0].lower()}{requirement.title[1:]}",
    )
    if requirement.effect:
        check_effect(uapi_calls, performed, requirement.id)
    if requirement.follow:
        check_self_link(uapi_calls, uapi_profile, performed, requirement.id)


@pytest.mark.parametrize(
    "requirement",
    [param(_DEFAULT_EXTENSION, id="MakeCall", requirements=(_DEFAULT_EXTENSION.id,))],
)
def test_default_extension(
    requirement: Requirement, uapi_calls: CallProvisioner, uapi_profile: Profile
) -> None:
    """D18: without ``extension`` the call is made from the first source, and says so."""
    [case] = requirement.cases
    performed = perform(uapi_calls, "MakeCall", case.change)
    checks.status(
        performed.exchange,
        success_statuses("MakeCall", uapi_profile),
        requirement.id,
        title="Request refused: a call without extension",
    )
    require_accepted(performed)
    call_id = acted_call_id(uapi_calls, performed)
    first_source = str(performed.spec.body["phoneCallView"][0]["source"][0])
    seen = uapi_calls.wait_for(
        lambda: uapi_calls.read_call(call_id), lambda call: "extension" in call
    )
    extension = str((seen or {}).get("extension"))
    checks.require(
        seen is not None and same_number(extension, first_source),
        CheckFailure(
            title="The call is not made from the first source",
            expected=f"the PhoneCall's extension {first_source} (the first source)",
            received=f"extension {extension}" if seen is not None else "no call to read",
            requirements=(requirement.id,),
            exchange=uapi_calls.client.last,
        ),
    )


@pytest.mark.parametrize(("requirement", "operation"), BULK)
def test_bulk_without_calls(
    requirement: Requirement, operation: str, uapi_calls: CallProvisioner
) -> None:
    extension = uapi_calls.target.ringing
    uapi_calls.exclusive_ringing()  # no other test's call there while the bulk form runs
    # Calls an earlier test hung up may take a moment to go (D31).
    ids = uapi_calls.wait_for(lambda: uapi_calls.list_ids(extension), lambda ids: not ids)
    if ids is None:
        skip_precondition(
            "listing the calls of the ringing terminal failed", uapi_calls.client.last
        )
    if ids:
        skip_precondition(f"the ringing terminal {extension} has calls; the bulk check needs none")
    _, spec = prepare(uapi_calls, operation, {"path.extension": extension}, bulk=True)
    exchange = uapi_calls.send(spec)
    if exchange.status != (requirement.expect or 204) and uapi_calls.list_ids(extension):
        # Another client made a call there between the listing and the request (a shared
        # target under xdist): the precondition no longer held, so this proves nothing.
        skip_precondition(f"a call appeared on {extension} during the check")
    checks.status(
        exchange,
        (requirement.expect or 204,),
        requirement.id,
        title="Wrong status for a bulk action with no calls",
    )
    assert exchange.response is not None
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
