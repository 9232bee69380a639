"""OpenAPI 3.1 export of the contract (``uapi-openapi``), for the API tools vendors already use.

Reads only ``pytest_uapi.contract``: the document is one more view of the contract data, like
the JSON Schemas and the reference server's validations.
"""

from __future__ import annotations

from .document import build_document

__all__ = ["build_document"]
