"""A one-line log format for the local stack's terminal (deployed, the functions keep Powertools' JSON lines).

``12:04:31 INFO  local.http  POST /api/v1/lead/ -> 201 (35 ms)``; the functions' Powertools records the same
way, their extra keys (correlation id, ...) appended as ``key=value``.
"""

from __future__ import annotations

import json
import logging
from typing import Any

LINE = "%(asctime)s %(levelname)-5s %(name)s  %(message)s"
DATE = "%H:%M:%S"
# Powertools' keys that the line already shows, or that say nothing locally (one process, every function warm)
_SHOWN = {"level", "location", "message", "timestamp", "service", "sampling_rate", "xray_trace_id", "exception_name"}
_SHOWN |= {"cold_start", "function_name", "function_memory_size", "function_arn", "function_request_id"}


def compact_line(fields: dict[str, Any]) -> str:
    """One of Powertools' JSON records as a line: time, level, service, message, then the other keys."""
    time = str(fields.get("timestamp", ""))[11:19]
    extra = " ".join(f"{key}={value}" for key, value in fields.items() if key not in _SHOWN and key != "exception")
    line = f"{time} {fields.get('level', 'INFO'):<5} {fields.get('service', '')}  {fields.get('message', '')}"
    line = f"{line}  {extra}" if extra else line
    return f"{line}\n{fields['exception']}" if fields.get("exception") else line


def compact_functions_log() -> None:
    """Give the functions' Powertools Logger the compact line (it keeps its keys: ``append_keys`` still works)."""
    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

    from knowrithm_core.observability import get_logger

    class CompactPowertoolsFormatter(LambdaPowertoolsFormatter):
        def format(self, record: logging.LogRecord) -> str:
            return compact_line(json.loads(super().format(record)))

    handler = get_logger().registered_handler
    if handler is not None:
        handler.setFormatter(CompactPowertoolsFormatter())


def configure(level: int = logging.WARNING) -> None:
    """The local stack's own loggers (``local.*``) and the libraries' in the compact line."""
    logging.basicConfig(level=level, format=LINE, datefmt=DATE)
