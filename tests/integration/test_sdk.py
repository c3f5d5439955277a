"""The SDK against the real local stack over loopback: every service, plus the README snippet verbatim."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any, Protocol

import pytest

from knowrithm_py.errors import KnowrithmAPIError
from knowrithm_py.knowrithm.client import KnowrithmClient
from knowrithm_py.models import ProviderSelection

pytestmark = pytest.mark.integration

BY_NAME: ProviderSelection = {
    "llm_provider": "extractive",
    "llm_model": "extractive",
    "embedding_provider": "extractive",
    "embedding_model": "bm25",
}
DESCRIPTION = (
    "We sell handmade ceramic mugs. Shipping takes 3 to 5 business days. "
    "Returns are accepted within 30 days of delivery."
)
PASSWORD = "correct horse battery staple"


class LocalStack(Protocol):
    base_url: str
    api_key: str
    api_secret: str
    company_id: str
    agent_id: str
    origin: str


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def client(local_stack: LocalStack) -> Iterator[KnowrithmClient]:
    with KnowrithmClient(local_stack.api_key, local_stack.api_secret, base_url=local_stack.base_url) as sdk:
        yield sdk


@pytest.fixture(scope="module")
def agent_id(client: KnowrithmClient) -> str:
    """An agent of its own (the stack's shared agent is left alone), created with provider names."""
    created = client.agents.create_agent({"name": unique("sdk-agent"), "description": DESCRIPTION}, settings=BY_NAME)
    return created["agent"]["id"]


def test_health_and_provider_catalogue(client: KnowrithmClient) -> None:
    # GIVEN the running stack / WHEN health and the catalogue are read
    health = client.health.health_check()
    providers = client.providers.list_providers()
    models = client.providers.list_models("extractive")
    settings = client.providers.list_settings_providers()
    # THEN the stack is healthy and the built-in extractive provider is listed everywhere
    assert health["status"] == "healthy"
    assert "extractive" in [p["name"] for p in providers["providers"]]
    assert {(m["name"], m["model_type"]) for m in models["models"]} >= {("extractive", "llm"), ("bm25", "embedding")}
    assert "extractive" in [p["name"] for p in settings["llm_providers"]]
    assert settings["metadata"]["total_embedding_providers"] >= 1


def test_agent_lifecycle(client: KnowrithmClient) -> None:
    # GIVEN an agent created with provider and model ids (the other accepted body shape)
    models = client.providers.list_models("extractive")
    ids = {m["model_type"]: m["id"] for m in models["models"]}
    provider_id = models["provider"]["id"]
    name = unique("ids-agent")
    created = client.agents.create_agent(
        {
            "name": name,
            "description": DESCRIPTION,
            "llm_provider_id": provider_id,
            "llm_model_id": ids["llm"],
            "embedding_provider_id": provider_id,
            "embedding_model_id": ids["embedding"],
        }
    )
    agent_id = created["agent"]["id"]
    assert created["settings"]["llm_model_name"] == "extractive"
    assert created["settings"]["embedding_model_name"] == "bm25"
    # WHEN it is listed, read, updated, and its embed code and stats fetched
    listed = client.agents.list_agents(search=name, per_page=5)
    fetched = client.agents.get_agent(agent_id)
    updated = client.agents.update_agent(agent_id, {"description": "Mugs. Shipping takes a week.", "status": "active"})
    embed = client.agents.get_embed_code(agent_id)
    stats = client.agents.get_agent_stats(agent_id)
    # THEN each shows the same agent
    assert [a["id"] for a in listed["agents"]] == [agent_id]
    assert listed["pagination"]["total"] == 1
    assert fetched["agent"]["name"] == name
    assert updated["agent"]["description"] == "Mugs. Shipping takes a week."
    assert agent_id in embed["simple"] and embed["config"]["agent_id"] == agent_id
    assert (stats["agent_id"], stats["total_conversations"], stats["llm_provider"]) == (agent_id, 0, "extractive")

    # WHEN it gets an active conversation and is deleted without force
    client.conversations.create_conversation(agent_id)
    with pytest.raises(KnowrithmAPIError) as refused:
        client.agents.delete_agent(agent_id)
    # THEN the delete is refused with the server's 400
    assert (refused.value.status_code, refused.value.error_code) == (400, "bad_request")

    # WHEN it is deleted with force / THEN it is gone, listed as deleted, and comes back on restore
    deleted = client.agents.delete_agent(agent_id, force=True)
    assert deleted["agent_id"] == agent_id
    with pytest.raises(KnowrithmAPIError) as missing:
        client.agents.get_agent(agent_id)
    assert (missing.value.status_code, missing.value.error_code) == (404, "not_found")
    assert agent_id in [a["id"] for a in client.agents.list_agents(status="deleted", per_page=100)["agents"]]
    restored = client.agents.restore_agent(agent_id)
    assert restored["agent"]["id"] == agent_id
    assert client.agents.get_agent(agent_id)["agent"]["status"] == "active"


def test_conversation_chat_and_messages(client: KnowrithmClient, agent_id: str) -> None:
    # GIVEN a conversation with the agent
    conversation = client.conversations.create_conversation(agent_id, title="SDK test", metadata={"source": "sdk"})
    cid = conversation["id"]
    assert (conversation["agent_id"], conversation["title"], conversation["metadata"]) == (
        agent_id,
        "SDK test",
        {"source": "sdk"},
    )
    # WHEN a question is sent
    reply = client.messages.send_message(cid, "How long does shipping take?")
    # THEN the answer comes from the agent's knowledge, in every compatible key
    answer = reply["history"][-1]["assistant_response"]
    assert "3 to 5 business days" in answer
    assert reply["response"] == reply["content"] == reply["assistant_message"]["content"] == answer
    assert reply["conversation_id"] == cid
    assert reply["message_id"] == reply["user_message"]["id"]

    # WHEN the conversation and its messages are read back
    messages = client.conversations.list_conversation_messages(cid)
    assert [m["role"] for m in messages["messages"]] == ["user", "assistant"]
    assert cid in [c["id"] for c in client.conversations.list_conversations(per_page=100)["conversations"]]
    assert [c["id"] for c in client.conversations.list_conversations_by_agent(agent_id)["conversations"]] == [cid]
    assert client.conversations.get_conversation(cid)["message_count"] == 2

    # WHEN one message is deleted and restored / THEN it leaves and rejoins the list
    assistant_id = reply["assistant_message"]["id"]
    assert client.messages.delete_message(assistant_id)["message_id"] == assistant_id
    assert assistant_id in [m["id"] for m in client.messages.list_deleted_messages()["deleted_messages"]]
    assert len(client.conversations.list_conversation_messages(cid)["messages"]) == 1
    client.messages.restore_message(assistant_id)
    assert len(client.conversations.list_conversation_messages(cid)["messages"]) == 2

    # WHEN all messages are deleted and restored
    assert client.conversations.delete_conversation_messages(cid)["deleted_messages_count"] == 2
    assert client.conversations.list_conversation_messages(cid)["messages"] == []
    assert client.conversations.restore_all_messages(cid)["restored_messages_count"] == 2

    # WHEN the conversation is deleted and restored / THEN its messages go and come back with it
    assert client.conversations.delete_conversation(cid)["deleted_messages_count"] == 2
    deleted = client.conversations.list_deleted_conversations()["deleted_conversations"]
    assert cid in [c["id"] for c in deleted]
    with pytest.raises(KnowrithmAPIError) as gone:
        client.conversations.get_conversation(cid)
    assert gone.value.status_code == 404
    restored = client.conversations.restore_conversation(cid)
    assert restored["restored_messages_count"] == 2
    assert len(client.conversations.list_conversation_messages(cid)["messages"]) == 2


def test_chat_as_a_polled_task(client: KnowrithmClient, agent_id: str) -> None:
    # GIVEN a conversation
    cid = client.conversations.create_conversation(agent_id)["id"]
    # WHEN a message asks for an asynchronous answer (202 + task) and the SDK waits
    reply = client.messages.send_message(cid, "Can I return a mug?", prefer_async=True)
    # THEN the polled task result is the usual chat result
    assert "30 days" in reply["history"][-1]["assistant_response"]
    # WHEN another is sent without waiting
    ack: dict[str, Any] = dict(
        client.messages.send_message(cid, "How long does shipping take?", wait=False, prefer_async=True)
    )
    # THEN the acknowledgement names the task, which ChatWorkerFunction (on the chat queue) finishes
    assert ack["status"] == "queued" and ack["task_id"] and ack["status_url"].endswith("/status")
    status = client.tasks.get_task_status(ack["task_id"])
    assert (status["status"], status["state"]) in {
        ("pending", "PENDING"),
        ("processing", "STARTED"),
        ("completed", "SUCCESS"),
    }
    result = client.tasks.wait_for_task(ack)
    assert result["message_id"] == ack["message_id"]
    assert "3 to 5 business days" in result["response"]
    assert client.tasks.get_task_status(ack["task_id"])["state"] == "SUCCESS"
    messages = client.conversations.list_conversation_messages(cid)["messages"]
    replies = [m for m in messages if m["role"] == "assistant" and m.get("reply_to") == ack["message_id"]]
    assert [m["content"] for m in replies] == [result["response"]]


def test_leads(client: KnowrithmClient, local_stack: LocalStack, agent_id: str) -> None:
    # GIVEN a visitor registering through the public widget route
    email = f"{unique('visitor')}@example.com"
    registered = client.leads.register_lead(
        {"agent_id": agent_id, "first_name": "Vera", "last_name": "Visitor", "email": email}
    )
    assert registered["success"] and registered["created"]
    assert registered["lead"]["email"] == email
    # WHEN the visitor chats with its lead token (no API key), like the widget
    with KnowrithmClient(bearer_token=registered["access_token"], base_url=local_stack.base_url) as visitor:
        conversation = visitor.conversations.create_conversation(agent_id, title="Website Chat")
        reply = visitor.messages.send_message(conversation["id"], "How long does shipping take?")
    # THEN it is answered
    assert "3 to 5 business days" in reply["response"]

    # WHEN a lead is created, read, listed, updated and deleted over the API
    other = f"{unique('lead')}@example.com"
    created = client.leads.create_lead({"first_name": "Lee", "last_name": "Lead", "email": other, "phone": "123"})
    lead_id = created["lead"]["id"]
    fetched = client.leads.get_lead(lead_id)
    listed = client.leads.list_company_leads(search=other)
    updated = client.leads.update_lead(lead_id, {"status": "contacted", "notes": "called"})
    deleted = client.leads.delete_lead(lead_id)
    # THEN each step shows the lead
    assert fetched["lead"]["full_name"] == "Lee Lead"
    assert fetched["lead"]["company"]["id"] == local_stack.company_id
    assert [x["id"] for x in listed["leads"]] == [x["id"] for x in listed["data"]["leads"]] == [lead_id]
    assert (updated["lead"]["status"], updated["lead"]["notes"]) == ("contacted", "called")
    assert deleted["lead_id"] == lead_id
    with pytest.raises(KnowrithmAPIError) as gone:
        client.leads.get_lead(lead_id)
    assert gone.value.status_code == 404
    # AND a second lead with a taken email is a conflict
    with pytest.raises(KnowrithmAPIError) as duplicate:
        client.leads.create_lead({"first_name": "Vera", "last_name": "Again", "email": email})
    assert (duplicate.value.status_code, duplicate.value.error_code) == (409, "conflict")


def test_company_users_and_api_keys(local_stack: LocalStack) -> None:
    # GIVEN a new company with its first user (its admin), made through the public routes
    domain = f"{unique('co')}.example"
    with KnowrithmClient(base_url=local_stack.base_url) as anonymous:
        company = anonymous.companies.create_company({"name": "SDK Co", "email": f"owner@{domain}"})
        user = anonymous.auth.register(
            {
                "company_id": company["id"],
                "email": f"admin@{domain}",
                "username": "sdk-admin",
                "password": PASSWORD,
                "first_name": "Ada",
                "last_name": "Admin",
            }
        )
        session = anonymous.auth.login(f"admin@{domain}", PASSWORD)
        with pytest.raises(KnowrithmAPIError) as bad_login:
            anonymous.auth.login(f"admin@{domain}", "wrong password")
    assert company["company"]["id"] == company["id"]
    assert user["user"]["role"] == "admin"
    assert bad_login.value.status_code == 401

    # WHEN the admin uses its access token
    with KnowrithmClient(base_url=local_stack.base_url, bearer_token=session["access_token"]) as admin:
        me = admin.auth.get_current_user()
        validated = admin.auth.validate_credentials()
        refreshed = admin.auth.refresh_access_token(session["refresh_token"])
        created = admin.api_keys.create_api_key({"name": "sdk", "scopes": ["read", "write"]})
        listed = admin.api_keys.list_api_keys()
        # THEN it sees itself and can issue a working API key
        assert me["user"]["email"] == f"admin@{domain}"
        assert (validated["principal_type"], validated["company"]["id"]) == ("user", company["id"])
        assert refreshed["access_token"] and refreshed["user"]["id"] == user["user"]["id"]
        assert created["api_key"].startswith("ak_") and created["api_secret"].startswith("as_")
        assert created["details"]["id"] in [k["id"] for k in listed["api_keys"]]
        with KnowrithmClient(created["api_key"], created["api_secret"], base_url=local_stack.base_url) as keyed:
            assert keyed.companies.get_company()["id"] == company["id"]
            key_info = keyed.api_keys.validate_credentials()["api_key_info"]
            assert key_info is not None and key_info["scopes"] == ["read", "write"]
            # WHEN the key is revoked / THEN it stops working
            assert admin.api_keys.delete_api_key(created["details"]["id"])["id"] == created["details"]["id"]
            with pytest.raises(KnowrithmAPIError) as revoked:
                keyed.companies.get_company()
            assert (revoked.value.status_code, revoked.value.error_code) == (401, "unauthorized")


def test_bad_credentials_are_401(local_stack: LocalStack) -> None:
    # GIVEN a client with a wrong secret / WHEN it calls an authenticated route / THEN a 401 is raised
    wrong = KnowrithmClient(local_stack.api_key, "as_wrong", base_url=local_stack.base_url)
    with wrong, pytest.raises(KnowrithmAPIError) as caught:
        wrong.agents.list_agents()
    assert (caught.value.status_code, caught.value.error_code) == (401, "unauthorized")
