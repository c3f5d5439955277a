"""Human handoff through the SDK against the local stack: handoff, a silent bot, an operator reply, release,
and the events a webhook receiver gets for them (outbox -> stream -> fan-out -> delivery, over loopback)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from knowrithm_py.errors import KnowrithmAPIError
from knowrithm_py.knowrithm.client import KnowrithmClient
from tests.integration.test_sdk import LocalStack
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.integration

EVENTS = ["conversation.handoff", "message.sent", "conversation.released", "message.received"]


@pytest.fixture
def client(local_stack: LocalStack) -> Iterator[KnowrithmClient]:
    with KnowrithmClient(local_stack.api_key, local_stack.api_secret, base_url=local_stack.base_url) as sdk:
        yield sdk


@pytest.fixture
def receiver(client: KnowrithmClient) -> Iterator[Receiver]:
    receiver = Receiver()
    endpoint = client.webhooks.create_endpoint(receiver.url, events=EVENTS)["webhook"]["id"]
    yield receiver
    client.webhooks.delete_endpoint(endpoint)
    receiver.close()


def test_handoff_reply_and_release_with_the_sdk(
    client: KnowrithmClient, local_stack: LocalStack, receiver: Receiver
) -> None:
    # GIVEN a conversation with the stack's agent
    conversation_id = client.conversations.create_conversation(local_stack.agent_id)["id"]
    # WHEN Maya takes it over
    state = client.conversations.handoff(conversation_id, assignee={"name": "Maya"}, reason="VIP")
    assert state["handoff"] and state["handoff"]["assignee"] == {"name": "Maya", "email": None}
    # THEN the visitor's message gets no bot answer
    held = client.messages.send_message(conversation_id, "Is anyone there?")
    assert held["response"] is None and held["handoff"] and held["handoff"]["reason"] == "VIP"
    # WHEN she replies
    marker = uuid.uuid4().hex
    reply = client.conversations.reply(conversation_id, f"Yes, Maya here ({marker}).")
    # THEN the operator message is stored with her name
    messages = client.conversations.list_conversation_messages(conversation_id)["messages"]
    assert [m["role"] for m in messages] == ["user", "operator"]
    assert messages[-1]["author"] == {"name": "Maya", "email": None}
    assert messages[-1]["id"] == reply["message_id"]
    # AND a webhook receiver gets conversation.handoff and message.sent
    got = receiver.wait_for(lambda hooks: any(marker in str(h.json["data"].get("content")) for h in hooks), 15)
    assert {h.json["event"] for h in got} >= {"conversation.handoff", "message.sent", "message.received"}
    # WHEN she releases it THEN the bot answers again and conversation.released arrives
    assert client.conversations.release(conversation_id)["handoff"] is None
    answered = client.messages.send_message(conversation_id, "How long does shipping take?")
    assert answered["response"]
    receiver.wait_for(lambda hooks: any(h.json["event"] == "conversation.released" for h in hooks), 15)
    # AND replying or releasing now is a clear 409
    for call in (
        lambda: client.conversations.reply(conversation_id, "late"),
        lambda: client.conversations.release(conversation_id),
    ):
        with pytest.raises(KnowrithmAPIError) as refused:
            call()
        assert refused.value.status_code == 409


def test_an_unknown_conversation_is_404(client: KnowrithmClient) -> None:
    with pytest.raises(KnowrithmAPIError) as missing:
        client.conversations.handoff(str(uuid.uuid4()), assignee={"name": "Maya"})
    assert missing.value.status_code == 404 and missing.value.error_code == "not_found"
