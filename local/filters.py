"""Lambda event filtering (``FilterCriteria``), the subset of the pattern syntax the local pollers need.

A record passes if it matches any filter. In a pattern every key must match: a nested object
descends into the record, a list is a set of alternatives. Alternatives are literal values
(strings, numbers, booleans, null) or one of ``prefix``, ``suffix``, ``equals-ignore-case``,
``exists``, ``anything-but`` and ``numeric``. Arrays in the record match if any element does.
For SQS, a JSON ``body`` is filtered as the parsed object (as Lambda does).
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping
from typing import Any

MISSING = object()
NUMERIC_OPS: dict[str, Callable[[float, float], bool]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def parse_filters(criteria: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The patterns of a ``FilterCriteria`` (each ``Pattern`` is a JSON string, or already an object)."""
    patterns = []
    for item in (criteria or {}).get("Filters", []):
        pattern = item.get("Pattern", "{}")
        patterns.append(json.loads(pattern) if isinstance(pattern, str) else dict(pattern))
    return patterns


def passes(patterns: list[dict[str, Any]], record: Mapping[str, Any]) -> bool:
    """No filters: everything passes; otherwise the record must match at least one pattern."""
    return not patterns or any(matches(p, record) for p in patterns)


def sqs_view(record: Mapping[str, Any]) -> dict[str, Any]:
    """What an SQS filter sees: the record with a JSON body parsed (a non-JSON body stays a string)."""
    try:
        body = json.loads(record.get("body", ""))
    except ValueError:
        return dict(record)
    return {**record, "body": body}


def matches(pattern: Mapping[str, Any], record: Any) -> bool:
    for key, expected in pattern.items():
        value = record.get(key, MISSING) if isinstance(record, Mapping) else MISSING
        if isinstance(expected, Mapping):
            if not isinstance(value, Mapping) or not matches(expected, value):
                return False
        elif isinstance(expected, list):
            if not any(_matches_one(rule, value) for rule in expected):
                return False
        else:
            raise ValueError(f"filter value for {key!r} must be an object or a list, got {expected!r}")
    return True


def _matches_one(rule: Any, value: Any) -> bool:
    if isinstance(rule, Mapping):
        if "exists" in rule:
            return (value is not MISSING) == bool(rule["exists"])
        if value is MISSING:
            return False
        values = value if isinstance(value, list) else [value]
        return any(_operator(rule, v) for v in values)
    if value is MISSING:
        return False
    values = value if isinstance(value, list) else [value]
    return any(_equal(rule, v) for v in values)


def _equal(rule: Any, value: Any) -> bool:
    if isinstance(rule, bool) or isinstance(value, bool) or rule is None or value is None:
        return rule is value or (rule == value and type(rule) is type(value))
    if isinstance(rule, int | float) and isinstance(value, int | float):
        return float(rule) == float(value)
    return bool(rule == value)


def _operator(rule: Mapping[str, Any], value: Any) -> bool:
    ((name, argument),) = rule.items()
    if name == "prefix":
        return isinstance(value, str) and value.startswith(argument)
    if name == "suffix":
        return isinstance(value, str) and value.endswith(argument)
    if name == "equals-ignore-case":
        return isinstance(value, str) and value.lower() == str(argument).lower()
    if name == "anything-but":
        if isinstance(argument, Mapping):
            return not _operator(argument, value)
        excluded = argument if isinstance(argument, list) else [argument]
        return not any(_equal(e, value) for e in excluded)
    if name == "numeric":
        return _numeric(argument, value)
    raise ValueError(f"unsupported filter operator {name!r}")


def _numeric(conditions: list[Any], value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return False
    try:
        number = float(value)
    except ValueError:
        return False
    pairs = zip(conditions[::2], conditions[1::2], strict=True)
    return all(NUMERIC_OPS[op](number, float(bound)) for op, bound in pairs)
