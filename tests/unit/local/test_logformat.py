"""The local stack's compact log line (local/logformat.py) for the functions' Powertools records."""

from __future__ import annotations

from local.logformat import compact_line


def test_a_powertools_record_becomes_one_short_line_with_its_own_keys() -> None:
    # GIVEN a Powertools JSON record with Lambda context keys and a key of the function's own
    record = {
        "level": "INFO",
        "location": "fan_out_record:28",
        "message": "fanned out",
        "timestamp": "2026-12-04 18:54:12,345+0000",
        "service": "knowrithm",
        "cold_start": False,
        "function_name": "knowrithm-local-EventFanoutFunction",
        "function_arn": "arn:aws:lambda:us-east-1:123456789012:function:x",
        "function_request_id": "4e0d2f28",
        "function_memory_size": 512,
        "event": "lead.created",
        "messages": 1,
    }

    # WHEN it is formatted for the terminal
    line = compact_line(record)

    # THEN it is time, level, service, message and the function's keys only
    assert line == "18:54:12 INFO  knowrithm  fanned out  event=lead.created messages=1"


def test_an_exception_follows_its_line() -> None:
    line = compact_line(
        {
            "level": "ERROR",
            "message": "boom",
            "timestamp": "2026-12-04 18:54:12,345+0000",
            "service": "knowrithm",
            "exception": "Traceback ...\nValueError: x",
        }
    )
    assert line.splitlines() == ["18:54:12 ERROR knowrithm  boom", "Traceback ...", "ValueError: x"]
