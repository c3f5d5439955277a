"""Hostile input on every write route of the REST API (listed from its own OpenAPI document, so a new route is
covered without editing this file): each answer is a 4xx JSON error, and no item, object or message changes."""

from __future__ import annotations

from typing import Any

import pytest

from rest_api.app import create_app
from rest_api.factory import API_PREFIX
from tests.component.hostile.conftest import World, changes, error_problems, snapshot
from tests.component.hostile.payloads import REFUSED, WRONG_SHAPE, Payload

WRITE_METHODS = ("post", "put", "patch", "delete")
ALL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PARSER_CODES = {
    "invalid_json",
    "invalid_text",
    "string_too_long",
    "number_out_of_range",
    "payload_too_complex",
    "payload_too_large",
    "metadata_too_large",
}
DOCUMENT = create_app().openapi()
WRITES = [(m.upper(), p) for p, ops in DOCUMENT["paths"].items() for m in ops if m in WRITE_METHODS]


def _send(world: World, method: str, path: str, payload: Payload) -> Any:
    headers = {**world.tenant.key_headers, "Content-Type": payload.content_type}
    return world.client.request(method, path, content=payload.body, headers=headers)


def test_every_write_route_is_listed() -> None:
    # GIVEN the served document  THEN it lists the write routes this suite covers (the app has ~60)
    assert len(WRITES) >= 50
    assert ("POST", f"{API_PREFIX}/lead") in WRITES


@pytest.mark.parametrize(("method", "path"), WRITES, ids=[f"{m} {p}" for m, p in WRITES])
def test_hostile_bodies_are_4xx_and_change_nothing(world: World, method: str, path: str) -> None:
    # GIVEN a tenant with one of each resource, and a snapshot of every item, object and queue
    before = snapshot(world.services)
    failures: dict[str, list[str]] = {}
    # WHEN each body the parser must refuse is sent with the tenant's real ids (a DELETE would otherwise succeed)
    for payload in REFUSED:
        response = _send(world, method, world.path(path, real=True), payload)
        problems = error_problems(response)
        if not problems and response.json()["error_code"] not in PARSER_CODES:
            problems.append(f"answered by the route, not the parser: {response.json()['error_code']}")
        if problems:
            failures[payload.name] = problems
    # AND each well-formed body of the wrong shape is sent with unknown ids
    for payload in WRONG_SHAPE:
        problems = error_problems(_send(world, method, world.path(path, real=False), payload))
        if problems:
            failures[payload.name] = problems
    # THEN every answer is a 4xx JSON error with the four fields, and nothing changed
    assert failures == {}
    assert changes(before, snapshot(world.services)) == []


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "FOO"])
def test_unknown_methods_are_json_4xx_on_every_path(world: World, method: str) -> None:
    # GIVEN every documented path, and for each also the standard methods it does not serve
    before = snapshot(world.services)
    failures = {}
    for template, ops in DOCUMENT["paths"].items():
        path = world.path(template, real=True)
        for verb in [method, *(v for v in ALL_METHODS if v.lower() not in ops)]:
            # WHEN the method is sent
            problems = error_problems(world.client.request(verb, path, headers=world.tenant.key_headers))
            if problems:
                failures[f"{verb} {template}"] = problems
    # THEN each is a 4xx JSON error and nothing changed
    assert failures == {}
    assert changes(before, snapshot(world.services)) == []


HOSTILE_QUERIES = {
    "huge": {"page": "9" * 5_000},
    "nul": {"agent_id": "a\x00b"},
    "nul-key": {"a\x00": "1"},
}


@pytest.mark.parametrize("name", list(HOSTILE_QUERIES))
def test_hostile_query_strings_are_400_on_every_route(world: World, name: str) -> None:
    # GIVEN every documented operation
    before = snapshot(world.services)
    failures = {}
    for template, ops in DOCUMENT["paths"].items():
        for method in ops:
            # WHEN it is called with a huge value or a NUL in its query string
            response = world.client.request(
                method.upper(),
                world.path(template, real=True),
                params=HOSTILE_QUERIES[name],
                headers=world.tenant.key_headers,
            )
            problems = error_problems(response)
            if not problems and response.json()["error_code"] != "invalid_parameter":
                problems.append(f"error_code {response.json()['error_code']}")
            if problems:
                failures[f"{method} {template}"] = problems
    # THEN each is refused before any work, and nothing changed
    assert failures == {}
    assert changes(before, snapshot(world.services)) == []


# batches, so that a route refusing one value early (pagination is parsed first) does not hide the others
WRONG_TYPE_QUERIES = [
    {"page": "two"},
    {"per_page": "-3", "limit": "1e999"},
    {"start_date": "2024-13-45", "end_date": "-99999-01-01", "since": "yesterday", "until": "9" * 2_000},
    {
        "include_chunks": "perhaps",
        "force": "[]",
        "status": "{}",
        "search": "%" * 500,
        "event_type": "*" * 300,
        "agent_id": "not-a-uuid",
        "document_type": "../../etc/passwd",
    },
]


def test_wrong_type_query_values_are_never_a_server_error(world: World) -> None:
    # GIVEN every documented read
    failures = {}
    reads = [world.path(template, real=True) for template, ops in DOCUMENT["paths"].items() if "get" in ops]
    for path in reads:
        # WHEN it is called with query values of the wrong type
        for params in WRONG_TYPE_QUERIES:
            response = world.client.get(path, params=params, headers=world.tenant.key_headers)
            # THEN it answers JSON below 500 (a value a route does not read is ignored; one it reads is a 400),
            # but for Knowrithm's documented 503 of a deployment without a streaming backend
            if response.json().get("error_code") == "streaming_not_configured":
                continue
            if response.status_code >= 500 or "traceback" in response.text.lower():
                failures[f"{path}?{'&'.join(params)}"] = response.status_code
    assert failures == {}


@pytest.mark.parametrize(
    "segment", ["%00", "x" * 3_000, "%ED%A0%80", "..%2F..%2Fetc", "1e999", "-1", "%F0%9F%98%80"], ids=str
)
def test_hostile_path_parameters_are_4xx(world: World, segment: str) -> None:
    # GIVEN every documented path with a parameter
    failures = {}
    for template, ops in DOCUMENT["paths"].items():
        if "{" not in template:
            continue
        path = "/".join(segment if part.startswith("{") else part for part in template.split("/"))
        for method in ops:
            # WHEN the parameter is a NUL, huge, not UTF-8, a traversal or a number
            problems = error_problems(world.client.request(method.upper(), path, headers=world.tenant.key_headers))
            if problems:
                failures[f"{method} {template}"] = problems
    # THEN every answer is a 4xx JSON error
    assert failures == {}


def test_a_body_too_big_for_one_stored_item_is_413_and_changes_nothing(world: World) -> None:
    # GIVEN a lead within every parser limit whose tags add up to more than DynamoDB's 400 KB item
    before = snapshot(world.services)
    lead = {"first_name": "A", "last_name": "B", "email": "big@b.example", "tags": ["x" * 90_000] * 9}
    # WHEN it is created
    response = world.client.post(f"{API_PREFIX}/lead", json=lead, headers=world.tenant.key_headers)
    # THEN it is a 413 JSON error (DynamoDB's refusal, mapped by the table adapter), and nothing was written
    assert (response.status_code, response.json()["error_code"]) == (413, "payload_too_large")
    assert error_problems(response) == []
    assert changes(before, snapshot(world.services)) == []


UNKNOWN = {"x_unknown": {"nested": [1, "two", None]}, "__proto__": {"admin": True}, "PK": "COMPANY#other"}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/lead", {"first_name": "Extra", "last_name": "Keys", "email": "extra@keys.example"}),
        ("/conversation", {"title": "extras"}),
        ("/agent", {"name": "Extra agent"}),
    ],
    ids=["lead", "conversation", "agent"],
)
def test_unknown_keys_on_a_valid_body_are_accepted_and_not_stored(
    world: World, path: str, body: dict[str, Any]
) -> None:
    # GIVEN a valid body plus keys no route knows (Knowrithm's clients send extras), one named like a table key
    if path == "/conversation":
        body = {**body, "agent_id": world.tenant.agent_id}
    # WHEN it is sent
    response = world.client.post(f"{API_PREFIX}{path}", json={**body, **UNKNOWN}, headers=world.tenant.key_headers)
    # THEN it is accepted
    assert response.status_code == 201, response.text
    # AND no stored item carries an unknown key, and the tenant's items stay in the tenant's partition
    items = snapshot(world.services)["items"]
    assert not [i for i in items if {"x_unknown", "__proto__"} & i.keys()]
    assert not [i for i in items if i["PK"]["S"] == "COMPANY#other"]


@pytest.mark.parametrize(
    "fields",
    [
        {"urls": "[" * 5_000 + "]" * 5_000},
        {"urls": "[" + "9" * 5_000 + "]"},
        {"urls": '["https://a.example", NaN]'},
        {"agent_id": "a\x00b"},
        {"agent_id": "x" * 5_000},
    ],
    ids=["deep-urls", "huge-number-urls", "nan-urls", "nul-agent", "huge-agent"],
)
def test_hostile_upload_form_fields_are_4xx_and_change_nothing(world: World, fields: dict[str, str]) -> None:
    # GIVEN a multipart upload whose form fields a JSON parser or the store would choke on
    before = snapshot(world.services)
    data = {"agent_id": world.tenant.agent_id, **fields}
    # WHEN it is sent
    response = world.client.post(
        f"{API_PREFIX}/document/upload",
        data=data,
        files=[("files", ("a.txt", b"Kiln facts.", "text/plain"))],
        headers=world.tenant.key_headers,
    )
    # THEN it is a 4xx JSON error, and nothing changed
    assert error_problems(response) == []
    assert changes(before, snapshot(world.services)) == []
