"""The reference implementation of the UAPI PhoneCalls contract (strict profile).

``create_app()`` returns the ASGI app (for ``httpx.ASGITransport`` or any ASGI server);
``BackgroundServer`` serves an app over loopback HTTP from a daemon thread. The server reads
only ``pytest_uapi.contract``: it is the executable meaning of the documents, not part of the
plugin.
"""

from __future__ import annotations

from .app import create_app
from .background import BackgroundServer

__all__ = ["BackgroundServer", "create_app"]
