"""Identifiers and timestamps.

Ids are time-ordered UUIDs (version 7), so DynamoDB sort keys built from them list
items in creation order: messages come back ascending without a sort attribute.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from datetime import UTC, datetime

_lock = threading.Lock()
_last_millis = 0
_counter = 0


def new_id() -> str:
    """A UUIDv7 string, monotonic within this process.

    48-bit millisecond timestamp, then a 12-bit counter (RFC 9562 method 1) so ids made
    in the same millisecond still sort in creation order, then 62 random bits.
    """
    global _last_millis, _counter
    with _lock:
        millis = time.time_ns() // 1_000_000
        if millis <= _last_millis:
            millis = _last_millis
            _counter += 1
            if _counter > 0xFFF:  # counter exhausted: borrow the next millisecond
                millis += 1
                _counter = 0
        else:
            _counter = int.from_bytes(os.urandom(2), "big") & 0x3FF  # leave headroom
        _last_millis = millis
        counter = _counter
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version 7
    value |= counter << 64
    value |= 0b10 << 62  # RFC 4122 variant
    value |= int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None = None) -> str:
    """ISO 8601 UTC with milliseconds and a Z, as Knowrithm's examples show."""
    moment = moment or now()
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return False
    return True
