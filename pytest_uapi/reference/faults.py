"""Named faults: broken variants of the reference server, each violating one requirement.

A conformance suite is only as good as the broken servers it is shown to fail. Every fault here
is a set of ``Switches`` the server consults at a handful of points (validation, authentication,
acknowledgements, the self link, effects, answers); with no switch on, the server is the
reference. A fault names the one requirement of the contract data it violates, so the mutant
tests can check that the suite fails it *for that requirement*.

The faults of the documented 400 codes are generated from the contract's error rows (accepting
the invalid input, answering another code), so adding a documented code adds its mutants too.
``ALTERNATIVES`` is not a fault: it takes every reading the default profile must also accept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

from pytest_uapi.contract import load_contract

WRONG_CODE = "invalid_parameter"


@dataclass(frozen=True)
class Switches:
    """Where the server departs from the reference; the defaults are the reference."""

    # Validation: requirement ids whose checks are skipped, or answered with another code.
    accept: frozenset[str] = frozenset()
    recode: Mapping[str, str] = field(default_factory=dict)
    # Identifier forms refused with the code of the field: userId forms ("@me", "@viewer",
    # "@owner", "numeric"), "@self", short URI extensions, short payload extensions, numeric
    # strings in Number fields (D4), a public number as Transfer's sendCallTo (D11).
    refuse_user_ids: frozenset[str] = frozenset()
    refuse_self: bool = False
    refuse_short_uri: bool = False
    refuse_short_payload: bool = False
    refuse_numeric_string: bool = False
    refuse_public_transfer: bool = False
    # Answers, by operation name (MakeCall, Transfer, ...).
    success_status: Mapping[str, int] = field(default_factory=dict)
    bulk_empty_status: Mapping[str, int] = field(default_factory=dict)
    ack_without_link: frozenset[str] = frozenset()
    ack_wrong_id: frozenset[str] = frozenset()
    ack_not_array: bool = False
    link_key: str = "link"
    link_broken: frozenset[str] = frozenset()
    link_without_views: frozenset[str] = frozenset()
    no_effect: frozenset[str] = frozenset()
    self_as_collection: bool = False
    numeric_status: bool = False
    numeric_call_ids: bool = False
    success_content_type: str | None = None
    error_body: str | None = None  # "flat" or "empty"
    side_effect_on_reject: bool = False
    # Authentication and users (D30).
    auth_accept: frozenset[str] = frozenset()  # "missing", "malformed", "unknown"
    auth_status: int = 401
    cross_user_calls: bool = False
    cross_user_make_call: bool = False
    # Robustness (D8, D17).
    crash_on_wrong_type: bool = False
    crash_on_malformed_json: bool = False
    accept_action: frozenset[str] = frozenset()  # "unknown", "missing"


@dataclass(frozen=True)
class Fault:
    name: str
    requirement: str
    description: str
    switches: Switches


REFERENCE = Switches()

ALTERNATIVES = Switches(
    success_status={
        "MakeCall": 200,
        "Transfer": 200,
        "TransferToVoicemail": 200,
        "PickUp": 200,
        "OffHold": 200,
    },
    link_key="links",
    self_as_collection=True,
    numeric_status=True,
    numeric_call_ids=True,
    auth_status=403,
    recode={"transfer.error.pc_phonecall_invalid": "pc_phoncall_invalid"},
)
"""Every reading the default profile accepts besides the strict one (D7, D15, D20, D22, D23,
D30); the default profile must pass it and the strict profile must fail it."""


def _error_faults() -> list[Fault]:
    faults = []
    for row in load_contract().by_category("error"):
        if not row.code:
            continue
        faults.append(
            Fault(
                f"{row.id}:accepted",
                row.id,
                f"skips the check behind {row.code}: the invalid input is acted on",
                Switches(accept=frozenset({row.id})),
            )
        )
        faults.append(
            Fault(
                f"{row.id}:wrong-code",
                row.id,
                f"answers {WRONG_CODE} where {row.code} is documented",
                Switches(recode={row.id: WRONG_CODE}),
            )
        )
    return faults


def _per_operation() -> list[Fault]:
    faults = []
    for name, op in load_contract().operations.items():
        one = frozenset({name})
        slug = op.slug
        faults += [
            Fault(
                f"{slug}.success:status-201",
                f"{slug}.success",
                f"answers {name} with 201 Created",
                Switches(success_status={name: 201}),
            ),
            Fault(
                f"{slug}.ack:no-link",
                f"{slug}.ack",
                f"acknowledges {name} without a self link",
                Switches(ack_without_link=one),
            ),
            Fault(
                f"{slug}.self_link:404",
                f"{slug}.self_link",
                f"gives {name} a self link that answers 404",
                Switches(link_broken=one),
            ),
            Fault(
                f"{slug}.self_link:no-views",
                f"{slug}.self_link",
                f"answers {name}'s self link with a PhoneCall without views",
                Switches(link_without_views=one),
            ),
            Fault(
                f"{slug}.effect:not-applied",
                f"{slug}.effect",
                f"acknowledges {name} but its effect never shows",
                Switches(no_effect=one),
            ),
        ]
        if op.is_action:
            faults.append(
                Fault(
                    f"{slug}.ack:wrong-id",
                    f"{slug}.ack",
                    f"acknowledges {name} with another call's id",
                    Switches(ack_wrong_id=one),
                )
            )
        if op.bulk_path:
            faults.append(
                Fault(
                    f"{slug}.bulk_empty:status-200",
                    f"{slug}.bulk_empty",
                    f"answers the bulk {name} of an extension without calls 200 []",
                    Switches(bulk_empty_status={name: 200}),
                )
            )
    return faults


_OTHERS = [
    Fault(
        "make_call.ack:not-an-array",
        "make_call.ack",
        "answers a made call with one acknowledgement object, not an array",
        Switches(ack_not_array=True),
    ),
    Fault(
        "transfer.public_number:refused",
        "transfer.public_number",
        "refuses a public number as Transfer's sendCallTo",
        Switches(refuse_public_transfer=True),
    ),
    Fault(
        "user_id.me:refused",
        "user_id.me",
        "refuses userId @me",
        Switches(refuse_user_ids=frozenset({"@me"})),
    ),
    Fault(
        "user_id.viewer:refused",
        "user_id.viewer",
        "refuses userId @viewer",
        Switches(refuse_user_ids=frozenset({"@viewer"})),
    ),
    Fault(
        "user_id.owner:refused",
        "user_id.owner",
        "refuses userId @owner",
        Switches(refuse_user_ids=frozenset({"@owner"})),
    ),
    Fault(
        "user_id.numeric:refused",
        "user_id.numeric",
        "refuses numeric user ids",
        Switches(refuse_user_ids=frozenset({"numeric"})),
    ),
    Fault(
        "extension.self:refused",
        "extension.self",
        "refuses @self in place of an extension",
        Switches(refuse_self=True),
    ),
    Fault(
        "extension.short:refused",
        "extension.short",
        "refuses short extensions in the URI",
        Switches(refuse_short_uri=True),
    ),
    Fault(
        "make_call.short_extension:refused",
        "make_call.short_extension",
        "refuses a short extension in the make-call payload",
        Switches(refuse_short_payload=True),
    ),
    Fault(
        "number.numeric_string:refused",
        "number.numeric_string",
        "refuses a numeric string where a Number is documented",
        Switches(refuse_numeric_string=True),
    ),
    Fault(
        "response.json:text-plain",
        "response.json",
        "labels its JSON success answers text/plain",
        Switches(success_content_type="text/plain"),
    ),
    Fault(
        "errors.body:flat",
        "errors.body",
        "answers errors as a flat {code, message}",
        Switches(error_body="flat"),
    ),
    Fault(
        "errors.body:empty",
        "errors.body",
        "answers errors without a body",
        Switches(error_body="empty"),
    ),
    Fault(
        "errors.no_side_effects:changes-call",
        "errors.no_side_effects",
        "changes the call (or makes it) before refusing a request",
        Switches(side_effect_on_reject=True),
    ),
    Fault(
        "robustness.wrong_type:500",
        "robustness.wrong_type",
        "answers 500 to a field of the wrong JSON type",
        Switches(crash_on_wrong_type=True),
    ),
    Fault(
        "robustness.malformed_json:500",
        "robustness.malformed_json",
        "answers 500 to a body that is not JSON",
        Switches(crash_on_malformed_json=True),
    ),
    Fault(
        "robustness.unknown_action:accepted",
        "robustness.unknown_action",
        "acknowledges an undocumented action",
        Switches(accept_action=frozenset({"unknown"})),
    ),
    Fault(
        "robustness.missing_action:accepted",
        "robustness.missing_action",
        "acknowledges an action request without action",
        Switches(accept_action=frozenset({"missing"})),
    ),
    Fault(
        "security.missing_token:accepted",
        "security.missing_token",
        "serves requests without Authorization as the first user",
        Switches(auth_accept=frozenset({"missing"})),
    ),
    Fault(
        "security.malformed_header:accepted",
        "security.malformed_header",
        "serves requests with a malformed Authorization as the first user",
        Switches(auth_accept=frozenset({"malformed"})),
    ),
    Fault(
        "security.unknown_token:accepted",
        "security.unknown_token",
        "serves requests with an unknown token as the first user",
        Switches(auth_accept=frozenset({"unknown"})),
    ),
    Fault(
        "security.cross_user_call:allowed",
        "security.cross_user_call",
        "lets a user act on another user's calls",
        Switches(cross_user_calls=True),
    ),
    Fault(
        "security.cross_user_extension:allowed",
        "security.cross_user_extension",
        "lets a user make calls as another user",
        Switches(cross_user_make_call=True),
    ),
]


@cache
def catalogue() -> Mapping[str, Fault]:
    """Every fault by name, in a stable order."""
    faults = [*_error_faults(), *_per_operation(), *_OTHERS]
    return {fault.name: fault for fault in faults}


VARIANTS: Mapping[str, Switches] = {"alternatives": ALTERNATIVES}


def switches_for(name: str | None) -> Switches:
    """The switches of a fault or variant name; ``None`` is the reference."""
    if name is None:
        return REFERENCE
    if name in VARIANTS:
        return VARIANTS[name]
    try:
        return catalogue()[name].switches
    except KeyError:
        raise KeyError(f"no fault or variant named {name!r} (see --list-faults)") from None
