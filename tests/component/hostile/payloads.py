"""Hostile request bodies: what an attacker or a broken client sends to a JSON route."""

from __future__ import annotations

import json
from dataclasses import dataclass

from knowrithm_core import safe_json


@dataclass(frozen=True)
class Payload:
    name: str
    body: bytes
    content_type: str = "application/json"


def _nested(open_: str, close: str, depth: int, inner: str = "1") -> bytes:
    return (open_ * depth + inner + close * depth).encode()


def _metadata(depth: int) -> bytes:
    return b'{"metadata": ' + _nested('{"a": ', "}", depth) + b"}"


# Refused by the parser itself: none of them reaches a route, so they may use real ids (even on DELETE).
REFUSED = [
    Payload("truncated", b'{"name": '),
    Payload("trailing-garbage", b'{"name": "a"} x'),
    Payload("not-utf8", b'{"name": "\xff\xfe"}'),
    Payload("utf16", '{"name": "a"}'.encode("utf-16")),
    Payload("huge-int", b'{"name": "a", "size": ' + b"9" * 5_000 + b"}"),
    Payload("int-39-digits", b'{"size": ' + b"1" * 39 + b"}"),
    Payload("float-overflow", b'{"size": 1e400}'),
    Payload("float-too-big-for-dynamodb", b'{"size": 1e200}'),
    Payload("float-too-small-for-dynamodb", b'{"size": 1e-200}'),
    Payload("float-long-literal", b'{"size": 0.' + b"1" * 100 + b"}"),
    Payload("nan", b'{"size": NaN}'),
    Payload("infinity", b'{"size": Infinity}'),
    Payload("minus-infinity", b'{"size": -Infinity}'),
    Payload("deep-arrays", _nested("[", "]", 5_000)),
    Payload("deep-objects", _nested('{"a": ', "}", 5_000)),
    Payload("depth-just-over", _nested('{"a": ', "}", safe_json.MAX_DEPTH + 1)),
    Payload("metadata-300-deep", _metadata(300)),
    Payload("metadata-too-deep", _metadata(safe_json.MAX_METADATA_DEPTH + 1)),
    Payload("metadata-too-big", json.dumps({"metadata": {"k": "x" * safe_json.MAX_METADATA_BYTES}}).encode()),
    Payload("nul-in-string", b'{"name": "a\\u0000b"}'),
    Payload("lone-surrogate", b'{"name": "\\ud800"}'),
    Payload("lone-low-surrogate", b'{"message": "x\\udc00"}'),
    Payload("nul-in-key", b'{"na\\u0000me": "a"}'),
    Payload("oversize-string", json.dumps({"name": "x" * (safe_json.MAX_STRING_CHARS + 1)}).encode()),
    Payload("oversize-key", json.dumps({"k" * (safe_json.MAX_KEY_CHARS + 1): 1}).encode()),
    Payload("oversize-body", json.dumps({"name": "x" * (safe_json.MAX_BODY_BYTES + 1)}).encode()),
    Payload("too-many-keys", json.dumps({f"k{i}": i for i in range(safe_json.MAX_KEYS + 1)}).encode()),
    Payload("too-many-values", json.dumps({"tags": [0] * safe_json.MAX_VALUES}).encode()),
    Payload("duplicate-keys", b'{"name": "a", "name": "b"}'),
    Payload("duplicate-nested-keys", b'{"metadata": {"k": 1, "k": 2}}'),
    Payload("text-plain-garbage", b"name=a&email=b", "text/plain"),
]

# Parsed fine, refused by the route (or the id is unknown): sent with unknown ids only.
WRONG_SHAPE = [
    Payload("array", b"[]"),
    Payload("array-of-objects", b'[{"name": "a"}]'),
    Payload("string", b'"hello"'),
    Payload("number", b"42"),
    Payload("null", b"null"),
    Payload("true", b"true"),
    Payload(
        "wrong-field-types",
        json.dumps(
            {
                "name": 5,
                "email": [],
                "password": 1,
                "agent_id": {"$ne": None},
                "company_id": [1],
                "message": {},
                "title": [],
                "metadata": "x",
                "url": 7,
                "urls": {"a": 1},
                "events": "all",
                "first_name": 1,
                "last_name": {},
                "status": 3.5,
                "tags": "x",
                "size": "big",
                "filename": 9,
                "document_ids": "x",
                "is_active": "maybe",
                "scopes": 5,
                "refresh_token": [],
                "format": 1,
                "description": False,
                "settings": [],
                "allowed_domains": "x",
                "query": 5,
                "limit": "ten",
            }
        ).encode(),
    ),
]

ALL = REFUSED + WRONG_SHAPE
