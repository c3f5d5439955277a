"""A chat turn through the real Lambda handlers (payload 2.0 events, each to the function the template routes
it to), in process against moto ``mock_aws``.

Set up like ``tests/stack.py``: resources created from the template, the ApiConversationsFunction's resolved
environment, the composition root's caches cleared. A tenant (company, admin, API key), an agent and a
conversation are made through the handler itself; one warm-up turn follows (the API key is then in the
per-container cache, ``API_KEY_CACHE_SECONDS``). The process stays one warm container throughout; only the
emulated tables are emptied between conversations of the latency run (see ``TURNS_PER_CONVERSATION``).
botocore event hooks on the table's client record every DynamoDB API call (``before-call``: one per API
call, retries not included) and its duration.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.common import AWS_ENV, SCRUBBED_ENV, code_path, function_specs, handler_parts
from bench.events import LambdaContext, http_event
from local.routes import find_route, http_routes
from local.template import Stack

FUNCTION = "ApiConversationsFunction"
COUNTED_TURNS = 20
TIMED_TURNS = 200
# moto's TransactWriteItems deep-copies the whole table once per operation, so its cost grows with the
# table; the timed turns therefore run in conversations of this many turns, each on emptied tables
TURNS_PER_CONVERSATION = 10
QUESTIONS = (
    "How long does shipping take?",
    "Can I return a mug after two weeks?",
    "Do you sell ceramic mugs?",
    "What is your returns policy?",
    "Is shipping free on larger orders?",
)

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass
class DynamoRecorder:
    """Counts DynamoDB API calls (by operation) and the time spent inside them."""

    operations: list[str] = field(default_factory=list)
    seconds: float = 0.0
    _started: float = 0.0

    def before(self, model: Any, **_: Any) -> None:
        self.operations.append(model.name)
        self._started = time.perf_counter()

    def after(self, **_: Any) -> None:
        self.seconds += time.perf_counter() - self._started

    def reset(self) -> None:
        self.operations = []
        self.seconds = 0.0


@dataclass
class ChatResults:
    counted_turns: int
    requests_per_turn: list[int]
    by_operation: Counter[str]
    timed_turns: int
    turns_per_conversation: int
    latencies_ms: list[float]
    dynamo_ms: list[float]  # per timed turn, time inside DynamoDB calls (moto in process)
    api_key_cache_seconds: int
    context_messages: int


class Api:
    """Calls the API functions' Lambda handlers the way API Gateway's HTTP API would (routed by the template)."""

    def __init__(self, stack: Stack) -> None:
        self.specs = function_specs(stack)
        self.routes = http_routes(self.specs.values())
        self.handlers: dict[str, Handler] = {}

    def handler(self, method: str, path: str) -> Handler:
        found = find_route(self.routes, method, [s for s in path.split("/") if s])
        if found is None:
            raise RuntimeError(f"no route for {method} {path} in the template")
        function = found[0].function
        if function not in self.handlers:
            module_name, func = handler_parts(self.specs[function])
            self.handlers[function] = getattr(importlib.import_module(module_name), func)
        return self.handlers[function]

    def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None, expect: int = 200
    ) -> Any:
        payload = None if body is None else json.dumps(body)
        event = http_event(method, path, body=payload, headers=headers)
        response = self.handler(method, path)(event, LambdaContext())
        status = int(response["statusCode"])
        if status != expect:
            raise RuntimeError(f"{method} {path} answered {status} (expected {expect}): {response.get('body')}")
        return json.loads(response["body"]) if response.get("body") else None


def _tenant(api: Api) -> tuple[dict[str, str], str]:
    """A company, its admin, an API key and an agent; returns the key headers and a new conversation id."""
    company = api.call("POST", "/api/v1/company", {"name": "benchco", "email": "owner@benchco.example"}, expect=201)
    password = "correct horse battery"  # noqa: S105 - a throwaway user of a benchmark on moto
    api.call(
        "POST",
        "/api/v1/auth/register",
        {
            "company_id": company["id"],
            "email": "admin@benchco.example",
            "username": "benchco-admin",
            "password": password,
            "first_name": "Ada",
            "last_name": "Admin",
        },
        expect=201,
    )
    token = api.call("POST", "/api/v1/auth/login", {"email": "admin@benchco.example", "password": password})
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    key = api.call("POST", "/api/v1/auth/api-keys", {"name": "bench"}, headers=bearer, expect=201)
    key_headers = {"X-API-Key": key["api_key"], "X-API-Secret": key["api_secret"]}
    description = (
        "We sell handmade ceramic mugs. Shipping takes 3 to 5 business days. "
        "Returns are accepted within 30 days of delivery."
    )
    agent = api.call(
        "POST", "/api/v1/agent", {"name": "benchco helper", "description": description}, key_headers, expect=201
    )
    conversation = api.call("POST", "/api/v1/conversation", {"agent_id": agent["agent"]["id"]}, key_headers, expect=201)
    return key_headers, str(conversation["id"])


def run(stack: Stack, counted: int = COUNTED_TURNS, timed: int = TIMED_TURNS) -> ChatResults:
    from moto import mock_aws

    from local.resources import create_all

    spec = function_specs(stack)[FUNCTION]
    for key in SCRUBBED_ENV:
        os.environ.pop(key, None)
    os.environ.update({**AWS_ENV, **spec.environment})
    api_dirs = [p for s in function_specs(stack).values() if s.logical_id.startswith("Api") for p in code_path(s)[:-1]]
    sys.path[:0] = list(dict.fromkeys(str(p) for p in api_dirs if str(p) not in sys.path))
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"  # the EMF lines would only clutter the report

    mock = mock_aws()
    mock.start()
    try:
        create_all(stack)
        from knowrithm_core.config import get_settings
        from knowrithm_core.container import get_services

        get_settings.cache_clear()
        get_services.cache_clear()
        api = Api(stack)

        def fresh_conversation() -> Callable[[int], None]:
            """Empty tables, a new tenant and conversation, one warm-up turn; returns the turn function."""
            mock.reset()
            create_all(stack)
            key_headers, conversation_id = _tenant(api)
            path = f"/api/v1/conversation/{conversation_id}/chat"

            def turn(i: int) -> None:
                api.call("POST", path, {"message": QUESTIONS[i % len(QUESTIONS)]}, key_headers)

            turn(0)  # warm-up: puts the API key in the cache, warms the code paths
            return turn

        turn = fresh_conversation()
        recorder = DynamoRecorder()
        events = get_services().table.client.meta.events
        events.register("before-call.dynamodb", recorder.before)
        events.register("after-call.dynamodb", recorder.after)

        per_turn: list[int] = []
        by_operation: Counter[str] = Counter()
        for i in range(counted):
            recorder.reset()
            turn(i)
            per_turn.append(len(recorder.operations))
            by_operation.update(recorder.operations)

        latencies: list[float] = []
        dynamo: list[float] = []
        for i in range(timed):
            if i % TURNS_PER_CONVERSATION == 0:
                turn = fresh_conversation()
            recorder.reset()
            started = time.perf_counter()
            turn(i)
            latencies.append((time.perf_counter() - started) * 1000)
            dynamo.append(recorder.seconds * 1000)

        settings = get_settings()
        get_services.cache_clear()
        get_settings.cache_clear()
    finally:
        mock.stop()

    return ChatResults(
        counted_turns=counted,
        requests_per_turn=per_turn,
        by_operation=by_operation,
        timed_turns=timed,
        turns_per_conversation=TURNS_PER_CONVERSATION,
        latencies_ms=latencies,
        dynamo_ms=dynamo,
        api_key_cache_seconds=settings.api_key_cache_seconds,
        context_messages=settings.context_messages,
    )
