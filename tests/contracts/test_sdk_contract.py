"""The SDK against the committed ``openapi.json``: a typed method per operation, and the same fields and types."""

from __future__ import annotations

import json
import types
import typing
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints, is_typeddict

import pytest

from knowrithm_py.knowrithm.client import KnowrithmClient
from knowrithm_py.operations import NOT_JSON, OPERATIONS

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT: dict[str, Any] = json.loads((ROOT / "openapi.json").read_text(encoding="utf-8"))
SCHEMAS: dict[str, Any] = DOCUMENT["components"]["schemas"]
PY_TO_JSON = {str: {"string"}, int: {"integer"}, float: {"number", "integer"}, bool: {"boolean"}, type(None): {"null"}}


def operations() -> dict[str, dict[str, Any]]:
    return {op["operationId"]: op for item in DOCUMENT["paths"].values() for op in item.values()}


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def json_types(schema: dict[str, Any]) -> set[str]:
    """The JSON types a schema allows (``set()`` = anything)."""
    schema = resolve(schema)
    if "anyOf" in schema:
        found = [json_types(s) for s in schema["anyOf"]]
        return set() if any(not f for f in found) else set().union(*found)
    kind = schema.get("type")
    return {kind} if isinstance(kind, str) else set(kind or ())


def non_null(schema: dict[str, Any]) -> dict[str, Any]:
    schema = resolve(schema)
    options = [s for s in schema.get("anyOf", [schema]) if resolve(s).get("type") != "null"]
    return resolve(options[0]) if len(options) == 1 else schema


def py_types(annotation: Any) -> set[str]:
    """The JSON types a Python annotation allows (``set()`` = anything)."""
    if annotation is Any:
        return set()
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        found = [py_types(a) for a in get_args(annotation)]
        return set() if any(not f for f in found) else set().union(*found)
    if origin in (typing.Required, typing.NotRequired):
        return py_types(get_args(annotation)[0])
    if is_typeddict(annotation) or origin is dict or annotation is dict:
        return {"object"}
    if origin is list or annotation is list:
        return {"array"}
    return PY_TO_JSON[annotation]


def compare(typed_dict: Any, schema: dict[str, Any], where: str, seen: set[str]) -> list[str]:
    """Every difference between a TypedDict and an object schema: names, types, nested objects and lists."""
    schema = non_null(schema)
    if typed_dict.__name__ + where in seen:
        return []
    seen.add(typed_dict.__name__ + where)
    fields = get_type_hints(typed_dict)
    properties = schema.get("properties", {})
    problems = [f"{where}.{name}: not in the document" for name in fields if name not in properties]
    problems += [f"{where}.{name}: not in the SDK's {typed_dict.__name__}" for name in properties if name not in fields]
    for name in fields.keys() & properties.keys():
        sdk, doc = py_types(fields[name]) - {"null"}, json_types(properties[name]) - {"null"}
        if sdk and doc and not (doc <= sdk):
            problems.append(f"{where}.{name}: SDK {sorted(sdk)} vs document {sorted(doc)}")
        problems += nested(fields[name], properties[name], f"{where}.{name}", seen)
    return problems


def nested(annotation: Any, schema: dict[str, Any], where: str, seen: set[str]) -> list[str]:
    optional = get_origin(annotation) in (Union, types.UnionType)
    args = [a for a in get_args(annotation) if a is not type(None)] if optional else [annotation]
    inner = args[0] if len(args) == 1 else None
    if inner is not None and is_typeddict(inner):
        return compare(inner, schema, where, seen)
    if inner is not None and get_origin(inner) is list and is_typeddict(get_args(inner)[0]):
        items = non_null(schema).get("items", {})
        return compare(get_args(inner)[0], items, where + "[]", seen)
    return []


def method_of(target: str) -> Any:
    client = KnowrithmClient(api_key="k", api_secret="s", base_url="http://127.0.0.1:9/api/v1")
    attribute, method = target.split(":")[0].split(".")
    return getattr(getattr(client, attribute), method)


def json_2xx(operation: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        r["content"]["application/json"]["schema"]
        for code, r in operation["responses"].items()
        if code.startswith("2") and "application/json" in r.get("content", {})
    ]


def test_every_operation_has_a_typed_sdk_method() -> None:
    # GIVEN every documented operation WHEN the SDK's mapping is read THEN each has a method, or says why not
    documented = set(operations())
    assert documented - OPERATIONS.keys() - NOT_JSON.keys() == set(), "add an SDK method and map it"
    assert OPERATIONS.keys() - documented == set(), "the mapping names operations the API no longer has"
    for operation_id, target in OPERATIONS.items():
        returns = get_type_hints(method_of(target)).get("return")
        assert returns is not None and returns is not Any, f"{target} has no typed result ({operation_id})"


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_sdk_result_types_agree_with_the_document(operation_id: str) -> None:
    # GIVEN the SDK method mapped to an operation, and the operation's 2xx JSON schemas
    target = OPERATIONS[operation_id]
    returns = get_type_hints(method_of(target))["return"]
    candidates = [t for t in (get_args(returns) or (returns,)) if is_typeddict(t)]
    assert candidates, f"{target} returns no TypedDict"
    schemas = json_2xx(operations()[operation_id])
    if ":" in target:  # the method returns one key of the response
        key = target.split(":")[1]
        schemas = [non_null(s)["properties"][key] for s in schemas]
    # WHEN each TypedDict the method may return is compared with them THEN one schema agrees field by field
    for typed_dict in candidates:
        outcomes = [compare(typed_dict, schema, typed_dict.__name__, set()) for schema in schemas]
        assert any(not problems for problems in outcomes), min(outcomes, key=len)


def test_the_comparison_can_fail() -> None:
    # GIVEN a TypedDict with a wrong type and an extra field THEN compare names both
    class Wrong(typing.TypedDict, total=False):
        agent_id: int
        invented: str

    problems = compare(Wrong, SCHEMAS["AgentStats"], "Wrong", set())
    assert any("agent_id" in p for p in problems) and any("invented" in p for p in problems)
