"""Conversations, messages and tasks on the in-memory table: the repositories' reads, writes and conditions, and
the conversation, chat and chat-worker use cases end to end (no moto, no AWS)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from knowrithm_core.auth import Principal
from knowrithm_core.config import Settings
from knowrithm_core.container import Services
from knowrithm_core.errors import NotFound
from knowrithm_core.ids import iso, new_id
from knowrithm_core.models.resources import Agent, Conversation, Message
from knowrithm_core.pagination import PageRequest
from knowrithm_core.services.chat import ChatService
from knowrithm_core.services.chat_worker import ChatWorker
from knowrithm_core.store import keys
from knowrithm_core.store.expressions import Put
from knowrithm_core.store.memory import MemoryTable
from knowrithm_core.store.repositories.conversations import ConversationRepository
from knowrithm_core.store.table import TransactionConflict
from knowrithm_core.store.unit_of_work import UnitOfWork

COMPANY = "0190a000-0000-7000-8000-000000000001"
OTHER = "0190a000-0000-7000-8000-000000000002"


class CountingTable(MemoryTable):
    """The in-memory table, recording the name of every call (one call is one DynamoDB request)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        self.calls.append("get")
        return super().get(pk, sk)

    def query(self, pk: str, **kwargs: Any) -> list[dict[str, Any]]:
        self.calls.append("query")
        return super().query(pk, **kwargs)

    def write(self, ops: Sequence[Any]) -> None:
        self.calls.append("write")
        super().write(ops)


class ListQueue:
    """A chat queue that keeps what it is sent (the SQS boundary, in memory)."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(self, bodies: Sequence[dict[str, Any]]) -> None:
        self.sent.extend(bodies)

    def delay(self, receipt_handle: str, seconds: int) -> None:
        pass


def conversation(company_id: str = COMPANY, **fields: Any) -> Conversation:
    stamp = iso()
    values = {"id": new_id(), "created_at": stamp, "updated_at": stamp, "company_id": company_id, "agent_id": new_id()}
    return Conversation.model_validate({**values, **fields})


def message(of: Conversation, text: str, role: str = "user") -> Message:
    stamp = iso()
    return Message.model_validate(
        {
            "id": new_id(),
            "created_at": stamp,
            "updated_at": stamp,
            "company_id": of.company_id,
            "conversation_id": of.id,
            "agent_id": of.agent_id,
            "role": role,
            "content": text,
        }
    )


def stored(repo: ConversationRepository, *conversations: Conversation, messages: Sequence[Message] = ()) -> None:
    uow = UnitOfWork(repo.table)
    for c in conversations:
        repo.add(uow, c)
    for m in messages:
        repo.add_message(uow, m)
    uow.commit()


@pytest.fixture
def repo() -> ConversationRepository:
    return ConversationRepository(MemoryTable())


# --- ConversationRepository ---------------------------------------------------------------------------------
def test_a_conversation_is_added_once_and_read_back_as_a_model(repo: ConversationRepository) -> None:
    # GIVEN a stored conversation
    talk = conversation(title="Mugs")
    stored(repo, talk)
    # WHEN it is read, and added again with the same id
    found = repo.get(COMPANY, talk.id)
    with pytest.raises(TransactionConflict):
        stored(repo, talk)
    # THEN the model comes back, and the second add wrote nothing; another company sees nothing
    assert found == talk
    assert repo.get(OTHER, talk.id) is None


def test_a_save_needs_the_version_it_read_and_a_live_conversation(repo: ConversationRepository) -> None:
    # GIVEN a conversation at version 1
    talk = conversation()
    stored(repo, talk)
    newer = talk.model_copy(update={"title": "Renamed", "version": 2})
    # WHEN it is saved from a stale version, then from the right one
    stale = UnitOfWork(repo.table)
    repo.save(stale, newer, read_version=7)
    with pytest.raises(TransactionConflict):
        stale.commit()
    fresh = UnitOfWork(repo.table)
    repo.save(fresh, newer, read_version=1)
    fresh.commit()
    # THEN only the save from the version read went through
    assert repo.get(COMPANY, talk.id) == newer
    # AND a deleted conversation takes no live save, only a save that does not require it live (a restore)
    deleted = newer.model_copy(update={"deleted_at": iso(), "version": 3})
    uow = UnitOfWork(repo.table)
    repo.save(uow, deleted, read_version=2, live=False)
    uow.commit()
    live_save = UnitOfWork(repo.table)
    repo.save(live_save, deleted.model_copy(update={"version": 4}), read_version=3)
    with pytest.raises(TransactionConflict):
        live_save.commit()


def test_recent_reads_the_conversation_and_its_latest_messages_newest_first(repo: ConversationRepository) -> None:
    # GIVEN a conversation with five messages
    talk = conversation()
    said = [message(talk, f"m{n}") for n in range(5)]
    stored(repo, talk, messages=said)
    # WHEN the conversation and the latest messages are read with room for three items
    found, latest = repo.recent(COMPANY, talk.id, 3)
    # THEN one query gave the conversation and the two newest messages, newest first
    assert found == talk
    assert [m.content for m in latest] == ["m4", "m3"]
    assert repo.recent(COMPANY, new_id(), 3) == (None, [])


def test_messages_are_soft_deleted_and_restored_one_by_one_and_with_their_conversation(
    repo: ConversationRepository,
) -> None:
    # GIVEN a conversation with three messages, one deleted on its own
    talk = conversation()
    said = [message(talk, f"m{n}") for n in range(3)]
    stored(repo, talk, messages=said)
    repo.set_message(said[0], iso())
    # WHEN the conversation's deletion takes the rest, then its restore brings back what it took
    taken = repo.set_messages(talk, iso(), only_cascade=True)
    deleted_while_gone = {m.id for m in repo.deleted_messages(COMPANY)}
    brought_back = repo.set_messages(talk, None, only_cascade=True)
    # THEN the deletion took two, all three were on the deleted index, and the restore left the lone one deleted
    assert taken == 2 and brought_back == 2
    assert deleted_while_gone == {m.id for m in said}
    assert [m.id for m in repo.deleted_messages(COMPANY)] == [said[0].id]
    # AND a message is found by id for its company only, and restored on its own
    assert repo.find_message(OTHER, said[0].id) is None
    lone = repo.find_message(COMPANY, said[0].id)
    assert lone is not None and lone.deleted_at
    repo.set_message(lone, None)
    assert repo.deleted_messages(COMPANY) == []
    restored = repo.message(COMPANY, talk.id, said[0].id)
    assert restored is not None and restored.deleted_at is None and restored.is_active


def test_list_pages_by_company_agent_and_visitor_and_the_deleted_list(repo: ConversationRepository) -> None:
    # GIVEN three conversations of one agent (one a visitor's) and one of another agent
    agent_id, lead_id = new_id(), new_id()
    mine = [conversation(agent_id=agent_id, title=f"t{n}") for n in range(2)]
    visitors = conversation(agent_id=agent_id, entity_type="lead", entity_id=lead_id, title="visitor")
    elsewhere = conversation(title="elsewhere")
    stored(repo, *mine, visitors, elsewhere)
    first = PageRequest(1, 2)
    # WHEN the lists are read
    company_rows, company_page = repo.page(COMPANY, first, total=4)
    agent_rows, _ = repo.page(COMPANY, PageRequest(1, 10), agent_id=agent_id, total=3)
    lead_rows, _ = repo.page(COMPANY, PageRequest(1, 10), lead_id=lead_id, total=1)
    next_rows, _ = repo.page(COMPANY, first, total=4, cursor=company_page["next_cursor"])
    found, _ = repo.search(COMPANY, PageRequest(1, 10), lambda c: "visit" in c.title)
    # THEN each list holds its own, newest first, in pages with a cursor
    assert [c.title for c in company_rows + next_rows] == ["elsewhere", "visitor", "t1", "t0"]
    assert company_page["has_next"] and company_page["total"] == 4
    assert [c.title for c in agent_rows] == ["visitor", "t1", "t0"]
    assert [c.id for c in lead_rows] == [visitors.id] and repo.count_for_lead(COMPANY, lead_id) == 1
    assert [c.id for c in found] == [visitors.id]
    # AND a deleted conversation leaves the live lists for the deleted one
    uow = UnitOfWork(repo.table)
    repo.save(uow, visitors.model_copy(update={"deleted_at": iso(), "version": 2}), read_version=1, live=False)
    uow.commit()
    assert repo.count_for_lead(COMPANY, lead_id) == 0
    assert [c.id for c in repo.deleted(COMPANY)] == [visitors.id]


# --- the use cases, end to end on memory -------------------------------------------------------------------
@pytest.fixture
def services() -> Services:
    return Services(Settings(table_name="memory", chat_mode="inline"), CountingTable())


def admin(company_id: str = COMPANY) -> Principal:
    return Principal(
        kind="user", company_id=company_id, subject_id=new_id(), scopes=frozenset({"full_access"}), role="admin"
    )


def seed_agent(services: Services) -> str:
    """An agent item as the agents' repository stores it (the layout their component tests pin down)."""
    stamp = iso()
    agent = Agent(
        id=new_id(),
        company_id=COMPANY,
        name="Mugs",
        description="We sell mugs. Shipping takes 3 days.",
        created_at=stamp,
        updated_at=stamp,
    )
    services.table.write([Put({"PK": keys.company_pk(COMPANY), "SK": f"AGENT#{agent.id}", **agent.public()})])
    return agent.id


def test_a_conversation_lives_through_chat_delete_and_restore_on_memory(services: Services) -> None:
    # GIVEN an agent and a conversation with it
    agent_id = seed_agent(services)
    caller = admin()
    created = services.conversations.create(caller, {"agent_id": agent_id, "title": "Shipping"})
    conversation_id = created["conversation_id"]
    table: CountingTable = services.table  # type: ignore[assignment]
    # WHEN a turn is answered inline
    table.calls.clear()
    turn = services.chat.send(caller, conversation_id, {"message": "How long does shipping take?"})
    turn_calls = list(table.calls)
    # THEN it cost three requests (conversation + messages; agent, counters and knowledge manifest; one transaction)
    assert turn_calls == ["query", "query", "write"], turn_calls
    assert turn["assistant_message"]["content"]
    listed = services.conversations.messages(caller, conversation_id, {})
    assert [m["role"] for m in listed["messages"]] == ["user", "assistant"] and listed["total"] == 2
    stats = table.get(keys.company_pk(COMPANY), f"AGENT#{agent_id}#STATS")
    assert stats is not None and stats["messages"] == 2 and stats["active_conversations"] == 1
    # WHEN it is deleted, then restored
    gone = services.conversations.delete(caller, conversation_id)
    assert services.conversations.list(caller, {})["total"] == 0
    back = services.conversations.restore(caller, conversation_id)
    # THEN its messages went and came back with it, and it is on the list again
    assert gone["deleted_messages_count"] == 2 and back["restored_messages_count"] == 2
    page = services.conversations.list(caller, {})
    assert [c["id"] for c in page["conversations"]] == [conversation_id] and page["total"] == 1
    events = [e["event"] for e in table.query(keys.events_pk(COMPANY))]
    assert {"conversation.started", "message.received", "conversation.ended"} <= set(events)


def test_a_queued_turn_is_answered_once_by_the_worker_on_memory() -> None:
    # GIVEN an agent, a conversation and a chat service with a queue (every turn queued)
    services = Services(Settings(table_name="memory", chat_mode="async"), MemoryTable())
    agent_id = seed_agent(services)
    caller = admin()
    conversation_id = services.conversations.create(caller, {"agent_id": agent_id})["conversation_id"]
    queue = ListQueue()
    chat = ChatService(services.conversations, services.chat.responder, services.tasks, queue=queue)
    # WHEN a turn is sent as a task, and the worker handles its queue message twice
    ack = chat.send(caller, conversation_id, {"message": "Do you ship abroad?"}, as_task=True)
    worker = ChatWorker(chat)
    outcomes = [worker.handle(queue.sent[0]), worker.handle(queue.sent[0])]
    # THEN the task completed once (the redelivery was skipped) with the answer, and both messages are stored
    assert ack["status"] == "queued" and outcomes == ["completed", "skipped"]
    status = services.tasks.status(caller, ack["task_id"], "/tasks")
    assert status["state"] == "SUCCESS" and status["result"]["user_message"]["id"] == ack["message_id"]
    stored_messages = services.conversations.messages(caller, conversation_id, {})["messages"]
    assert [m["role"] for m in stored_messages] == ["user", "assistant"]
    # AND another company's caller sees neither the conversation nor the task
    with pytest.raises(NotFound):
        services.conversations.load(admin(OTHER), conversation_id)
    with pytest.raises(NotFound):
        services.tasks.status(admin(OTHER), ack["task_id"], "/tasks")
