"""The hardened JSON parser: what it accepts up to each documented limit, and the 4xx it answers past it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from knowrithm_core import safe_json
from knowrithm_core.errors import KnowrithmError
from knowrithm_core.safe_json import check_param, parse_json
from knowrithm_core.services.documents import parse_url_values


def _nest(depth: int) -> str:
    return '{"a": ' * (depth - 1) + "[]" + "}" * (depth - 1)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"", {}),
        (b"  \n ", {}),
        (None, {}),
        (b'\xef\xbb\xbf{"a": 1}', {"a": 1}),  # a UTF-8 byte order mark
        (b'{"n": ' + b"9" * 38 + b"}", {"n": int("9" * 38)}),
        (b'{"n": -1e125, "m": 1e-130, "z": 0.0, "e": 0e999}', {"n": -1e125, "m": 1e-130, "z": 0.0, "e": 0.0}),
        ('{"emoji": "\\ud83d\\ude00", "text": "caf\u00e9"}', {"emoji": "\U0001f600", "text": "caf\u00e9"}),
        (json.dumps({"s": "x" * safe_json.MAX_STRING_CHARS}), {"s": "x" * safe_json.MAX_STRING_CHARS}),
        ('{"metadata": {"a": {"b": [1, 2]}}, "extra": null}', {"metadata": {"a": {"b": [1, 2]}}, "extra": None}),
    ],
    ids=["empty", "blank", "none", "bom", "38-digits", "dynamodb-range", "paired-surrogates", "max-string", "plain"],
)
def test_accepted_up_to_each_limit(raw: Any, expected: Any) -> None:
    assert parse_json(raw) == expected


def test_nesting_up_to_the_limit_is_accepted_and_one_more_is_refused() -> None:
    assert parse_json(_nest(safe_json.MAX_DEPTH)) is not None
    with pytest.raises(KnowrithmError) as refused:
        parse_json(_nest(safe_json.MAX_DEPTH + 1))
    assert (refused.value.status_code, refused.value.error_code) == (400, "payload_too_complex")


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (b'{"a": ', 400, "invalid_json"),
        (b'{"a": "\xff"}', 400, "invalid_json"),
        (b'{"n": NaN}', 400, "invalid_json"),
        (b'{"n": -Infinity}', 400, "invalid_json"),
        (b'{"a": 1, "a": 2}', 400, "invalid_json"),
        (b'{"n": ' + b"1" * 39 + b"}", 400, "number_out_of_range"),
        (b'{"n": ' + b"9" * 10_000 + b"}", 400, "number_out_of_range"),
        (b'{"n": 1e126}', 400, "number_out_of_range"),
        (b'{"n": 1e-131}', 400, "number_out_of_range"),
        (b'{"n": 1e999}', 400, "number_out_of_range"),
        (b"[" * 100_000 + b"]" * 100_000, 400, "payload_too_complex"),
        (b'{"s": "a\\u0000"}', 400, "invalid_text"),
        (b'{"s": "\\udfff"}', 400, "invalid_text"),
        (b'{"\\ud800": 1}', 400, "invalid_text"),
        (json.dumps({"s": "x" * (safe_json.MAX_STRING_CHARS + 1)}).encode(), 400, "string_too_long"),
        (json.dumps({"metadata": {"k": "v" * safe_json.MAX_METADATA_BYTES}}).encode(), 400, "metadata_too_large"),
        (json.dumps({"x": {"metadata": _nest(1)}}).encode(), None, None),  # metadata as a string: not checked
        (b" " * (safe_json.MAX_BODY_BYTES + 1), 413, "payload_too_large"),
    ],
)
def test_refused_with_a_precise_4xx(raw: bytes, status: int | None, code: str | None) -> None:
    if status is None:
        assert parse_json(raw)
        return
    with pytest.raises(KnowrithmError) as refused:
        parse_json(raw)
    assert (refused.value.status_code, refused.value.error_code) == (status, code)


def test_metadata_nesting_has_its_own_lower_limit() -> None:
    deep = {"metadata": json.loads(_nest(safe_json.MAX_METADATA_DEPTH + 1))}
    with pytest.raises(KnowrithmError, match="metadata is nested deeper"):
        parse_json(json.dumps(deep))
    assert parse_json(json.dumps({"metadata": json.loads(_nest(safe_json.MAX_METADATA_DEPTH))}))


@pytest.mark.parametrize("value", ["a\x00", "x" * (safe_json.MAX_PARAM_CHARS + 1), "\ud800"])
def test_hostile_parameters_are_refused(value: str) -> None:
    with pytest.raises(KnowrithmError) as refused:
        check_param("agent_id", value)
    assert refused.value.error_code == "invalid_parameter"


@pytest.mark.parametrize("value", ["[" + "9" * 5_000 + "]", "[" * 5_000 + "]" * 5_000, '["a", NaN]'])
def test_form_url_arrays_go_through_the_same_parser(value: str) -> None:
    # GIVEN an upload form's ``urls`` value that Python's json would choke on  THEN a 400, not a crash
    with pytest.raises(KnowrithmError) as refused:
        parse_url_values([value])
    assert refused.value.status_code == 400
