"""Queued chat: ``POST /chat`` answers 202 with a pending task and ChatWorkerFunction answers it later."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from chat_worker.handler import lambda_handler
from fastapi.testclient import TestClient

from knowrithm_core.container import Services
from knowrithm_core.models.resources import Agent
from knowrithm_core.responder import Answer, Turn
from knowrithm_core.responder.bedrock import UNAVAILABLE, BedrockResponder
from knowrithm_core.services.chat_worker import RetryLater, retry_delay
from local.template import Stack
from tests.sqs_pump import pump
from tests.stack import Tenant, dynamodb_calls, missing_dynamodb_actions, new_conversation

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"


class SlowResponder:
    """A responder that answers like a model would (slowly, per the ``slow`` flag), from a script."""

    name = "scripted"
    slow = True

    def __init__(self, script: Sequence[Answer | Exception] = ()) -> None:
        self.script = list(script)
        self.questions: list[tuple[str, list[Turn]]] = []
        self.before_answer: Callable[[], None] | None = None

    def answer(self, agent: Agent, question: str, history: Sequence[Turn]) -> Answer:
        self.questions.append((question, list(history)))
        if self.before_answer:
            hook, self.before_answer = self.before_answer, None
            hook()
        step = self.script.pop(0) if self.script else Answer(f"Answer to: {question}", True, "scripted-model", 0.9)
        if isinstance(step, Exception):
            raise step
        return step


@pytest.fixture
def slow(services: Services) -> Iterator[SlowResponder]:
    original = services.chat.responder
    services.chat.responder = SlowResponder()
    yield services.chat.responder  # type: ignore[misc]
    services.chat.responder = original


@pytest.fixture
def retry_delays(services: Services, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The delays the worker asks SQS for; the retry is then made visible at once (time passes instantly)."""
    queue = services.chat.queue
    assert queue is not None
    asked: list[int] = []
    hide = queue.delay

    def delay(receipt_handle: str, seconds: int) -> None:
        asked.append(seconds)
        hide(receipt_handle, 0)

    monkeypatch.setattr(queue, "delay", delay)
    return asked


def _chat(client: TestClient, tenant: Tenant, conversation_id: str, message: str, **headers: str) -> Any:
    return client.post(
        f"/api/v1/conversation/{conversation_id}/chat",
        json={"message": message},
        headers={**tenant.key_headers, **headers},
    )


def _work(services: Services, rounds: int = 1) -> dict[str, int]:
    assert services.settings.chat_queue_url
    return pump(services.settings.chat_queue_url, lambda_handler, "ChatWorkerFunction", rounds=rounds)


def _status(client: TestClient, tenant: Tenant, task_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/tasks/{task_id}/status", headers=tenant.key_headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _messages(client: TestClient, tenant: Tenant, conversation_id: str) -> list[dict[str, Any]]:
    page = client.get(f"/api/v1/conversation/{conversation_id}/messages", headers=tenant.key_headers).json()
    messages: list[dict[str, Any]] = page["messages"]
    return messages


def _events(services: Services, company_id: str, event: str) -> list[dict[str, Any]]:
    return [e for e in services.table.query(f"COMPANY#{company_id}#EVENTS") if e["event"] == event]


def test_a_slow_responder_queues_the_turn_and_the_worker_answers_it(
    client: TestClient, services: Services, tenant: Tenant, slow: SlowResponder
) -> None:
    # GIVEN an agent answered by a slow responder
    conversation_id = new_conversation(client, tenant)
    # WHEN a message is sent without asking for async
    ack = _chat(client, tenant, conversation_id, "Do you ship to Norway?")
    # THEN it is acknowledged with a pending task, the question is stored and nothing is answered yet
    assert ack.status_code == 202, ack.text
    body = ack.json()
    assert body["status"] == "queued" and body["conversation_id"] == conversation_id
    assert body["status_url"].startswith("http") and body["status_url"].endswith(f"/tasks/{body['task_id']}/status")
    assert body["poll_url"] == f"/v1/conversation/{conversation_id}/messages"
    pending = _status(client, tenant, body["task_id"])
    assert pending["status"] == "pending" and pending["state"] == "PENDING" and "result" not in pending
    assert [m["role"] for m in _messages(client, tenant, conversation_id)] == ["user"]
    assert slow.questions == []
    assert len(_events(services, tenant.company_id, "message.received")) == 1
    # WHEN ChatWorkerFunction takes the queued turn
    assert _work(services) == {"handled": 1, "failed": 0}
    # THEN the task holds the whole result, the answer replies to the question and every counter saw 2 messages
    done = _status(client, tenant, body["task_id"])
    assert done["status"] == "completed" and done["state"] == "SUCCESS" and "error" not in done
    result = done["result"]
    assert result["message_id"] == body["message_id"] and result["response"] == "Answer to: Do you ship to Norway?"
    assert result["history"][-1]["assistant_response"] == result["response"]
    messages = _messages(client, tenant, conversation_id)
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert messages[0]["id"] == body["message_id"] and messages[1]["reply_to"] == body["message_id"]
    assert _message_count(client, tenant, conversation_id) == 2
    stats = client.get(f"/api/v1/agent/{tenant.agent_id}/stats", headers=tenant.key_headers).json()
    assert stats["total_messages"] == 2
    usage = client.get("/api/v1/analytic/usage", headers=tenant.key_headers).json()
    (row,) = [r for r in usage["agent_usage"] if r["agent_id"] == tenant.agent_id]
    assert row["chat_turns"] == 1 and row["messages"] == 2


def _message_count(client: TestClient, tenant: Tenant, conversation_id: str) -> int:
    body = client.get(f"/api/v1/conversation/{conversation_id}", headers=tenant.key_headers).json()
    return int(body["conversation"]["message_count"])


def test_the_extractive_responder_still_answers_inline(client: TestClient, services: Services, tenant: Tenant) -> None:
    # GIVEN the default (fast) responder
    conversation_id = new_conversation(client, tenant)
    # WHEN a message is sent
    response = _chat(client, tenant, conversation_id, "shipping time?")
    # THEN it is answered in the response and nothing is queued
    assert response.status_code == 200 and response.json()["status"] == "completed"
    assert "task_id" not in response.json()
    assert _work(services) == {"handled": 0, "failed": 0}


def test_prefer_respond_async_goes_through_the_queue_for_any_responder(
    client: TestClient, services: Services, tenant: Tenant
) -> None:
    # GIVEN the extractive responder and a client that prefers to poll
    conversation_id = new_conversation(client, tenant)
    ack = _chat(client, tenant, conversation_id, "shipping time?", Prefer="respond-async")
    assert ack.status_code == 202
    task_id = ack.json()["task_id"]
    assert _status(client, tenant, task_id)["status"] == "pending"
    # WHEN the worker runs
    _work(services)
    # THEN the status holds the extractive answer, also under the legacy path
    for path in (f"/api/v1/tasks/{task_id}/status", f"/v1/tasks/{task_id}/status"):
        status = client.get(path, headers=tenant.key_headers).json()
        assert status["status"] == "completed"
        assert "business days" in status["result"]["history"][-1]["assistant_response"]


@pytest.mark.parametrize(
    ("mode", "prefer", "expected"),
    [("inline", "respond-async", "completed-task"), ("async", "", "queued"), ("auto", "", "inline")],
)
def test_chat_mode_decides_when_to_queue(
    client: TestClient, services: Services, tenant: Tenant, mode: str, prefer: str, expected: str
) -> None:
    # GIVEN CHAT_MODE set to ``mode`` (extractive responder)
    services.chat.settings = replace(services.chat.settings, chat_mode=mode)
    conversation_id = new_conversation(client, tenant)
    # WHEN a message is sent (with or without Prefer: respond-async)
    response = _chat(client, tenant, conversation_id, "shipping time?", **({"Prefer": prefer} if prefer else {}))
    # THEN it is inline, inline with a finished task, or queued
    body = response.json()
    if expected == "inline":
        assert response.status_code == 200 and body["status"] == "completed"
    else:
        assert response.status_code == 202 and body["status"] == "queued"
        status = _status(client, tenant, body["task_id"])["status"]
        assert status == ("completed" if expected == "completed-task" else "pending")
    roles = [m["role"] for m in _messages(client, tenant, conversation_id)]
    assert roles == (["user"] if expected == "queued" else ["user", "assistant"])


def test_a_redelivered_turn_is_answered_once(
    client: TestClient, services: Services, tenant: Tenant, slow: SlowResponder
) -> None:
    # GIVEN a queued turn whose queue message arrives twice (at-least-once delivery)
    conversation_id = new_conversation(client, tenant)
    ack = _chat(client, tenant, conversation_id, "Is the mug dishwasher safe?").json()
    url = services.settings.chat_queue_url
    assert url
    sqs = boto3.client("sqs")
    body = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"][0]["Body"]
    sqs.send_message(QueueUrl=url, MessageBody=body)
    # WHEN the worker handles both copies
    assert _work(services, rounds=3)["failed"] == 0
    # THEN there is one answer, one completed task and the counters saw the turn once
    assert [m["role"] for m in _messages(client, tenant, conversation_id)] == ["user", "assistant"]
    assert len(slow.questions) == 1
    assert _status(client, tenant, ack["task_id"])["status"] == "completed"
    stats = client.get(f"/api/v1/agent/{tenant.agent_id}/stats", headers=tenant.key_headers).json()
    assert stats["total_messages"] == 2


def test_the_worker_answers_with_the_history_before_the_question(
    client: TestClient, services: Services, tenant: Tenant, slow: SlowResponder
) -> None:
    # GIVEN two queued questions in a row, neither answered yet
    conversation_id = new_conversation(client, tenant)
    _chat(client, tenant, conversation_id, "first question")
    _chat(client, tenant, conversation_id, "second question")
    # WHEN the worker answers them one at a time
    assert services.settings.chat_queue_url
    pump(services.settings.chat_queue_url, lambda_handler, "ChatWorkerFunction", rounds=2, batch=1)
    # THEN each was asked with only what came before it, and both answers are stored
    asked = {question: [t.content for t in history] for question, history in slow.questions}
    assert asked == {"first question": [], "second question": ["first question"]}
    roles = [m["role"] for m in _messages(client, tenant, conversation_id)]
    assert sorted(roles) == ["assistant", "assistant", "user", "user"]
    assert _message_count(client, tenant, conversation_id) == 4


def test_a_message_arriving_while_the_model_thinks_does_not_lose_the_answer(
    client: TestClient, services: Services, tenant: Tenant, slow: SlowResponder
) -> None:
    # GIVEN a queued turn, and another message that lands while the model is answering it
    conversation_id = new_conversation(client, tenant)
    ack = _chat(client, tenant, conversation_id, "question one").json()
    slow.before_answer = lambda: _chat(client, tenant, conversation_id, "question two")
    # WHEN the worker writes its answer (its first write conflicts with the newer message)
    assert services.settings.chat_queue_url
    pump(services.settings.chat_queue_url, lambda_handler, "ChatWorkerFunction", rounds=1, batch=1)
    # THEN it re-reads the conversation and the answer is stored with consistent counters
    assert _status(client, tenant, ack["task_id"])["status"] == "completed"
    assert _message_count(client, tenant, conversation_id) == 3  # two questions, one answer so far


def test_a_transient_bedrock_failure_is_retried_then_answered(
    client: TestClient, services: Services, tenant: Tenant, retry_delays: list[int]
) -> None:
    # GIVEN the Bedrock responder, throttled once and then answering
    bedrock_client = boto3.client("bedrock-runtime", region_name="us-east-1")
    original = services.chat.responder
    services.chat.responder = BedrockResponder(None, client=bedrock_client, model_id=MODEL)
    try:
        conversation_id = new_conversation(client, tenant)
        with Stubber(bedrock_client) as stub:
            stub.add_client_error("converse", service_error_code="ThrottlingException", http_status_code=400)
            reply = {
                "output": {"message": {"role": "assistant", "content": [{"text": "Yes, we ship to Norway."}]}},
                "stopReason": "end_turn",
                "usage": {"inputTokens": 10, "outputTokens": 6, "totalTokens": 16},
                "metrics": {"latencyMs": 120},
            }
            stub.add_response("converse", reply)
            # WHEN a visitor asks (queued, because Bedrock is slow) and the worker runs twice
            ack = _chat(client, tenant, conversation_id, "Do you ship to Norway?")
            assert ack.status_code == 202
            first = _work(services)
            processing = _status(client, tenant, ack.json()["task_id"])
            second = _work(services)
            stub.assert_no_pending_responses()
    finally:
        services.chat.responder = original
    # THEN the first attempt asked SQS to retry (task processing) and the second stored the real answer
    assert first == {"handled": 0, "failed": 1} and processing["status"] == "processing"
    assert retry_delays == [5]  # back in seconds, not after the queue's visibility timeout
    assert processing["state"] == "STARTED"
    assert second == {"handled": 1, "failed": 0}
    done = _status(client, tenant, ack.json()["task_id"])
    assert done["result"]["response"] == "Yes, we ship to Norway."


def test_on_the_last_attempt_the_model_failure_is_the_answer(
    client: TestClient, services: Services, tenant: Tenant, slow: SlowResponder, retry_delays: list[int]
) -> None:
    # GIVEN a model that fails transiently on every attempt
    transient = Answer(UNAVAILABLE, False, MODEL, transient=True)
    slow.script = [transient] * services.settings.chat_max_attempts
    conversation_id = new_conversation(client, tenant)
    ack = _chat(client, tenant, conversation_id, "Do you ship to Norway?").json()
    # WHEN SQS delivers it as many times as the queue allows
    outcome = _work(services, rounds=services.settings.chat_max_attempts)
    # THEN only the last attempt is handled, storing the apology as an unanswered reply
    assert outcome == {"handled": 1, "failed": services.settings.chat_max_attempts - 1}
    assert retry_delays == [5, 10]  # backing off between attempts
    done = _status(client, tenant, ack["task_id"])
    assert done["status"] == "completed" and done["result"]["response"] == UNAVAILABLE
    assert done["result"]["assistant_message"]["metadata"]["answered"] is False


def test_a_turn_that_fails_every_attempt_fails_its_task_with_a_reason(
    client: TestClient, services: Services, tenant: Tenant, slow: SlowResponder, stack: Stack
) -> None:
    # GIVEN a responder that crashes every time
    attempts = services.settings.chat_max_attempts
    slow.script = [RuntimeError("boom")] * attempts
    conversation_id = new_conversation(client, tenant)
    ack = _chat(client, tenant, conversation_id, "Do you ship to Norway?").json()
    # WHEN every attempt is used
    outcome = _work(services, rounds=attempts + 1)
    # THEN the task says why (never a stack trace), and the question is still stored
    assert outcome["handled"] == 0 and outcome["failed"] == attempts
    failed = _status(client, tenant, ack["task_id"])
    assert failed["status"] == "failed" and failed["state"] == "FAILURE"
    assert failed["error"]["code"] == "chat_failed" and "boom" not in str(failed)
    assert [m["role"] for m in _messages(client, tenant, conversation_id)] == ["user"]


def test_a_conversation_deleted_before_the_answer_fails_the_task_without_retrying(
    client: TestClient, services: Services, tenant: Tenant, slow: SlowResponder
) -> None:
    # GIVEN a queued turn whose conversation is deleted before the worker runs
    conversation_id = new_conversation(client, tenant)
    ack = _chat(client, tenant, conversation_id, "hello?").json()
    assert client.delete(f"/api/v1/conversation/{conversation_id}", headers=tenant.key_headers).status_code == 200
    # WHEN the worker takes it
    outcome = _work(services)
    # THEN the task fails with not_found, the message is not retried and the model was never asked
    assert outcome == {"handled": 1, "failed": 0}
    failed = _status(client, tenant, ack["task_id"])
    assert failed["status"] == "failed" and failed["error"]["code"] == "not_found"
    assert slow.questions == []


def test_asking_for_a_human_escalates_at_once_and_only_once(
    client: TestClient, services: Services, tenant: Tenant, slow: SlowResponder
) -> None:
    # GIVEN a queued turn in which the visitor asks for a person
    conversation_id = new_conversation(client, tenant)
    ack = _chat(client, tenant, conversation_id, "Can I talk to a human please?").json()
    # THEN the hand-over is reported before any answer exists
    events = _events(services, tenant.company_id, "conversation.escalated")
    assert len(events) == 1 and events[0]["data"]["reason"] == "visitor_requested_human"
    assert events[0]["data"]["message"]["id"] == ack["message_id"]
    # WHEN the worker answers
    _work(services)
    # THEN the answer is marked escalated but no second event is written
    assert len(_events(services, tenant.company_id, "conversation.escalated")) == 1
    answer = _status(client, tenant, ack["task_id"])["result"]["assistant_message"]
    assert answer["metadata"]["escalated"] is True


def test_unanswered_queued_turns_escalate_from_the_worker(
    client: TestClient, services: Services, tenant: Tenant, slow: SlowResponder
) -> None:
    # GIVEN a threshold of 2 and a model that cannot answer
    services.chat.settings = replace(services.chat.settings, escalate_after_unanswered=2)
    slow.script = [Answer("I don't know.", False, "scripted-model")] * 2
    conversation_id = new_conversation(client, tenant)
    # WHEN two questions are queued and answered one after the other
    for question in ("first?", "second?"):
        _chat(client, tenant, conversation_id, question)
        _work(services)
    # THEN the second answer escalates once, from the worker
    events = _events(services, tenant.company_id, "conversation.escalated")
    assert [e["data"]["reason"] for e in events] == ["unanswered_questions"]
    assert events[0]["data"]["message"]["content"] == "second?"


def test_a_queue_that_refuses_gives_503_and_a_failed_task(
    client: TestClient, services: Services, tenant: Tenant, slow: SlowResponder
) -> None:
    # GIVEN the chat queue is gone
    conversation_id = new_conversation(client, tenant)
    assert services.settings.chat_queue_url
    boto3.client("sqs").delete_queue(QueueUrl=services.settings.chat_queue_url)
    # WHEN a message is sent
    response = _chat(client, tenant, conversation_id, "anyone there?")
    # THEN the client is told to retry (a clear 503, no trace), and the question itself is kept
    assert response.status_code == 503
    assert set(response.json()) >= {"detail", "error", "message", "error_code"}
    assert "Traceback" not in response.text
    assert [m["content"] for m in _messages(client, tenant, conversation_id)] == ["anyone there?"]


def test_another_tenant_cannot_see_a_queued_task(
    client: TestClient, services: Services, tenant: Tenant, other_tenant: Tenant, slow: SlowResponder
) -> None:
    # GIVEN a queued turn of one tenant
    conversation_id = new_conversation(client, tenant)
    ack = _chat(client, tenant, conversation_id, "hello").json()
    # WHEN another tenant polls it
    response = client.get(f"/api/v1/tasks/{ack['task_id']}/status", headers=other_tenant.key_headers)
    # THEN it does not exist for them
    assert response.status_code == 404


def test_malformed_queue_messages_go_to_the_dlq_at_once(services: Services, stack: Stack) -> None:
    # GIVEN garbage on the chat queue: not JSON, not an object, an object without the turn's fields
    assert services.settings.chat_queue_url
    sqs = boto3.client("sqs")
    bodies = {"not json", "[]", '{"company_id": "x"}'}
    for body in bodies:
        sqs.send_message(QueueUrl=services.settings.chat_queue_url, MessageBody=body)
    # WHEN the worker runs
    outcome = _work(services, rounds=2)
    # THEN none is retried: each is in ChatDLQ after one receive, unchanged
    assert outcome == {"handled": 3, "failed": 0}
    dlq = sqs.get_queue_url(QueueName=stack.physical_name("ChatDLQ"))["QueueUrl"]
    dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
    assert {m["Body"] for m in dead} == bodies


def test_the_chat_queue_agrees_with_the_worker(template: dict[str, Any]) -> None:
    # GIVEN the template's chat queue and worker
    resources = template["Resources"]
    queue = resources["ChatQueue"]["Properties"]
    worker = resources["ChatWorkerFunction"]["Properties"]
    # THEN a turn is not redelivered while it is still being answered, the DLQ comes after the last attempt
    # (the one that stores the model's failure or fails the task), and the conversations function may send to the queue
    assert queue["VisibilityTimeout"] >= 6 * worker["Timeout"]
    attempts = int(worker["Environment"]["Variables"]["CHAT_MAX_ATTEMPTS"])
    assert queue["RedrivePolicy"]["maxReceiveCount"] == attempts
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["ChatDLQ", "Arn"]}
    source = worker["Events"]["Chat"]["Properties"]
    assert source["Queue"] == {"Fn::GetAtt": ["ChatQueue", "Arn"]}
    assert "ReportBatchItemFailures" in source["FunctionResponseTypes"]
    api_policies = resources["ApiConversationsFunction"]["Properties"]["Policies"]
    assert {"SQSSendMessagePolicy": {"QueueName": {"Fn::GetAtt": ["ChatQueue", "QueueName"]}}} in api_policies


def test_a_queued_turn_costs_three_requests_in_the_api_and_six_in_the_worker(
    client: TestClient, services: Services, tenant: Tenant, slow: SlowResponder, template: dict[str, Any]
) -> None:
    # GIVEN a conversation and a caller whose credentials need no look-up (a user's JWT)
    conversation_id = new_conversation(client, tenant)
    # WHEN a turn is queued, then answered by the worker
    with dynamodb_calls(services) as in_api:
        ack = client.post(
            f"/api/v1/conversation/{conversation_id}/chat", json={"message": "hi"}, headers=tenant.admin_headers
        )
    with dynamodb_calls(services) as calls:
        _work(services)
    # THEN the API read the conversation and the agent and wrote one transaction; the worker read the task,
    # the conversation and the agent, marked the task processing (one conditional UpdateItem: a lone write needs
    # no transaction) and wrote the answer in one transaction
    assert ack.status_code == 202
    assert in_api == ["Query", "Query", "TransactWriteItems"], in_api
    assert calls.count("TransactWriteItems") == 1 and calls.count("UpdateItem") == 1 and len(calls) <= 6, calls
    assert missing_dynamodb_actions(template, "ApiConversationsFunction", in_api) == set()  # IAM allows each
    assert missing_dynamodb_actions(template, "ChatWorkerFunction", calls) == set()
    assert _status(client, tenant, ack.json()["task_id"])["status"] == "completed"


def test_a_turn_to_retry_is_hidden_for_its_backoff_only(
    client: TestClient, services: Services, tenant: Tenant, slow: SlowResponder
) -> None:
    # GIVEN a model that is throttled
    slow.script = [Answer(UNAVAILABLE, False, MODEL, transient=True)]
    conversation_id = new_conversation(client, tenant)
    _chat(client, tenant, conversation_id, "Do you ship to Norway?")
    # WHEN the first attempt fails
    assert _work(services) == {"handled": 0, "failed": 1}
    # THEN the message is hidden (for 5 s, far less than the queue's 360 s visibility timeout)
    url = services.settings.chat_queue_url
    assert url
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"
    assert _work(services) == {"handled": 0, "failed": 0}
    assert retry_delay(RetryLater("throttled"), 1) == 5 and retry_delay(RetryLater("throttled"), 9) == 60
    assert retry_delay(RuntimeError("bug"), 1) is None  # unexpected failures wait the visibility timeout
