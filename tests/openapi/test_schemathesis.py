"""Schemathesis, run with the exported document against the reference server and its faults.

Bounded for CI: a few examples per operation, a fixed seed, a handful of faults (the comparison,
``python -m tests.openapi.comparison``, runs the wider set).
"""

from __future__ import annotations

import pytest

from .harness import run_schemathesis, serve

pytestmark = pytest.mark.slow
EXAMPLES = 5

# Faults that change the shape of an answer: a status, a schema, the error body, its type.
SHAPE_FAULTS = {
    "make_call.success:status-201": "ST103",
    "make_call.ack:no-link": "ST108",
    "errors.body:flat": "ST108",
    "response.json:text-plain": "ST105",
}


@pytest.mark.parametrize("profile", ["default", "strict"])
def test_reference_passes_with_the_checks_that_apply(profile: str) -> None:
    with serve() as (url, counting):
        run = run_schemathesis(url, counting, profile=profile, max_examples=EXAMPLES)
    assert run.findings == ()
    assert run.exit_code == 0
    assert run.requests > 0


@pytest.mark.parametrize("fault", sorted(SHAPE_FAULTS))
def test_faults_that_change_an_answers_shape_are_found(fault: str) -> None:
    with serve(fault) as (url, counting):
        run = run_schemathesis(url, counting, max_examples=EXAMPLES)
    assert run.found and run.exit_code != 0
    assert any(f.startswith(SHAPE_FAULTS[fault]) for f in run.findings), run.findings


def test_strict_document_refuses_what_the_default_allows() -> None:
    """D15/D16: a bulk action's ``200 []`` fits the default document, not the strict one."""
    fault = "transfer.bulk_empty:status-200"
    with serve(fault) as (url, counting):
        default = run_schemathesis(url, counting, max_examples=10)
    with serve(fault) as (url, counting):
        strict = run_schemathesis(url, counting, profile="strict", max_examples=10)
    assert not default.found
    assert any(f.startswith("ST103") for f in strict.findings), strict.findings
