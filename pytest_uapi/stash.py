"""The plugin's state in ``config.stash``, one key for each thing (never module-level state)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from contextlib import ExitStack

    from .settings.resolve import Settings
    from .transport.cleanup import Interrupts
    from .transport.session import Session

SETTINGS: pytest.StashKey[Settings] = pytest.StashKey()
"""This run's settings; absent when no target is given (the plugin then does nothing)."""
SESSION: pytest.StashKey[Session] = pytest.StashKey()
"""The open session, once a test has used the target (its fetched tokens are masked)."""
CLOSE_SESSION: pytest.StashKey[ExitStack] = pytest.StashKey()
"""Closes the open session (its client, the embedded server): at the session's teardown, or at
the end of the run when an interruption cut that teardown short."""
INTERRUPTS: pytest.StashKey[Interrupts] = pytest.StashKey()
"""The plugin's SIGINT and SIGTERM handling, from configure to unconfigure."""
SUITE = pytest.StashKey[tuple[Path, ...]]()
"""The shipped suite's files, when the plugin collects them in place of the user's paths."""
