"""Queued chat on the local stack: a Bedrock agent's turn goes through ChatQueue and ChatWorkerFunction.

There is no Bedrock here (only loopback; boto3 is pointed at the moto server, which does not answer the
Converse API), so this is the failure path end to end: the request answers 202 at once, the worker is
refused by "Bedrock", retries after its short backoff (not the queue's 6-minute visibility timeout), and on
the last attempt stores the plain "unavailable" reply as the answer and completes the task.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

import pytest

from knowrithm_core.responder.bedrock import UNAVAILABLE
from knowrithm_py.knowrithm.client import KnowrithmClient

pytestmark = pytest.mark.integration

BEDROCK = {
    "llm_provider": "bedrock",
    "llm_model": "anthropic.claude-3-haiku-20240307-v1:0",
    "embedding_provider": "bedrock",
    "embedding_model": "amazon.titan-embed-text-v2:0",
}


class LocalStack(Protocol):
    base_url: str
    api_key: str
    api_secret: str


def test_a_bedrock_agents_turn_is_queued_and_finished_by_the_worker(local_stack: LocalStack) -> None:
    with KnowrithmClient(local_stack.api_key, local_stack.api_secret, base_url=local_stack.base_url) as client:
        # GIVEN an agent answered by Bedrock (a slow responder)
        agent = client.agents.create_agent({"name": "Bedrock helper", "description": "Mugs."}, settings=BEDROCK)
        conversation_id = client.conversations.create_conversation(agent["agent"]["id"])["id"]
        # WHEN a message is sent without asking for async
        started = time.monotonic()
        ack: dict[str, Any] = dict(client.messages.send_message(conversation_id, "Do you ship to Norway?", wait=False))
        acknowledged = time.monotonic() - started
        # THEN it is acknowledged at once with a task, and nothing is answered yet
        assert ack["status"] == "queued" and ack["status_url"].endswith(f"/tasks/{ack['task_id']}/status")
        assert acknowledged < 5
        # WHEN the worker has tried every attempt (5 s and 10 s apart)
        deadline, status = time.monotonic() + 60, {}
        while time.monotonic() < deadline:
            status = dict(client.tasks.get_task_status(ack["task_id"]))
            if status["status"] in ("completed", "failed"):
                break
            time.sleep(0.5)
        # THEN the task is completed with the plain unavailable reply, stored as the answer to the question
        assert status["status"] == "completed", status
        result = status["result"]
        assert result["response"] == UNAVAILABLE and result["message_id"] == ack["message_id"]
        assert result["assistant_message"]["metadata"]["answered"] is False
        messages = client.conversations.list_conversation_messages(conversation_id)["messages"]
        assert [m["role"] for m in messages] == ["user", "assistant"]
        assert time.monotonic() - started >= 15  # two backoffs of 5 s and 10 s
