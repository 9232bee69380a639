"""The OpenAPI 3.1 document of one contract profile, built from the contract data alone.

Paths come from the operations (``contract.toml``) and ``support`` (the List, the self link,
hang-up, OnHold); parameters and bodies from the validated fields (``requests``); statuses and
their schemas from the profile and the contract's JSON Schemas (``responses``, ``components``);
examples from ``examples.toml``. Nothing here is written by hand twice: regenerate, never edit.
"""

from __future__ import annotations

from typing import Any

from pytest_uapi.contract import Contract, Profile, Requirement, load_contract
from pytest_uapi.contract.examples import Examples, load_examples

from .components import contract_components, ref
from .requests import body_schema, onhold_schema, parameters
from .responses import JSON, answer, errors, requirement_refs

OPENAPI = "3.1.0"
ONHOLD = "OnHold"


def _component(operation: str) -> str:
    return f"request.{operation}"


def _action_body(
    contract: Contract, examples: Examples, actions: tuple[str, ...], onhold: bool
) -> dict[str, Any]:
    """The PUT body: one schema per action, told apart by ``action`` (D2)."""
    names = [*actions, ONHOLD] if onhold else list(actions)
    mapping = {contract.operations[a].body["action"] if a in actions else a: a for a in names}
    schema = {
        "oneOf": [ref(_component(a)) for a in names],
        "discriminator": {
            "propertyName": "action",
            "mapping": {k: ref(_component(v))["$ref"] for k, v in mapping.items()},
        },
    }
    media: dict[str, Any] = {"schema": schema}
    shown = [a for a in actions if a in examples.requests]
    if shown:
        media["examples"] = {a: _example(examples, a) for a in shown}
    return {"required": True, "content": {JSON: media}}


def _example(examples: Examples, operation: str) -> dict[str, Any]:
    example = examples.requests[operation]
    summary = f"{example.document}: {example.row}"
    out: dict[str, Any] = {"summary": summary, "value": example.body}
    if example.decision:
        out["description"] = f"Read as decided: {example.decision}"
    return out


def _call_parameters(pointer: str) -> dict[str, str]:
    return {
        "userId": "$request.path.userId",
        "extension": f"$response.body#{pointer}/extension",
        "phoneCallId": f"$response.body#{pointer}/id",
    }


def _self_link(pointer: str) -> dict[str, Any]:
    """D21: an acknowledgement's call is read with its self link (GET of the call)."""
    return {
        "self": {
            "operationId": "readCall",
            "description": "D21: follow the acknowledgement's self link (GET of the call)",
            "parameters": _call_parameters(pointer),
        }
    }


def _made_call_links(pointer: str) -> dict[str, Any]:
    """004: 'The Id can be used later to query the status of the phone call, hang it up or
    update it using the available actions'."""
    uses = {"act": ("actOnCall", "an action on the made call"), "hangUp": ("hangUp", "hang it up")}
    links = _self_link(pointer)
    for name, (operation, description) in uses.items():
        links[name] = {
            "operationId": operation,
            "description": f"004: {description}",
            "parameters": _call_parameters(pointer),
        }
    return links


def _refs(contract: Contract, ids: list[str], profile: Profile) -> list[dict[str, Any]]:
    known = {r.id for r in contract.requirements}
    chosen = [contract.requirement(i) for i in ids if i in known]
    return requirement_refs(contract, chosen, profile.name)


def _of(contract: Contract, operations: tuple[str, ...], *kinds: str) -> list[str]:
    return [f"{contract.operations[o].slug}.{k}" for o in operations for k in kinds]


def _acks(
    contract: Contract, examples: Examples, profile: Profile, ops: tuple[str, ...], link: bool
) -> dict[str, Any]:
    out = {}
    for status in profile.action_statuses:
        out[str(status)] = answer(
            "The action was accepted: an acknowledgement (D15)",
            ref(profile.ack_schema_for(status)),
            _refs(contract, _of(contract, ops, "success", "ack"), profile),
            example=examples.answers["ack"].body,
            links=_self_link("") if link else None,
        )
    return out


def _make_call(contract: Contract, examples: Examples, profile: Profile) -> dict[str, Any]:
    op = contract.operations["MakeCall"]
    requirements = [r for r in contract.by_category("success") if "MakeCall" in r.operations]
    responses = {
        str(status): answer(
            "The calls were made: one acknowledgement per call (D20)",
            {"type": "array", "minItems": 1, "items": ref(profile.ack_schema_for(status))},
            _refs(contract, _of(contract, ("MakeCall",), "success", "ack"), profile),
            example=examples.answers["make_call"].body,
            links=_made_call_links("/0"),
        )
        for status in profile.make_call_statuses
    }
    responses.update(errors(contract, profile, contract.errors_of("MakeCall")))
    return {
        "operationId": "makeCall",
        "summary": contract.documents[op.document].title,
        "parameters": _with_examples(
            parameters(contract, "MakeCall", "path"), examples, ("MakeCall",)
        )
        + parameters(contract, "MakeCall", "query"),
        "requestBody": {
            "required": True,
            "content": {
                JSON: {
                    "schema": ref(_component("MakeCall")),
                    "examples": {"MakeCall": _example(examples, "MakeCall")},
                }
            },
        },
        "responses": responses,
        "x-uapi-requirement": requirement_refs(contract, requirements, profile.name),
    }


def _path_errors(contract: Contract, params: tuple[str, ...]) -> tuple[Requirement, ...]:
    """The documented codes of the path parameters, as every action documents them (D5-D7)."""
    seen: dict[str, Requirement] = {}
    actions = tuple(o for o, op in contract.operations.items() if op.is_action)
    for r in contract.errors_of_any(actions):
        for f in r.fields:
            if f.location == "path" and f.key in params:
                seen.setdefault(f.name, r)
    return tuple(seen.values())


def _with_examples(
    params: list[dict[str, Any]], examples: Examples, operations: tuple[str, ...]
) -> list[dict[str, Any]]:
    """Each path parameter with the values the documents' examples give it."""
    for param in params:
        shown = {
            o: {"summary": examples.requests[o].row, "value": examples.requests[o].path[name]}
            for o in operations
            if o in examples.requests and (name := param["name"]) in examples.requests[o].path
        }
        if shown:
            param["examples"] = shown
    return params


def _path_params(
    contract: Contract, examples: Examples, names: tuple[str, ...]
) -> list[dict[str, Any]]:
    actions = tuple(o for o, op in contract.operations.items() if op.is_action)
    params = [p for p in parameters(contract, actions[0], "path") if p["name"] in names]
    return _with_examples(params, examples, actions)


def _call_item(contract: Contract, examples: Examples, profile: Profile) -> dict[str, Any]:
    actions = tuple(o for o, op in contract.operations.items() if op.is_action)
    params = ("userId", "extension", "phoneCallId")
    path_errors = _path_errors(contract, params)
    put_errors = errors(contract, profile, contract.errors_of_any(actions))
    read = {
        "200": answer(
            "The call (D21, D22)",
            ref(profile.self_schema),
            _refs(contract, _of(contract, actions, "self_link"), profile),
            example=examples.answers["phonecall"].body,
        ),
        **errors(contract, profile, path_errors),
    }
    gone = contract.requirement("hangup.unknown_call")
    hang_up = {
        **{
            str(s): answer(
                "The call was hung up (D28)",
                None,  # D28 names no body: a server may send any, or none
                _refs(contract, ["hangup.success", "hangup.effect"], profile),
            )
            for s in profile.hangup_statuses
        },
        "204": answer("Nothing to hang up (D28, D32)", None, requirement_refs(contract, [gone])),
        **errors(contract, profile, path_errors, gone),
    }
    return {
        "parameters": _path_params(contract, examples, params),
        "get": {
            "operationId": "readCall",
            "summary": "The call: its self link (D21)",
            "responses": read,
            "x-uapi-requirement": _refs(contract, _of(contract, actions, "self_link"), profile),
        },
        "put": {
            "operationId": "actOnCall",
            "summary": "An action on the call (D2): " + ", ".join([*actions, ONHOLD]),
            "requestBody": _action_body(contract, examples, actions, onhold=True),
            "responses": {**_acks(contract, examples, profile, actions, True), **put_errors},
            "x-uapi-requirement": _refs(contract, _of(contract, actions, "success"), profile),
        },
        "delete": {
            "operationId": "hangUp",
            "summary": "Hang the call up (D28)",
            "responses": hang_up,
            "x-uapi-requirement": _refs(
                contract, ["hangup.success", "hangup.unknown_call"], profile
            ),
        },
    }


def _extension_item(contract: Contract, examples: Examples, profile: Profile) -> dict[str, Any]:
    bulk = tuple(o for o, op in contract.operations.items() if op.bulk_path)
    params = ("userId", "extension")
    path_errors = _path_errors(contract, params)
    acks = {
        str(status): answer(
            "Every call of the extension was acted on: one acknowledgement per call (D16)",
            {"type": "array", "items": ref(profile.ack_schema)},
            _refs(contract, _of(contract, bulk, "bulk"), profile),
            example=[examples.answers["ack"].body],
        )
        for status in profile.action_statuses
    }
    empty = answer(
        "The extension has no call (D16)",
        None,
        _refs(contract, _of(contract, bulk, "bulk_empty"), profile),
    )
    return {
        "parameters": _path_params(contract, examples, params),
        "get": {
            "operationId": "listCalls",
            "summary": "The List of the extension's calls (D22)",
            "responses": {
                "200": answer(
                    "The extension's calls (D22)",
                    ref("collection"),
                    _refs(contract, ["list.states"], profile),
                    example={"entry": [examples.answers["phonecall"].body]},
                ),
                **errors(contract, profile, path_errors),
            },
            "x-uapi-requirement": _refs(contract, ["list.states"], profile),
        },
        "put": {
            "operationId": "actOnExtension",
            "summary": "A bulk action on every call of the extension (D16): " + ", ".join(bulk),
            "requestBody": _action_body(contract, examples, bulk, onhold=False),
            "responses": {
                **acks,
                "204": empty,
                **errors(contract, profile, contract.errors_of_any(bulk)),
            },
            "x-uapi-requirement": _refs(
                contract, _of(contract, bulk, "bulk", "bulk_empty"), profile
            ),
        },
    }


def _request_components(contract: Contract) -> dict[str, Any]:
    actions = tuple(o for o, op in contract.operations.items() if op.is_action)
    out = {_component(o): body_schema(contract, o) for o in contract.operations}
    out[_component(ONHOLD)] = onhold_schema(contract, actions)
    return out


def build_document(profile: str = "default", contract: Contract | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``profile`` (``default`` or ``strict``)."""
    contract = contract or load_contract()
    chosen = contract.profiles[profile]
    examples = load_examples()
    make_call = contract.operations["MakeCall"]
    support = contract.support
    return {
        "openapi": OPENAPI,
        "info": {
            "title": f"{contract.name} ({profile} profile)",
            "version": contract.version,
            "description": (
                f"{chosen.description} Generated from the contract data of pytest-uapi "
                "(`uapi-openapi`); every operation and status names the requirement, "
                "decision, document and row it comes from in `x-uapi-requirement`."
            ),
            "x-uapi-profile": profile,
        },
        "servers": [
            {
                "url": "{origin}",
                "description": "D1: an origin with an optional path prefix",
                "variables": {"origin": {"default": "http://127.0.0.1:8080"}},
            }
        ],
        "security": [{"bearer": []}],
        "paths": {
            make_call.path: {"post": _make_call(contract, examples, chosen)},
            support.list_path: _extension_item(contract, examples, chosen),
            support.call_path: _call_item(contract, examples, chosen),
        },
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "D3: Authorization: Bearer <token> on every request",
                }
            },
            "schemas": {**contract_components(), **_request_components(contract)},
        },
    }
