"""Fixtures of the SDK unit tests: a scripted loopback server and clients pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from knowrithm_py.knowrithm.client import KnowrithmClient
from tests.unit.sdk.scripted_server import MakeClient, ScriptedServer


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as running:
        yield running


@pytest.fixture
def make_client(server: ScriptedServer) -> Iterator[MakeClient]:
    """Clients of ``server`` with fast backoff and polling (overridable per call)."""
    made: list[KnowrithmClient] = []

    def make(**overrides: Any) -> KnowrithmClient:
        options: dict[str, Any] = {
            "api_key": "ak_test",
            "api_secret": "as_test",
            "base_url": server.base_url,
            "backoff": 0.01,
            "task_poll_interval": 0.01,
            "timeout": 5.0,
        }
        client = KnowrithmClient(**{**options, **overrides})
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
