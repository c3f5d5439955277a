"""The SDK methods added for full coverage of openapi.json, against the real local stack over loopback."""

from __future__ import annotations

import uuid
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
    origin: str


@pytest.fixture
def client(local_stack: LocalStack) -> Iterator[KnowrithmClient]:
    with KnowrithmClient(local_stack.api_key, local_stack.api_secret, base_url=local_stack.base_url) as sdk:
        yield sdk


def test_settings_lifecycle_through_the_sdk(client: KnowrithmClient, local_stack: LocalStack) -> None:
    # GIVEN a new agent
    name = f"settings-{uuid.uuid4().hex[:8]}"
    agent_id = client.agents.create_agent({"name": name})["agent"]["id"]
    try:
        # WHEN settings are created for it, read, updated and listed
        created = client.settings.create_settings({"agent_id": agent_id, "llm_temperature": 0.2})
        settings_id = created["id"]
        assert created["agent_id"] == agent_id and created["llm_temperature"] == 0.2
        assert client.settings.get_settings(settings_id)["id"] == settings_id
        assert client.settings.get_agent_settings(agent_id)["id"] == settings_id
        updated = client.settings.update_settings(settings_id, {"llm_temperature": 0.9})
        listed = client.settings.list_company_settings(local_stack.company_id)
        # THEN each answer carries what the typed result promises
        assert updated["llm_temperature"] == 0.9
        assert settings_id in {s["id"] for s in listed["settings"]} and listed["total"] >= 1
    finally:
        client.agents.delete_agent(agent_id, force=True)


def test_update_conversation_returns_the_conversation(client: KnowrithmClient, local_stack: LocalStack) -> None:
    # GIVEN a conversation WHEN its title and metadata change through the SDK
    conversation = client.conversations.create_conversation(agent_id=local_stack.agent_id)
    changed = client.conversations.update_conversation(conversation["id"], title="Renamed", metadata={"k": "v"})
    # THEN the conversation itself comes back, changed
    assert changed["id"] == conversation["id"] and changed["title"] == "Renamed" and changed["metadata"]["k"] == "v"
    client.conversations.delete_conversation(conversation["id"])


def test_widget_config_and_handshake_through_the_sdk(client: KnowrithmClient) -> None:
    # GIVEN an agent with no allowed-domains list (any page may embed it)
    agent_id = client.agents.create_agent({"name": f"widget-{uuid.uuid4().hex[:8]}"})["agent"]["id"]
    try:
        # WHEN the widget's public routes are called through the SDK (served by WidgetFunction)
        page_origin = {"Origin": "https://shop.example"}
        config = client.widget.get_widget_config(agent_id, headers=page_origin)
        page = client.widget.website_handshake(agent_id, "https://shop.example/help", title="Help", headers=page_origin)
        # THEN both answer with the documented shapes
        assert config["agent_id"] == agent_id and isinstance(config["widget_config"], dict)
        assert page["website_page"]["url"] == "https://shop.example/help"
        assert page["website_source"]["base_url"] == "https://shop.example"
    finally:
        client.agents.delete_agent(agent_id, force=True)
