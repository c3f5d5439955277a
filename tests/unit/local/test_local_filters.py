"""Lambda event filtering: the pattern subset the pollers implement."""

from __future__ import annotations

from typing import Any

import pytest

from local.filters import matches, parse_filters, passes, sqs_view

RECORD: dict[str, Any] = {
    "eventName": "INSERT",
    "dynamodb": {
        "NewImage": {
            "type": {"S": "agent.created"},
            "attempts": {"N": "3"},
            "tags": {"L": [{"S": "a"}, {"S": "b"}]},
            "deleted_at": {"NULL": True},
        }
    },
}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"eventName": ["INSERT", "MODIFY"]}, True),
        ({"eventName": ["REMOVE"]}, False),
        ({"dynamodb": {"NewImage": {"type": {"S": ["agent.created"]}}}}, True),
        ({"dynamodb": {"NewImage": {"type": {"S": [{"prefix": "agent."}]}}}}, True),
        ({"dynamodb": {"NewImage": {"type": {"S": [{"prefix": "lead."}]}}}}, False),
        ({"dynamodb": {"NewImage": {"type": {"S": [{"suffix": ".created"}]}}}}, True),
        ({"dynamodb": {"NewImage": {"type": {"S": [{"anything-but": ["agent.deleted"]}]}}}}, True),
        ({"dynamodb": {"NewImage": {"type": {"S": [{"anything-but": ["agent.created"]}]}}}}, False),
        ({"dynamodb": {"NewImage": {"type": {"S": [{"anything-but": {"prefix": "agent."}}]}}}}, False),
        ({"dynamodb": {"NewImage": {"type": [{"exists": True}]}}}, True),
        ({"dynamodb": {"NewImage": {"gone": [{"exists": False}]}}}, True),
        ({"dynamodb": {"NewImage": {"type": [{"exists": False}]}}}, False),
        ({"dynamodb": {"NewImage": {"gone": {"S": ["x"]}}}}, False),
        ({"dynamodb": {"NewImage": {"attempts": {"N": [{"numeric": [">", 2, "<=", 3]}]}}}}, True),
        ({"dynamodb": {"NewImage": {"attempts": {"N": [{"numeric": [">", 3]}]}}}}, False),
        ({"dynamodb": {"NewImage": {"type": {"S": [{"equals-ignore-case": "AGENT.CREATED"}]}}}}, True),
        ({"dynamodb": {"NewImage": {"deleted_at": {"NULL": [True]}}}}, True),
        ({"eventName": ["INSERT"], "dynamodb": {"NewImage": {"type": {"S": ["lead.created"]}}}}, False),
    ],
)
def test_pattern(pattern: dict[str, Any], expected: bool) -> None:
    # GIVEN a stream record / WHEN one pattern is applied / THEN it matches exactly when Lambda's would
    assert matches(pattern, RECORD) is expected


def test_arrays_match_if_any_element_does() -> None:
    assert matches({"tags": ["b"]}, {"tags": ["a", "b"]})
    assert not matches({"tags": ["c"]}, {"tags": ["a", "b"]})


def test_numbers_compare_by_value_and_booleans_are_not_numbers() -> None:
    assert matches({"n": [1]}, {"n": 1.0})
    assert not matches({"n": [1]}, {"n": True})
    assert not matches({"n": [None]}, {})


def test_filters_are_alternatives_and_none_means_everything() -> None:
    # GIVEN FilterCriteria whose patterns are JSON strings (as in the template)
    filters = parse_filters(
        {"Filters": [{"Pattern": '{"eventName": ["REMOVE"]}'}, {"Pattern": '{"eventName": ["INSERT"]}'}]}
    )
    # THEN a record passes if any pattern matches; no filters pass everything
    assert passes(filters, RECORD)
    assert not passes(filters[:1], RECORD)
    assert passes(parse_filters(None), RECORD)


def test_sqs_body_is_filtered_as_json_when_it_is_json() -> None:
    assert matches({"body": {"kind": ["order"]}}, sqs_view({"body": '{"kind": "order"}'}))
    assert not matches({"body": {"kind": ["order"]}}, sqs_view({"body": "kind=order"}))
    assert matches({"body": [{"prefix": "kind="}]}, sqs_view({"body": "kind=order"}))


def test_unknown_operators_are_rejected_loudly() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        matches({"a": [{"cidr": "10.0.0.0/8"}]}, {"a": "10.0.0.1"})
