"""What the SQS and stream pollers share: the invoke signature and the partial batch response rules."""

from __future__ import annotations

import base64
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

Invoke = Callable[[str, Any], Any]
"""``invoke(function_logical_id, event) -> result``; raises if the handler raised."""


def failed_identifiers(result: Any, valid: Collection[str]) -> set[str] | None:
    """The ``batchItemFailures`` of a partial batch response; None when Lambda would fail the whole batch.

    Complete success: no response, or no / an empty ``batchItemFailures``. Complete failure:
    an identifier that is missing, empty or not in the batch (Lambda's documented rules).
    """
    if not isinstance(result, dict) or not result.get("batchItemFailures"):
        return set()
    failures = result["batchItemFailures"]
    if not isinstance(failures, list):
        return None
    failed: set[str] = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in valid:
            return None
        failed.add(identifier)
    return failed


def jsonable(value: Any) -> Any:
    """boto3 output as Lambda's JSON event carries it: bytes in base64, datetimes as epoch seconds."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, datetime):
        return int(value.timestamp())
    return value
