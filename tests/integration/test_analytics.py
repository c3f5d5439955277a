"""Analytics and the agent extras through the SDK against the local stack (over loopback)."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from typing import Protocol

import pytest

from knowrithm_py.knowrithm.client import KnowrithmClient

pytestmark = pytest.mark.integration

DESCRIPTION = (
    "We sell handmade ceramic mugs. Shipping takes 3 to 5 business days. "
    "Returns are accepted within 30 days of delivery."
)


class LocalStack(Protocol):
    base_url: str
    api_key: str
    api_secret: str


@pytest.fixture(scope="module")
def client(local_stack: LocalStack) -> Iterator[KnowrithmClient]:
    with KnowrithmClient(local_stack.api_key, local_stack.api_secret, base_url=local_stack.base_url) as sdk:
        yield sdk


def test_dashboard_and_agent_analytics_after_some_activity(client: KnowrithmClient) -> None:
    # GIVEN the dashboard as it stands (the stack is shared with other tests) and a new agent
    before = client.analytics.get_dashboard_overview()
    tag = uuid.uuid4().hex[:8]
    agent_id = client.agents.create_agent({"name": f"analytics-{tag}", "description": DESCRIPTION})["agent"]["id"]
    # WHEN it has 2 conversations with 3 chat turns, and 2 leads arrive (1 with marketing consent)
    first = client.conversations.create_conversation(agent_id=agent_id)["id"]
    second = client.conversations.create_conversation(agent_id=agent_id)["id"]
    for conversation_id, question in ((first, "How long is shipping?"), (first, "Returns?"), (second, "Mugs?")):
        reply = client.messages.send_message(conversation_id=conversation_id, message=question)
        assert reply["response"]
    for email, consent in ((f"ana-{tag}@example.com", True), (f"bo-{tag}@example.com", False)):
        client.leads.create_lead(
            {"first_name": "A", "last_name": tag, "email": email, "agent_id": agent_id, "consent_marketing": consent}
        )
    # THEN the dashboard moved by exactly that much
    after = client.analytics.get_dashboard_overview()
    core_before, core_after = before["core_metrics"], after["core_metrics"]
    assert core_after["conversation_count"] - core_before["conversation_count"] == 2
    assert core_after["message_count"] - core_before["message_count"] == 6
    assert core_after["lead_count"] - core_before["lead_count"] == 2
    marketing = "marketing_consent_count"
    assert after["lead_analytics"][marketing] - before["lead_analytics"][marketing] == 1
    # AND the new agent's analytics count exactly its own activity
    report = client.analytics.get_agent_analytics(agent_id)
    assert report["conversation_metrics"]["total_conversations"] == 2
    assert report["message_metrics"]["total"] == 6 and report["message_metrics"]["assistant"] == 3
    assert report["performance_metrics"]["total_responses"] == 3
    assert report["conversion_metrics"]["leads"] == 2
    conversation = client.analytics.get_conversation_analytics(first)
    assert conversation["message_roles"]["user"] == 2
    # AND the leads export (CSV) lists both leads
    rows = list(csv.DictReader(io.StringIO(client.analytics.export_csv("leads"))))
    mine = {r["email"]: r["consent_marketing"] for r in rows if r["last_name"] == tag}
    assert mine == {f"ana-{tag}@example.com": "true", f"bo-{tag}@example.com": "false"}


def test_agent_test_and_clone(client: KnowrithmClient) -> None:
    agent_id = client.agents.create_agent({"name": f"tools-{uuid.uuid4().hex[:8]}", "description": DESCRIPTION})[
        "agent"
    ]["id"]
    tested = client.agents.test_agent(agent_id, query="What is your returns policy?")
    assert "30 days" in tested["response"] and tested["llm_config"]["provider"]
    cloned = client.agents.clone_agent(agent_id, name="tools copy")
    assert cloned["agent"]["status"] == "inactive" and cloned["agent"]["name"] == "tools copy"
    assert client.agents.get_agent(cloned["clone_agent_id"])["agent"]["id"] == cloned["agent"]["id"]
    assert client.analytics.get_agent_analytics(agent_id)["agent_tests"] == 1
