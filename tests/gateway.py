"""API Gateway for in-process tests: each request goes to the app of the API function the template routes it to,
and every AWS call a request makes is recorded for that function, then checked against its IAM policies."""

from __future__ import annotations

import importlib
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import boto3
import pytest
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from knowrithm_core.auth import tokens
from knowrithm_core.config import Settings
from local.routes import find_route, http_routes
from local.template import Stack, functions
from tests.iam import Names, Need, allowed, missing, needs

CATCH_ALL = "ApiSystemFunction"  # ANY /api/v1/{proxy+}; what is not the API's gets its JSON 404 too
_serving: ContextVar[str | None] = ContextVar("serving", default=None)


@contextmanager
def serving(function: str) -> Iterator[None]:
    """Record the AWS calls made inside the block (and threads that copy its context) as ``function``'s."""
    token = _serving.set(function)
    try:
        yield
    finally:
        _serving.reset(token)


class AwsCalls:
    """The IAM needs of the AWS calls each API function made while serving requests (boto3's default session)."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.names = Names.of(stack)
        self.by_function: dict[str, list[Need]] = defaultdict(list)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Record from now on: a fresh default session (clients made later carry the hook) and the JWT secret."""
        session = boto3.session.Session()
        session.events.register("before-parameter-build", self._record)
        monkeypatch.setattr(boto3, "DEFAULT_SESSION", session)
        fetch = tokens.signing_secret

        def signing_secret(settings: Settings) -> str:
            function = _serving.get()
            if function and not settings.jwt_secret and settings.jwt_secret_arn:
                self.by_function[function].append(("secretsmanager:GetSecretValue", "secret:JwtSecret"))
            return fetch(settings)

        monkeypatch.setattr(tokens, "signing_secret", signing_secret)

    def _record(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        function = _serving.get()
        if function:
            service = model.service_model.service_name
            self.by_function[function] += needs(service, model.name, params, self.names)

    def not_allowed(self) -> dict[str, set[Need]]:
        """Per function, the calls its template policies do not allow (empty when IAM would let every call through)."""
        found = {fn: missing(allowed(self.stack, fn), calls) for fn, calls in self.by_function.items()}
        return {fn: gaps for fn, gaps in found.items() if gaps}


class Gateway:
    """An ASGI app routing like the template's HttpApi to the API functions' own apps."""

    def __init__(self, stack: Stack) -> None:
        specs = functions(stack)
        self.handlers = {name: spec.handler for name, spec in specs.items() if name.startswith("Api")}
        self.routes = http_routes(specs.values())
        self.served: list[str] = []

    def function_for(self, method: str, path: str) -> str:
        found = find_route(self.routes, method, [s for s in path.split("/") if s])
        function = found[0].function if found else CATCH_ALL
        return function if function in self.handlers else CATCH_ALL

    def app(self, function: str) -> FastAPI:
        module = importlib.import_module(self.handlers[function].rpartition(".")[0])
        app: FastAPI = module.app
        return app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http", scope["type"]
        function = self.function_for(scope["method"], scope["path"])
        self.served.append(function)
        token = _serving.set(function)
        try:
            await self.app(function)(scope, receive, send)
        finally:
            _serving.reset(token)
