"""Run a template function's handler in this process, the way the Lambda runtime would call it.

The handler module is imported once (a warm container) with the function's layers and code
directory importable; every call gets a fresh Lambda-like context whose remaining time counts
down from the function's ``Timeout``.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from local.environment import make_importable
from local.template import FunctionSpec, Stack

Handler = Callable[[Any, Any], Any]
log = logging.getLogger("local")


@dataclass
class LocalContext:
    """The attributes and method of ``awslambdaric``'s LambdaContext that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    _started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self._started
        return max(0, int((self.timeout_seconds - elapsed) * 1000))


def memory_size(stack: Stack, logical_id: str) -> int:
    """``MemorySize`` of the function, else of ``Globals``, else Lambda's default (128)."""
    glob = stack.template.get("Globals", {}).get("Function", {})
    props = stack.resources[logical_id].get("Properties", {})
    return int(props.get("MemorySize", glob.get("MemorySize", 128)))


class Invoker:
    """Invoke functions by logical id; a handler's exception propagates to the caller (the front decides)."""

    def __init__(self, stack: Stack, specs: Mapping[str, FunctionSpec]) -> None:
        self.stack = stack
        self.specs = dict(specs)
        self._handlers: dict[str, Handler] = {}
        self._lock = threading.Lock()
        self.invocations = 0  # how many invocations started: the state saver's sign of activity

    def handler(self, logical_id: str) -> Handler:
        with self._lock:
            if logical_id not in self._handlers:
                spec = self.specs[logical_id]
                make_importable(spec)
                module_name, _, attribute = spec.handler.rpartition(".")
                self._handlers[logical_id] = getattr(importlib.import_module(module_name), attribute)
            return self._handlers[logical_id]

    def context(self, logical_id: str) -> LocalContext:
        spec = self.specs[logical_id]
        return LocalContext(
            function_name=self.stack.physical_name(logical_id),
            memory_limit_in_mb=memory_size(self.stack, logical_id),
            invoked_function_arn=self.stack.arn(logical_id),
            timeout_seconds=spec.timeout,
        )

    def invoke(self, logical_id: str, event: Any) -> Any:
        self.invocations += 1
        handler = self.handler(logical_id)
        context = self.context(logical_id)
        try:
            return _call(handler, event, context)
        finally:
            if context.get_remaining_time_in_millis() == 0:
                log.warning(
                    "%s ran longer than its Timeout (%ss); Lambda would have stopped it",
                    logical_id,
                    context.timeout_seconds,
                )


def _call(handler: Handler, event: Any, context: LocalContext) -> Any:
    if threading.current_thread() is threading.main_thread():
        return handler(event, context)
    # Worker threads have no event loop; handlers such as Mangum expect one (as on Lambda's main thread).
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        return handler(event, context)
    finally:
        asyncio.set_event_loop(None)
        loop.close()
