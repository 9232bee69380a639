"""Value rules of the contract (D4, D8, D9, D10, D18, D19), as pure functions.

These are the syntactic rules: whether a value has the documented form. Rules that need the
dataset (is this a phone terminal of that organization? a view of that call?) are the reference
server's, keyed by the same rule names in ``contract.toml``.
"""

from __future__ import annotations

import re
from typing import Any

# D8: digits with an optional leading "+", or an extension number (digits, one "*", digits).
_PHONE_NUMBER = re.compile(r"\+?[0-9]+|[0-9]+\*[0-9]+")
# D9: an optional name, then a phone number in angle brackets.
_CALLER_ID = re.compile(r"(?P<name>[^<>]*)<(?P<number>[^<>]*)>\s*")
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")


def is_phone_number(value: Any) -> bool:
    """D8: a string of digits with an optional leading ``+``, or an extension number."""
    return isinstance(value, str) and _PHONE_NUMBER.fullmatch(value) is not None


def is_extension_number(value: str) -> bool:
    """An extended (``0003*210``) or short (``210``) extension number, never ``@self``."""
    return re.fullmatch(r"[0-9]+(\*[0-9]+)?", value) is not None


def is_number_list(value: Any) -> bool:
    """D19: a non-empty array of phone numbers (``source``, ``destination``)."""
    return isinstance(value, list) and bool(value) and all(is_phone_number(v) for v in value)


def is_caller_id(value: Any) -> bool:
    """D9: ``John Doe <+3334444>`` or ``<0003*210>``."""
    if not isinstance(value, str):
        return False
    match = _CALLER_ID.fullmatch(value)
    return match is not None and is_phone_number(match["number"])


def positive_number(value: Any) -> float | None:
    """D4/D10: a JSON number or a numeric string greater than 0, else ``None``.

    Booleans are JSON ``true``/``false``, not numbers, even though Python counts them as ints.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
        number = float(value)
    else:
        return None
    return number if number > 0 and number != float("inf") else None


def is_positive_number(value: Any) -> bool:
    return positive_number(value) is not None


def is_boolean_word(value: Any) -> bool:
    """D19: ``allowPublicTransfer`` is ``true`` or ``false`` (a query string, or JSON boolean)."""
    return isinstance(value, bool) or value in ("true", "false")


def is_nonempty_string(value: Any) -> bool:
    """D18: ``nonce``, when present, is a non-empty string."""
    return isinstance(value, str) and value != ""


def is_call_id(value: str) -> bool:
    """D7: a phoneCallId is alphanumeric."""
    return value.isascii() and value.isalnum()


# Rules that need nothing but the value. The reference server adds the dataset-aware ones
# (user, own_extension, call, view, terminal, org_terminal, own_terminal) under these names too.
SYNTACTIC_RULES = {
    "phone_number": is_phone_number,
    "number_list": is_number_list,
    "caller_id": is_caller_id,
    "positive_number": is_positive_number,
    "boolean_word": is_boolean_word,
    "nonempty_string": is_nonempty_string,
}

# Every rule a field in contract.toml may name.
ALL_RULES = (
    *SYNTACTIC_RULES,
    "user",
    "own_extension",
    "call",
    "view",
    "terminal",
    "org_terminal",
    "own_terminal",
)


def _anchored(pattern: re.Pattern[str]) -> str:
    # JSON Schema patterns search anywhere in the string; the rules above match whole values.
    return f"^(?:{pattern.pattern})$"


_DIGITS = re.compile(r"[0-9]+")
_EXTENSION = re.compile(r"[0-9]+(\*[0-9]+)?")
_CALL_ID = re.compile(r"[A-Za-z0-9]+")

# The form of a value each rule accepts, as JSON Schema, for descriptions of the contract that
# cannot ask the dataset (an OpenAPI export): the dataset-aware rules keep only their syntax.
_PHONE = {"type": "string", "pattern": _anchored(_PHONE_NUMBER)}
_EXTENSION_NUMBER = {"type": "string", "pattern": _anchored(_EXTENSION)}
RULE_SCHEMAS: dict[str, dict[str, Any]] = {
    "phone_number": _PHONE,
    "number_list": {"type": "array", "minItems": 1, "items": _PHONE},
    # The name part is free text; D9's number is a D8 phone number.
    "caller_id": {"type": "string", "pattern": r"^[^<>]*<(?:\+?[0-9]+|[0-9]+\*[0-9]+)>\s*$"},
    # D4: a JSON number or a numeric string, greater than 0 (D10).
    "positive_number": {
        "oneOf": [
            {"type": "number", "exclusiveMinimum": 0},
            {
                "type": "string",
                "pattern": r"^\s*\+?([0-9]*[1-9][0-9]*(\.[0-9]*)?|[0-9]*\.[0-9]*[1-9][0-9]*)\s*$",
            },
        ]
    },
    "boolean_word": {"type": "string", "enum": ["true", "false"]},
    "nonempty_string": {"type": "string", "minLength": 1},
    "user": {"type": "string", "pattern": _anchored(_DIGITS)},
    "own_extension": _EXTENSION_NUMBER,
    "call": {"type": "string", "pattern": _anchored(_CALL_ID)},
    "view": {"type": "string", "minLength": 1},
    "terminal": _EXTENSION_NUMBER,
    "org_terminal": _EXTENSION_NUMBER,
    "own_terminal": _EXTENSION_NUMBER,
}
