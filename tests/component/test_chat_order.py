"""Concurrent chat turns on one conversation are answered in order, each seeing the turns before it."""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from knowrithm_core.container import Services
from knowrithm_core.errors import ConversationBusy
from knowrithm_core.models.resources import Agent
from knowrithm_core.responder import Answer, Responder, Turn
from knowrithm_core.services.chat import ChatService
from knowrithm_core.services.turn_order import TurnConflict, TurnLocks, in_turn
from tests.stack import Tenant, new_conversation

THREADS, TURNS = 4, 5


def _stored_messages(client: TestClient, tenant: Tenant, conversation_id: str) -> list[dict[str, Any]]:
    """Every stored message of the conversation, oldest first (all pages)."""
    messages: list[dict[str, Any]] = []
    for page in range(1, 100):
        path = f"/api/v1/conversation/{conversation_id}/messages?per_page=100&page={page}"
        response = client.get(path, headers=tenant.admin_headers)
        assert response.status_code == 200, response.text
        batch = response.json()["messages"]
        messages += batch
        if len(batch) < 100:
            return messages
    raise AssertionError("more than 9,900 messages")


@pytest.fixture
def serialized_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's DynamoDB under one lock (it is not thread-safe; real DynamoDB needs none), and a wait bound
    that a loaded CI machine cannot exhaust (this test is about order, not speed)."""
    from local.moto_safety import serialize_dynamodb

    serialize_dynamodb()
    monkeypatch.setenv("CHAT_TURN_WAIT_SECONDS", "60")


def test_concurrent_turns_on_one_conversation_are_all_answered_in_order(
    serialized_moto: None, services: Services, client: TestClient, tenant: Tenant
) -> None:
    # GIVEN one conversation and THREADS clients that each send TURNS messages to it at the same time
    conversation_id = new_conversation(client, tenant)
    path = f"/api/v1/conversation/{conversation_id}/chat"

    def talk(worker: int) -> list[tuple[int, str]]:
        answers = []
        for turn in range(TURNS):
            question = f"client {worker} question {turn}: how long does shipping take?"
            response = client.post(path, json={"message": question}, headers=tenant.admin_headers)
            answers.append((response.status_code, question))
        return answers

    with ThreadPoolExecutor(THREADS) as pool:
        results = [item for batch in pool.map(talk, range(THREADS)) for item in batch]

    # THEN every turn got a 2xx (no 409)
    assert [status for status, _ in results] == [200] * (THREADS * TURNS)
    # AND the stored messages alternate user/assistant, each answer replying to the question just before it
    messages = _stored_messages(client, tenant, conversation_id)
    assert len(messages) == 2 * THREADS * TURNS
    assert [m["role"] for m in messages] == ["user", "assistant"] * (THREADS * TURNS)
    for question, reply in zip(messages[::2], messages[1::2], strict=True):
        assert reply["reply_to"] == question["id"]
    # AND every question was asked exactly once
    assert sorted(m["content"] for m in messages[::2]) == sorted(q for _, q in results)


def other_container(services: Services, tenant: Tenant, conversation_id: str, text: str) -> Any:
    """A turn sent through a second ChatService (another warm function: its own turn locks) on the same table."""
    chat = ChatService(services.conversations, services.chat.responder, services.tasks)
    principal = services.auth.authenticate({"authorization": f"Bearer {tenant.admin_token}"})
    assert principal is not None
    return lambda: chat.send(principal, conversation_id, {"message": text})


@dataclass
class Interjecting:
    """A responder that, while answering the first question, lets another process's turn on the same
    conversation commit first (a real concurrent write), and records the history of every answer."""

    inner: Responder
    interject: Any
    histories: list[list[str]] = field(default_factory=list)
    name: str = "interjecting"
    slow: bool = False

    def answer(self, agent: Agent, question: str, history: Sequence[Turn]) -> Answer:
        self.histories.append([turn.content for turn in history])
        if self.interject is not None:
            interject, self.interject = self.interject, None
            interject()
        return self.inner.answer(agent, question, history)


def test_a_turn_that_lost_the_race_rereads_and_answers_after_the_earlier_turn(
    services: Services, client: TestClient, tenant: Tenant
) -> None:
    # GIVEN a turn during whose answering another turn on the same conversation commits
    conversation_id = new_conversation(client, tenant)
    path = f"/api/v1/conversation/{conversation_id}/chat"
    responder = Interjecting(
        services.chat.responder, other_container(services, tenant, conversation_id, "first, committed meanwhile")
    )
    services.chat.responder = responder
    # WHEN it commits
    response = client.post(path, json={"message": "second, retried"}, headers=tenant.admin_headers)
    # THEN it is answered (no 409), after re-reading: its final history holds the earlier turn
    assert response.status_code == 200, response.text
    assert responder.histories[0] == [] and "first, committed meanwhile" in responder.histories[-1]
    contents = [m["content"] for m in _stored_messages(client, tenant, conversation_id)]
    assert contents[0] == "first, committed meanwhile" and contents[2] == "second, retried"


def test_past_the_wait_bound_the_turn_is_a_409_with_retry_after_and_writes_nothing(
    services: Services, client: TestClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN no time to wait, and a turn that loses the race to another one
    import dataclasses

    services.chat.settings = dataclasses.replace(services.chat.settings, chat_turn_wait_seconds=0.0)
    conversation_id = new_conversation(client, tenant)
    path = f"/api/v1/conversation/{conversation_id}/chat"
    services.chat.responder = Interjecting(
        services.chat.responder, other_container(services, tenant, conversation_id, "the winner")
    )
    # WHEN it commits
    response = client.post(path, json={"message": "the loser"}, headers=tenant.admin_headers)
    # THEN it is a 409 conversation_busy with Retry-After, and only the winner's turn is stored
    assert response.status_code == 409 and response.headers["Retry-After"] == "1"
    body = response.json()
    assert body["error_code"] == "conversation_busy" and body["detail"] and body["error"] and body["message"]
    assert [m["content"] for m in _stored_messages(client, tenant, conversation_id)][::2] == ["the winner"]


def test_turns_in_one_process_wait_for_the_conversation_lock_within_the_bound() -> None:
    # GIVEN a turn of one conversation holding its lock in this process
    locks = TurnLocks()
    held = locks.get("company/conversation")
    held.lock.acquire()
    try:
        # THEN a second turn of the same conversation waits at most the bound, then is busy
        started = time.monotonic()
        with pytest.raises(ConversationBusy):
            in_turn(lambda: "answered", 0.2, locks, key="company/conversation")
        assert time.monotonic() - started >= 0.2
        # AND a turn of another conversation does not wait
        assert in_turn(lambda: "answered", 0.0, locks, key="company/other") == "answered"
    finally:
        held.lock.release()
    assert in_turn(lambda: "answered", 0.0, locks, key="company/conversation") == "answered"


def test_the_wait_is_bounded_and_backs_off() -> None:
    # GIVEN a turn that always loses
    pauses: list[float] = []

    def always_conflicts() -> None:
        raise TurnConflict("lost")

    def sleep(pause: float) -> None:
        pauses.append(pause)
        time.sleep(pause)

    # WHEN it is retried within a 0.5 s bound
    with pytest.raises(ConversationBusy) as caught:
        in_turn(always_conflicts, 0.5, sleep=sleep)
    # THEN it gave up with Retry-After after several tries, each pause within its exponential cap, in the bound
    assert len(pauses) >= 2 and sum(pauses) <= 0.5
    assert caught.value.retry_after == 1 and caught.value.status_code == 409
    assert pauses and all(0 <= p <= min(0.4, 0.02 * 2**i) for i, p in enumerate(pauses))
