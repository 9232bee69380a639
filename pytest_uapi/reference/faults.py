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
    # Optional fields and value forms, by operation name (D9, D11-D13, D18, D19, D34): body
    # fields refused when missing or when sent, a leading + refused in these fields, callerId
    # forms refused ("plus": <+...>, "no-name": <...> alone), make-call query parameters
    # refused ("name" or "name=value").
    require_fields: Mapping[str, frozenset[str]] = field(default_factory=dict)
    refuse_fields: Mapping[str, frozenset[str]] = field(default_factory=dict)
    refuse_plus: Mapping[str, frozenset[str]] = field(default_factory=dict)
    refuse_caller_id: Mapping[str, frozenset[str]] = field(default_factory=dict)
    refuse_query: frozenset[str] = frozenset()
    # Making a call: @owner without a payload extension names "nobody" or the owner of the
    # first "destination" (D34); a destination extension of another user refused; only the
    # first destination kept; the source shown as the calling extension; the PhoneCall of a
    # call made without extension names none (D18).
    owner_without_extension: str = "source"
    refuse_others_destination: bool = False
    first_destination_only: bool = False
    extension_as_source: bool = False
    unnamed_default_extension: bool = False
    # Transfer's parties (D11): transferFromNumber must be the call's source, transferNumber
    # must not be an extension.
    transfer_from_source_only: bool = False
    transfer_number_public_only: bool = False
    # Addressing (D6, D21): a call found only under the extension it was made from; the self
    # link names the extension as addressed, which may stop taking part.
    own_extension_only: bool = False
    link_as_addressed: bool = False
    # The List (D22): calls left out ("ringing", "on_hold", "destination": where the
    # extension only receives the call), hung-up calls kept, ringing calls left out after a
    # refused request until the next accepted change.
    list_omits: frozenset[str] = frozenset()
    list_keeps_ended: bool = False
    list_drops_ringing_after_refusal: bool = False
    # Which calls an action changes (D16, D35), by operation name (OnHold included): every
    # call of the addressed extension in the acted call's state; the bulk form only on the
    # oldest call, or only on the calls made from the extension.
    act_on_all: frozenset[str] = frozenset()
    bulk_first_only: frozenset[str] = frozenset()
    bulk_own_only: frozenset[str] = frozenset()
    # Hanging up (D28, D32, D33): the status for a live call, no effect, which calls end with
    # it ("extension": all of the extension, "parties": all with the same destination), the
    # answer for a call that does not exist ("404", "200", "wrong-code").
    hangup_status: int = 200
    hangup_no_effect: bool = False
    hangup_ends: str | None = None
    gone_answer: str | None = None
    # Other users (D33): methods served for another user's token ("read", "list", "hangup"),
    # or answered as if the user had no such calls ("list": 200 empty, "hangup": 204).
    cross_user_methods: frozenset[str] = frozenset()
    cross_user_hidden: frozenset[str] = frozenset()
    # State over longer sequences (D24, D27, D35): an id reused after a hang-up, held calls
    # taken off hold when the user makes another call.
    reuse_ids: bool = False
    unhold_on_make: bool = False


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


def _ops(**fields: str) -> dict[str, frozenset[str]]:
    """One field per operation name: ``_ops(MakeCall="body.nonce")``."""
    return {op: frozenset({name}) for op, name in fields.items()}


_VIEW = "body.phoneCallView.0"

# Valid forms refused, documented defaults ignored, one fault per form (D9, D11-D13, D18, D19).
_FORMS = [
    Fault(
        "user_id.owner_of_source:refused",
        "user_id.owner_of_source",
        "refuses userId @owner when the payload has no extension (names nobody)",
        Switches(owner_without_extension="nobody"),
    ),
    Fault(
        "user_id.owner_of_source:from-destination",
        "user_id.owner_of_source",
        "reads @owner without a payload extension as the owner of the first destination",
        Switches(owner_without_extension="destination"),
    ),
    Fault(
        "extension.participant:own-extension-only",
        "extension.participant",
        "finds a call only under the extension it was made from",
        Switches(own_extension_only=True),
    ),
    Fault(
        "extension.participant:link-as-addressed",
        "extension.participant",
        "gives the self link the extension as addressed, which a PickUp takes out of the call",
        Switches(link_as_addressed=True),
    ),
    Fault(
        "make_call.extension_optional:required",
        "make_call.extension_optional",
        "refuses a make-call request without extension",
        Switches(require_fields=_ops(MakeCall="body.extension")),
    ),
    Fault(
        "make_call.extension_optional:unnamed",
        "make_call.extension_optional",
        "makes a call without extension from the first source but names no extension for it",
        Switches(unnamed_default_extension=True),
    ),
    Fault(
        "make_call.optional_fields:caller-id-required",
        "make_call.optional_fields",
        "refuses a make-call request without callerId",
        Switches(require_fields=_ops(MakeCall=f"{_VIEW}.callerId")),
    ),
    Fault(
        "make_call.optional_fields:nonce-required",
        "make_call.optional_fields",
        "refuses a make-call request without nonce",
        Switches(require_fields=_ops(MakeCall="body.nonce")),
    ),
    Fault(
        "make_call.optional_fields:caller-id-destination-refused",
        "make_call.optional_fields",
        "refuses a valid callerIdDestination",
        Switches(refuse_fields=_ops(MakeCall=f"{_VIEW}.callerIdDestination")),
    ),
    *(
        Fault(
            f"make_call.query_parameters:{slug}-refused",
            "make_call.query_parameters",
            f"refuses the make-call query parameter {query}",
            Switches(refuse_query=frozenset({query})),
        )
        for slug, query in (
            ("wait-for-pickup", "waitForPickup"),
            ("call-duration", "callDuration"),
            ("public-transfer-false", "allowPublicTransfer=false"),
            ("video", "video"),
        )
    ),
    Fault(
        "make_call.number_forms:plus-refused",
        "make_call.number_forms",
        "refuses a destination with a leading +",
        Switches(refuse_plus=_ops(MakeCall=f"{_VIEW}.destination")),
    ),
    Fault(
        "make_call.number_forms:others-extension-refused",
        "make_call.number_forms",
        "refuses another user's extension as destination (checks it like the caller's own)",
        Switches(refuse_others_destination=True),
    ),
    Fault(
        "make_call.number_forms:first-destination-only",
        "make_call.number_forms",
        "calls only the first of several destinations",
        Switches(first_destination_only=True),
    ),
    Fault(
        "make_call.number_forms:extension-as-source",
        "make_call.number_forms",
        "shows the calling extension as the source in place of the public sources sent",
        Switches(extension_as_source=True),
    ),
    *(
        Fault(
            f"{slug}.caller_id_forms:{form}-refused",
            f"{slug}.caller_id_forms",
            f"refuses a {what} callerId in {op}",
            Switches(refuse_caller_id={op: frozenset({form})}),
        )
        for op, slug in (("MakeCall", "make_call"), ("PickUp", "pickup"))
        for form, what in (("plus", "+number"), ("no-name", "number-only"))
    ),
    Fault(
        "transfer.optional_fields:transfer-number-required",
        "transfer.optional_fields",
        "refuses a Transfer without transferNumber",
        Switches(require_fields=_ops(Transfer="body.transferNumber")),
    ),
    Fault(
        "transfer.number_forms:plus-refused",
        "transfer.number_forms",
        "refuses a sendCallTo with a leading +",
        Switches(refuse_plus=_ops(Transfer="body.sendCallTo")),
    ),
    Fault(
        "transfer.number_forms:from-source-only",
        "transfer.number_forms",
        "refuses a transferFromNumber that is not the call's source",
        Switches(transfer_from_source_only=True),
    ),
    Fault(
        "transfer.number_forms:public-transfer-number-only",
        "transfer.number_forms",
        "refuses an extension as transferNumber",
        Switches(transfer_number_public_only=True),
    ),
    Fault(
        "transfer_to_voicemail.optional_fields:transfer-from-number-required",
        "transfer_to_voicemail.optional_fields",
        "refuses a TransferToVoicemail without transferFromNumber (ignores its default)",
        Switches(require_fields=_ops(TransferToVoicemail="body.transferFromNumber")),
    ),
    Fault(
        "transfer_to_voicemail.optional_fields:transfer-number-refused",
        "transfer_to_voicemail.optional_fields",
        "refuses a valid transferNumber in TransferToVoicemail",
        Switches(refuse_fields=_ops(TransferToVoicemail="body.transferNumber")),
    ),
    Fault(
        "pickup.optional_fields:caller-id-required",
        "pickup.optional_fields",
        "refuses a PickUp without callerId",
        Switches(require_fields=_ops(PickUp="body.callerId")),
    ),
    Fault(
        "pickup.optional_fields:wait-for-pickup-required",
        "pickup.optional_fields",
        "refuses a PickUp without waitForPickup (ignores its default of 25)",
        Switches(require_fields=_ops(PickUp="body.waitForPickup")),
    ),
]

# The List, the bulk forms, hanging up and other users (D16, D22, D28, D32, D33, D35).
_CALLS = [
    *(
        Fault(
            f"list.states:drops-{state}",
            "list.states",
            f"leaves {what} out of the List",
            Switches(list_omits=frozenset({state})),
        )
        for state, what in (
            ("ringing", "ringing calls"),
            ("on_hold", "calls on hold"),
            ("destination", "the calls an extension only receives"),
        )
    ),
    *(
        fault
        for op, slug in (("Transfer", "transfer"), ("TransferToVoicemail", "transfer_to_voicemail"))
        for fault in (
            Fault(
                f"{slug}.bulk:first-only",
                f"{slug}.bulk",
                f"the bulk {op} acts on the extension's oldest call only",
                Switches(bulk_first_only=frozenset({op})),
            ),
            Fault(
                f"{slug}.bulk:made-from-only",
                f"{slug}.bulk",
                f"the bulk {op} acts only on calls made from the extension, not those it receives",
                Switches(bulk_own_only=frozenset({op})),
            ),
        )
    ),
    *(
        Fault(
            f"{slug}.isolation:every-call",
            f"{slug}.isolation",
            f"applies {op} to every call of the extension in the same state",
            Switches(act_on_all=frozenset({op})),
        )
        for op, slug in (
            ("Transfer", "transfer"),
            ("TransferToVoicemail", "transfer_to_voicemail"),
            ("PickUp", "pickup"),
            ("OffHold", "offhold"),
        )
    ),
    Fault(
        "hangup.success:status-204",
        "hangup.success",
        "answers the hang-up of a live call 204",
        Switches(hangup_status=204),
    ),
    Fault(
        "hangup.success:status-202",
        "hangup.success",
        "answers the hang-up of a live call 202",
        Switches(hangup_status=202),
    ),
    Fault(
        "hangup.effect:not-applied",
        "hangup.effect",
        "acknowledges a hang-up but the call goes on",
        Switches(hangup_no_effect=True),
    ),
    Fault(
        "hangup.effect:still-listed",
        "hangup.effect",
        "ends the call but keeps it in the List",
        Switches(list_keeps_ended=True),
    ),
    Fault(
        "hangup.isolation:whole-extension",
        "hangup.isolation",
        "hanging up one call ends every call of the extension",
        Switches(hangup_ends="extension"),
    ),
    Fault(
        "hangup.isolation:same-parties",
        "hangup.isolation",
        "hanging up one call ends every call to the same destination",
        Switches(hangup_ends="parties"),
    ),
    *(
        Fault(
            f"hangup.unknown_call:{name}",
            "hangup.unknown_call",
            f"answers the hang-up of a call that does not exist {what}",
            Switches(gone_answer=name),
        )
        for name, what in (
            ("404", "404 not_found"),
            ("200", "200, as if it hung it up"),
            ("wrong-code", f"400 {WRONG_CODE}"),
        )
    ),
    Fault(
        "security.cross_user_read:allowed",
        "security.cross_user_read",
        "lets a user read another user's call",
        Switches(cross_user_methods=frozenset({"read"})),
    ),
    Fault(
        "security.cross_user_list:allowed",
        "security.cross_user_list",
        "lets a user list another user's extension",
        Switches(cross_user_methods=frozenset({"list"})),
    ),
    Fault(
        "security.cross_user_list:empty",
        "security.cross_user_list",
        "answers another user's List 200 with no calls",
        Switches(cross_user_hidden=frozenset({"list"})),
    ),
    Fault(
        "security.cross_user_hangup:allowed",
        "security.cross_user_hangup",
        "lets a user hang up another user's call",
        Switches(cross_user_methods=frozenset({"hangup"})),
    ),
    Fault(
        "security.cross_user_hangup:204",
        "security.cross_user_hangup",
        "answers another user's hang-up 204, as if there were no call",
        Switches(cross_user_hidden=frozenset({"hangup"})),
    ),
]

# Faults only a longer story shows: test_sequences alone is run on them (D24, D27, D35).
_SEQUENCES = [
    Fault(
        "sequence.state:id-reused",
        "sequence.state",
        "gives a new call the id of the call hung up last",
        Switches(reuse_ids=True),
    ),
    Fault(
        "sequence.state:onhold-every-call",
        "sequence.state",
        "OnHold puts every answered call of the extension on hold",
        Switches(act_on_all=frozenset({"OnHold"})),
    ),
    Fault(
        "sequence.state:hold-lost-on-new-call",
        "sequence.state",
        "takes the user's calls off hold when the user makes another call",
        Switches(unhold_on_make=True),
    ),
    Fault(
        "sequence.state:ringing-unlisted-after-refusal",
        "sequence.state",
        "after a refused request, leaves ringing calls out of the List until the next change",
        Switches(list_drops_ringing_after_refusal=True),
    ),
]


@cache
def catalogue() -> Mapping[str, Fault]:
    """Every fault by name, in a stable order."""
    faults = [*_error_faults(), *_per_operation(), *_OTHERS, *_FORMS, *_CALLS, *_SEQUENCES]
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
