"""pytest-uapi: a conformance suite for the VoipNow UnifiedAPI PhoneCalls methods.

The public face: what a test written against the plugin's fixtures imports. Everything else in
the package is internal (``settings``, ``transport``, ``checking``, the suites' helpers), except
the contract as data (``pytest_uapi.contract``) and the reference server
(``pytest_uapi.reference``).

The names are loaded on first use: the plugin imports this package in every pytest run of the
environment, and the client needs httpx.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .checking.provision import Call, CallProvisioner
    from .transport.client import UapiClient
    from .transport.exchange import CheckFailure, Exchange

_PUBLIC = {
    "Call": ".checking.provision",
    "CallProvisioner": ".checking.provision",
    "CheckFailure": ".transport.exchange",
    "Exchange": ".transport.exchange",
    "UapiClient": ".transport.client",
}

__all__ = ["Call", "CallProvisioner", "CheckFailure", "Exchange", "UapiClient", "__version__"]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(module, __name__), name)
