"""The contract's field rules, run for one request.

Each documented error row of ``contract.toml`` names the fields it guards and the rule each must
satisfy; this module turns the rows of an operation into an ordered list of checks and runs them,
answering the code of the first check that fails. The syntactic rules come from
``pytest_uapi.contract.rules``; the rules that need the dataset or the live calls are defined here
under the names the contract uses. Adding a documented code is a data change, not a code change.

Order: the path checks first (``user``, then ``own_extension``, then ``call``), because the body
cannot be judged before the call it acts on is known; then body and query checks in data order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Final

from pytest_uapi.contract import Contract, Dataset, Extension, FieldRule, User
from pytest_uapi.contract.rules import SYNTACTIC_RULES, is_call_id, is_extension_number

from .pbx import Call, Pbx


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()
SELF = "@self"
_ME = ("@me", "@viewer")
_OWNER = "@owner"

# The path checks, in the order they run.
PATH_RULES = ("user", "own_extension", "call")

# D18: a make-call request without ``extension`` uses the first source, which must then pass the
# same rule. Checked after everything else so that a bad source reports pc_source_invalid.
DEFAULTS: Mapping[str, str] = {"body.extension": "body.phoneCallView.0.source.0"}

# D29: OnHold is not one of the five documents; it addresses a view of a call exactly as OffHold
# does, so it is validated with OffHold's rows.
VALIDATED_AS: Mapping[str, str] = {"OnHold": "OffHold"}


@dataclass(frozen=True)
class Check:
    """One field of one documented error row: the rule it must pass, the code if it does not."""

    field: FieldRule
    code: str
    requirement: str

    @property
    def is_path(self) -> bool:
        return self.field.location == "path"


@dataclass(frozen=True)
class Failure:
    check: Check
    missing: bool

    @property
    def code(self) -> str:
        return self.check.code

    @property
    def message(self) -> str:
        param = display_name(self.check.field.name)
        if self.missing:
            return f"Value supplied in {param} is missing: it is required."
        return f"Value supplied in {param} is invalid: {HINTS[self.check.field.rule]}."


def display_name(field_name: str) -> str:
    """``body.phoneCallView.0.source`` -> ``phoneCallView[0].source``."""
    out = ""
    for part in field_name.split(".")[1:]:
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out


def _sort_key(item: tuple[int, Check]) -> tuple[int, int]:
    index, check = item
    if check.is_path and check.field.rule in PATH_RULES:
        return (0, PATH_RULES.index(check.field.rule))
    return (1, index)


def plan(contract: Contract, operation: str) -> tuple[Check, ...]:
    """The checks of ``operation`` (or of the operation it is validated as), in run order."""
    operation = VALIDATED_AS.get(operation, operation)
    checks = [
        Check(field=rule, code=row.code or "", requirement=row.id)
        for row in contract.errors_of(operation)
        for rule in row.fields
    ]
    return tuple(check for _, check in sorted(enumerate(checks), key=_sort_key))


def path_plan(contract: Contract) -> tuple[Check, ...]:
    """The path checks every request on a call or an extension runs (GET, DELETE, the List).

    The documents define them per action; they are the same for every action, so the first row
    that guards each path parameter is used.
    """
    seen: dict[str, Check] = {}
    for operation in contract.operations:
        for check in plan(contract, operation):
            if check.is_path and check.field.rule in PATH_RULES:
                seen.setdefault(check.field.name, check)
    return tuple(sorted(seen.values(), key=lambda c: PATH_RULES.index(c.field.rule)))


def check_for(checks: Sequence[Check], field_name: str) -> Check | None:
    for check in checks:
        if check.field.name == field_name:
            return check
    return None


class Context:
    """One request as the rules see it: who asks, the URI, the query, the body and the PBX.

    The acting user is always the token's user: the userId must name them (D5); one that names
    another user is refused before validation (D30).
    """

    def __init__(
        self,
        *,
        dataset: Dataset,
        pbx: Pbx,
        user: User,
        path: Mapping[str, str],
        query: Sequence[tuple[str, str]] = (),
        body: Mapping[str, Any] | None = None,
        owner_without_extension: str = "source",
    ) -> None:
        self.dataset = dataset
        # D34 reads @owner without a payload extension from the first source; a fault reads it
        # from the first destination, or as nobody.
        self.owner_without_extension = owner_without_extension
        self.pbx = pbx
        self.user = user
        self.path = path
        # Every parameter as sent, repeats included; ``query`` keeps the last of each.
        self.query_items = tuple(query)
        self.query = dict(self.query_items)
        self.body = body or {}

    def lookup(self, name: str) -> Any:
        """The value of a contract field name, or ``MISSING``."""
        location, _, key = name.partition(".")
        if location == "path":
            return self.path.get(key, MISSING)
        if location == "query":
            return self.query.get(key, MISSING)
        value: Any = self.body
        for part in key.split("."):
            # Numeric parts index arrays and nothing else, so {"0": ...} is not an array.
            if part.isdigit():
                if not isinstance(value, list) or int(part) >= len(value):
                    return MISSING
                value = value[int(part)]
            elif isinstance(value, dict) and part in value:
                value = value[part]
            else:
                return MISSING
        return value

    def extension(self, number: Any) -> Extension | None:
        """An extension of the dataset; the short form is read in the user's organization (D6)."""
        if not isinstance(number, str) or not is_extension_number(number):
            return None
        return self.dataset.resolve_extension(number, self.user.organization)

    @cached_property
    def named_user(self) -> User | None:
        """The user the URI's userId names (D5), or ``None`` when it names nobody."""
        user_id = self.path.get("userId", "")
        if user_id in _ME:
            return self.user
        if user_id == _OWNER:
            return self._owner()
        return self.dataset.users.get(user_id)

    def _owner(self) -> User | None:
        subject: Any = self.path.get("extension", MISSING)
        if subject is MISSING:
            # Making a call: the payload's extension, or the first source (D18).
            subject = self.lookup("body.extension")
            if subject is MISSING:
                if self.owner_without_extension == "nobody":
                    return None
                if self.owner_without_extension == "destination":
                    owner = self.extension(self.lookup("body.phoneCallView.0.destination.0"))
                    return self.dataset.users[owner.owner] if owner is not None else None
                subject = self.lookup("body.phoneCallView.0.source.0")
        extension = self.extension(subject)
        if extension is None:
            # Nothing to own: the user stays the token's, and the extension's own rule reports
            # what is wrong with it, which is the more precise answer.
            return self.user
        return self.dataset.users[extension.owner]

    @cached_property
    def uri_extension(self) -> str | None:
        """The URI extension in extended form; ``None`` for ``@self`` (any of the user's)."""
        value = self.path.get("extension", SELF)
        if value == SELF:
            return None
        extension = self.extension(value)
        # An unknown extension matches no call; own_extension has normally refused it already.
        return extension.number if extension is not None else f"unknown:{value}"

    @cached_property
    def call(self) -> Call | None:
        call_id = self.path.get("phoneCallId")
        if call_id is None or not is_call_id(call_id):
            return None
        return self.pbx.find(self.user.id, self.uri_extension, call_id)

    @cached_property
    def organization(self) -> str:
        """The organization the URI extension belongs to (for @self: the call's) (D12)."""
        if self.uri_extension is not None:
            extension = self.dataset.extensions.get(self.uri_extension)
            if extension is not None:
                return extension.organization
        if self.call is not None:
            return self.call.organization.id
        return self.user.organization


# --- the rules that need the dataset or the live calls --------------------------------------

Rule = Callable[[Context, Any], bool]


def _user(ctx: Context, value: Any) -> bool:
    return ctx.named_user is not None


def _own_extension(ctx: Context, value: Any) -> bool:
    if value == SELF:
        return True
    extension = ctx.extension(value)
    return extension is not None and extension.owner == ctx.user.id


def _call(ctx: Context, value: Any) -> bool:
    return isinstance(value, str) and is_call_id(value) and ctx.call is not None


def _view(ctx: Context, value: Any) -> bool:
    return isinstance(value, str) and ctx.call is not None and ctx.call.view(value) is not None


def _terminal(ctx: Context, value: Any) -> bool:
    extension = ctx.extension(value)
    return extension is not None and extension.is_phone_terminal


def _org_terminal(ctx: Context, value: Any) -> bool:
    if not isinstance(value, str) or not is_extension_number(value):
        return False
    extension = ctx.dataset.resolve_extension(value, ctx.organization)
    return (
        extension is not None
        and extension.is_phone_terminal
        and extension.organization == ctx.organization
    )


def _own_terminal(ctx: Context, value: Any) -> bool:
    extension = ctx.extension(value)
    return extension is not None and extension.is_phone_terminal and extension.owner == ctx.user.id


def _syntactic(predicate: Callable[[Any], bool]) -> Rule:
    return lambda ctx, value: predicate(value)


# --- bounds: the reference server's own; the documents set none ----------------------------
# Generous enough that no conforming request is refused, tight enough that what the PBX keeps of
# a request stays within a small multiple of what the client sent (docs/reference-server.md,
# "Bounds"). A value over its bound fails its field's rule, so it answers the field's code.
MAX_NUMBER = 32  # a phone or extension number: E.164 numbers have at most 15 digits
MAX_NUMBERS = 16  # items of one view's source or destination
MAX_CALLER_ID = 256  # a display name and a number in angle brackets
MAX_NONCE = 256
MAX_ID = 64  # a userId, phoneCallId or phoneCallViewId
MAX_QUERY_VALUE = 64

# The longest string each rule accepts.
LENGTHS: Mapping[str, int] = {
    "phone_number": MAX_NUMBER,
    "number_list": MAX_NUMBER,  # per item; the list itself holds at most MAX_NUMBERS
    "caller_id": MAX_CALLER_ID,
    "positive_number": MAX_NUMBER,
    "boolean_word": MAX_NUMBER,
    "nonempty_string": MAX_NONCE,
    "user": MAX_ID,
    "own_extension": MAX_NUMBER,
    "call": MAX_ID,
    "view": MAX_ID,
    "terminal": MAX_NUMBER,
    "org_terminal": MAX_NUMBER,
    "own_terminal": MAX_NUMBER,
}


def _fits(value: Any, limit: int) -> bool:
    """A string of at most ``limit`` characters; values of other types are the rule's to judge."""
    if isinstance(value, list):
        return len(value) <= MAX_NUMBERS and all(_fits(item, limit) for item in value)
    return not isinstance(value, str) or len(value) <= limit


def _bounded(rule: Rule, limit: int) -> Rule:
    # The bound first: no regex or lookup ever runs on an oversized value.
    return lambda ctx, value: _fits(value, limit) and rule(ctx, value)


_UNBOUNDED: Mapping[str, Rule] = {
    **{name: _syntactic(predicate) for name, predicate in SYNTACTIC_RULES.items()},
    "user": _user,
    "own_extension": _own_extension,
    "call": _call,
    "view": _view,
    "terminal": _terminal,
    "org_terminal": _org_terminal,
    "own_terminal": _own_terminal,
}

RULES: Mapping[str, Rule] = {
    name: _bounded(rule, LENGTHS[name]) for name, rule in _UNBOUNDED.items()
}


def query_failure(checks: Sequence[Check], ctx: Context) -> tuple[str, str | None] | None:
    """The first query parameter given twice or longer than ``MAX_QUERY_VALUE``, if any.

    Returns its name and the code of the operation's check of it (``None``: it has none).
    Twice is ambiguous (which value counts?), so it is refused rather than read one way.
    """
    seen: set[str] = set()
    for name, value in ctx.query_items:
        if name in seen or len(value) > MAX_QUERY_VALUE:
            check = check_for(checks, f"query.{name}")
            return name, check.code if check else None
        seen.add(name)
    return None


HINTS: Mapping[str, str] = {
    "phone_number": "it must be a phone number: digits with an optional leading +, "
    f"or an extension number such as 0003*210, at most {MAX_NUMBER} characters",
    "number_list": f"it must be a non-empty list of at most {MAX_NUMBERS} phone numbers "
    f"of at most {MAX_NUMBER} characters",
    "caller_id": "it must be a name and a number in angle brackets, as in John Doe <+3334444>, "
    f"at most {MAX_CALLER_ID} characters",
    "positive_number": "it must be a number greater than 0",
    "boolean_word": "it must be true or false",
    "nonempty_string": f"it must be a non-empty string of at most {MAX_NONCE} characters",
    "user": "it must be @me, @viewer, @owner or the id of an existing user",
    "own_extension": "it must be @self or an extension of the user",
    "call": "it must be the alphanumeric id of a live call of that extension",
    "view": "it must name a view of the call",
    "terminal": "it must be a phone terminal extension",
    "org_terminal": "it must be a phone terminal extension of the same organization",
    "own_terminal": "it must be a phone terminal extension owned by the user (not @self)",
}


def first_failure(
    checks: Sequence[Check],
    ctx: Context,
    *,
    collection: bool = False,
    rules: Mapping[str, Rule] = RULES,
) -> Failure | None:
    """Run ``checks`` in order; the first that fails, or ``None`` when the request is valid.

    ``collection``: the request addresses every call of an extension (the List, the bulk forms
    of D16), so the checks that need one call (its id, its views) do not apply. ``rules`` maps
    rule names to rules: a server that breaks one rule on purpose passes an altered mapping.
    """
    deferred: list[tuple[Check, Any]] = []
    for check in checks:
        if collection and (check.field.name == "path.phoneCallId" or check.field.rule == "view"):
            continue
        value = ctx.lookup(check.field.name)
        if value is MISSING:
            default = DEFAULTS.get(check.field.name)
            if default is not None:
                deferred.append((check, default))
            elif check.field.required or check.is_path:
                return Failure(check, missing=True)
            continue
        if not rules[check.field.rule](ctx, value):
            return Failure(check, missing=False)
    for check, default in deferred:
        value = ctx.lookup(default)
        if value is not MISSING and not rules[check.field.rule](ctx, value):
            return Failure(check, missing=False)
    return None
