"""pytest-uapi: a conformance suite for the VoipNow UnifiedAPI PhoneCalls methods."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
