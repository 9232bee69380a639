"""The ``uapi_requirement`` marker: which contract requirements a test proves.

The suites put it on every test, the plugin registers it, ``--uapi-requirement`` selects by it,
and the reports read it; all of them use the names here.
"""

from __future__ import annotations

import pytest

MARKER = "uapi_requirement"
MARKER_HELP = (
    f"{MARKER}(*ids): the UAPI contract requirement ids this test proves (pytest-uapi reports them)"
)


def covers(*requirement_ids: str) -> pytest.MarkDecorator:
    """Mark a test with the requirements it proves (the first is its primary requirement)."""
    return pytest.mark.uapi_requirement(*requirement_ids)


def requirements_of(item: pytest.Item) -> tuple[str, ...]:
    """The item's requirement ids, closest marker first, each once."""
    ids: list[str] = []
    for marker in item.iter_markers(MARKER):
        ids += [str(a) for a in marker.args if str(a) not in ids]
    return tuple(ids)
