"""The OpenAPI export: valid, current, and a faithful view of the contract data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from pytest_uapi.contract import PROFILES, load_contract
from pytest_uapi.contract.examples import load_examples
from pytest_uapi.contract.rules import ALL_RULES, RULE_SCHEMAS, SYNTACTIC_RULES
from pytest_uapi.openapi import build_document
from pytest_uapi.openapi.__main__ import main, render

from .harness import CHECKS

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = load_contract()
METHODS = ("get", "put", "post", "delete")


def _operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        op["operationId"]: op
        for item in document["paths"].values()
        for method, op in item.items()
        if method in METHODS
    }


@pytest.fixture(scope="module", params=PROFILES)
def document(request: pytest.FixtureRequest) -> dict[str, Any]:
    built: dict[str, Any] = build_document(request.param)
    return built


@pytest.mark.parametrize("profile", PROFILES)
def test_checked_in_copy_is_current(profile: str) -> None:
    copy = ROOT / "docs" / f"openapi-{profile}.json"
    assert copy.read_text(encoding="utf-8") == render(profile), (
        f"docs/openapi-{profile}.json is stale: "
        f"uapi-openapi --profile {profile} -o docs/openapi-{profile}.json"
    )


def test_document_validates(document: dict[str, Any]) -> None:
    validate(document)


def test_six_operations_each_naming_its_requirements(document: dict[str, Any]) -> None:
    operations = _operations(document)
    assert sorted(operations) == sorted(
        ["makeCall", "actOnCall", "actOnExtension", "readCall", "listCalls", "hangUp"]
    )
    known = {r.id for r in CONTRACT.requirements}
    for op in operations.values():
        for where in [op, *op["responses"].values()]:
            refs = where["x-uapi-requirement"]
            assert refs, op["operationId"]
            assert {r["id"] for r in refs} <= known
            assert all(r["row"] and r["document"] in CONTRACT.documents for r in refs)


def test_put_actions_are_one_of_on_action(document: dict[str, Any]) -> None:
    body = _operations(document)["actOnCall"]["requestBody"]["content"]["application/json"]
    mapping = body["schema"]["discriminator"]["mapping"]
    actions = [op.body["action"] for op in CONTRACT.operations.values() if op.is_action]
    assert sorted(mapping) == sorted([*actions, CONTRACT.support.onhold_body["action"]])
    assert body["schema"]["discriminator"]["propertyName"] == "action"


@pytest.mark.parametrize("name", sorted(CONTRACT.operations))
def test_documented_codes_of_each_operation(document: dict[str, Any], name: str) -> None:
    operation = CONTRACT.operations[name]
    op_id = "makeCall" if not operation.is_action else "actOnCall"
    schema = _operations(document)[op_id]["responses"]["400"]["content"]["application/json"]
    documented = schema["schema"]["properties"]["error"]["properties"]["code"]["anyOf"][0]
    profile = document["info"]["x-uapi-profile"]
    for row in CONTRACT.errors_of(name):
        assert set(row.accepted_codes(profile)) <= set(documented["enum"]), row.id


def test_success_statuses_follow_the_profile(document: dict[str, Any]) -> None:
    profile = CONTRACT.profiles[document["info"]["x-uapi-profile"]]
    operations = _operations(document)
    make_call = {int(s) for s in operations["makeCall"]["responses"] if s.startswith("2")}
    assert make_call == set(profile.make_call_statuses)
    act = {int(s) for s in operations["actOnCall"]["responses"] if s.startswith("2")}
    assert act == set(profile.action_statuses)


def test_acknowledgements_link_to_the_call(document: dict[str, Any]) -> None:
    operations = _operations(document)
    for op_id in ("makeCall", "actOnCall"):
        for status, response in operations[op_id]["responses"].items():
            if status.startswith("2"):
                assert response["links"]["self"]["operationId"] == "readCall"


def _media_schema(document: dict[str, Any], media: dict[str, Any]) -> Draft202012Validator:
    # The whole document as a 2020-12 resource: OpenAPI 3.1 schemas are that dialect.
    registry: Registry[Any] = Registry().with_resource(
        "urn:doc", DRAFT202012.create_resource(document)
    )
    schema = _rebase(media["schema"])
    return Draft202012Validator(schema, registry=registry)


def _rebase(value: Any) -> Any:
    """The document's "#/..." pointers, made to point into the document resource."""
    if isinstance(value, dict):
        return {k: "urn:doc" + v if k == "$ref" else _rebase(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rebase(v) for v in value]
    return value


def test_examples_fit_their_schemas(document: dict[str, Any]) -> None:
    checked = 0
    for op in _operations(document).values():
        medias = [
            r["content"]["application/json"] for r in op["responses"].values() if "content" in r
        ]
        if "requestBody" in op:
            medias.append(op["requestBody"]["content"]["application/json"])
        for media in medias:
            validator = _media_schema(document, media)
            values = [e["value"] for e in media.get("examples", {}).values()]
            values += [media["example"]] if "example" in media else []
            for value in values:
                errors = [e.message for e in validator.iter_errors(value)]
                assert not errors, (op["operationId"], value, errors)
                checked += 1
    assert checked >= len(load_examples().requests)


def test_every_rule_has_a_form() -> None:
    assert set(RULE_SCHEMAS) == set(ALL_RULES)


@pytest.mark.parametrize("rule", sorted(SYNTACTIC_RULES))
def test_rule_forms_agree_with_the_rules(rule: str) -> None:
    """The faults and the valid values of the contract, judged alike by a rule and its form."""
    check = SYNTACTIC_RULES[rule]
    form = Draft202012Validator(RULE_SCHEMAS[rule])
    values: list[Any] = []
    for r in CONTRACT.by_category("error"):
        for f in r.fields:
            if f.rule == rule:
                values += [c.value for c in r.causes if c.field == f.name and not c.remove]
    values += ["20", "1.5", 20, "0003*210", "+3235742879", ["210"], "John Doe <+3334444>", "x"]
    for value in values:
        assert form.is_valid(value) == check(value), (rule, value)


def test_cli_writes_the_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "strict.json"
    assert main(["--profile", "strict", "-o", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == render("strict")
    assert main([]) == 0
    assert capsys.readouterr().out == render("default")


def test_cli_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "--profile" in capsys.readouterr().out


def test_readme_and_docs_point_at_the_export() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/openapi.md" in readme and "docs/comparison.md" in readme
    guide = (ROOT / "docs" / "openapi.md").read_text(encoding="utf-8")
    # The checks the guide's command names are the ones the project's own runs use.
    assert ",".join(CHECKS) in guide


def test_comparison_covers_the_faults_it_names() -> None:
    """docs/comparison.md is regenerated when the set of compared faults changes."""
    from .comparison import SAME_SHAPE, SHAPE

    text = (ROOT / "docs" / "comparison.md").read_text(encoding="utf-8")
    assert "python -m tests.openapi.comparison" in text
    for fault in (*SHAPE, *SAME_SHAPE):
        assert f"| `{fault}` |" in text, f"rerun python -m tests.openapi.comparison ({fault})"
