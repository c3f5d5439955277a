"""The Knowrithm routes users hit first, through the SDK against the real local stack (template routing,
every API function in process, loopback HTTP)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import pytest

from knowrithm_py.knowrithm.client import KnowrithmClient

pytestmark = pytest.mark.integration


class LocalStack(Protocol):
    base_url: str
    api_key: str
    api_secret: str
    company_id: str
    agent_id: str


@pytest.fixture
def client(local_stack: LocalStack) -> Iterator[KnowrithmClient]:
    with KnowrithmClient(local_stack.api_key, local_stack.api_secret, base_url=local_stack.base_url) as sdk:
        yield sdk


def test_read_routes_answer_through_their_functions(client: KnowrithmClient, local_stack: LocalStack) -> None:
    # GIVEN the demo agent and a conversation started with the key
    agent = client.agents.get_agent(local_stack.agent_id)["agent"]
    started = client.conversations.create_conversation(local_stack.agent_id)
    # WHEN each new read route is called through the SDK
    by_name = client.agents.get_agent_by_name(agent["name"].swapcase())
    stats = client.companies.get_company_statistics(local_stack.company_id, days=7)
    mine = client.conversations.list_conversations_for_entity(per_page=100)
    comparison = client.analytics.get_agent_performance_comparison(local_stack.agent_id)
    settings_id = client.settings.get_agent_settings(local_stack.agent_id)["id"]
    tested = client.settings.test_settings(settings_id)
    overview = client.api_keys.get_api_key_overview(days=7)
    trends = client.api_keys.get_usage_trends(days=2)
    provider = client.providers.get_provider(client.providers.list_providers()["providers"][0]["id"])
    # THEN each reaches the function that serves it and answers what its type promises
    assert by_name["agent"]["id"] == local_stack.agent_id
    assert stats["statistics"]["period_days"] == 7 and stats["company_id"] == local_stack.company_id
    assert started["id"] in {c["id"] for c in mine["conversations"]}
    assert comparison["performance_comparison"]["conversations"]["agent_value"] >= 1
    assert tested["success"] is True and tested["llm"]["available"] is True
    assert overview["data"]["api_keys"]["active"] >= 1 and len(trends["data"]["trends"]) == 2
    assert provider["models"]
