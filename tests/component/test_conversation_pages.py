"""Conversation and message list pages cost what they hold: one Query of ``per_page + 1``, cursors, counters."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from knowrithm_core.container import Services
from knowrithm_core.domain.stats import LIVE_CONVERSATIONS
from knowrithm_core.ids import iso, new_id
from knowrithm_core.models.resources import Conversation, Message
from knowrithm_core.store import keys
from knowrithm_core.store.repositories.conversations import conversation_item, message_item
from tests.dynamo_reads import fill, recorded_queries
from tests.stack import Tenant, new_conversation

URL = "/api/v1/conversation"


def _fill_conversations(services: Services, tenant: Tenant, count: int) -> list[str]:
    """``count`` live conversations with the tenant's agent, written as the service writes them; oldest first."""
    rows = []
    for n in range(count):
        stamp = iso()
        rows.append(
            Conversation(
                id=new_id(),
                created_at=stamp,
                updated_at=stamp,
                company_id=tenant.company_id,
                agent_id=tenant.agent_id,
                title=f"Talk {n}",
            )
        )
    counters = {
        (keys.stats_pk(tenant.company_id), "TOTAL"): {LIVE_CONVERSATIONS: count},
        (keys.company_pk(tenant.company_id), f"AGENT#{tenant.agent_id}#STATS"): {"active_conversations": count},
    }
    fill(services.table, [conversation_item(c) for c in rows], counters)
    return [c.id for c in rows]


def _fill_messages(services: Services, tenant: Tenant, conversation_id: str, count: int) -> list[str]:
    rows = []
    for n in range(count):
        stamp = iso()
        rows.append(
            Message(
                id=new_id(),
                created_at=stamp,
                updated_at=stamp,
                company_id=tenant.company_id,
                conversation_id=conversation_id,
                agent_id=tenant.agent_id,
                role="user",
                content=f"message {n}",
            )
        )
    fill(services.table, [message_item(m) for m in rows], {})
    return [m.id for m in rows]


@pytest.mark.parametrize("count", [20, 500])
def test_conversation_page_one_reads_per_page_plus_one(
    client: TestClient, services: Services, tenant: Tenant, count: int
) -> None:
    # GIVEN `count` conversations
    _fill_conversations(services, tenant, count)
    # WHEN page 1 of 20 is listed, for the company and for the agent
    for url, index in ((f"{URL}?per_page=20", "GSI2"), (f"{URL}/agent/{tenant.agent_id}?per_page=20", "GSI3")):
        with recorded_queries(services, "CONVS") as queries:
            body = client.get(url, headers=tenant.key_headers).json()
        # THEN one Query with Limit 21 on the list's index read at most 21 items; the total is the counter
        assert [(q.index, q.limit, q.items_read) for q in queries] == [(index, 21, min(count, 21))]
        assert len(body["conversations"]) == 20 and body["total"] == body["pagination"]["total"] == count
        assert (body["pagination"]["next_cursor"] is not None) is (count > 20)


@pytest.mark.parametrize("count", [20, 500])
def test_message_page_one_reads_per_page_plus_one(
    client: TestClient, services: Services, tenant: Tenant, count: int
) -> None:
    conversation_id = new_conversation(client, tenant)
    ids = _fill_messages(services, tenant, conversation_id, count)
    with recorded_queries(services, f"#CONV#{conversation_id}") as queries:
        body = client.get(f"{URL}/{conversation_id}/messages?per_page=20", headers=tenant.key_headers).json()
    assert [(q.limit, q.items_read) for q in queries] == [(21, min(count, 21))]
    assert [m["id"] for m in body["messages"]] == ids[:20]


def test_cursors_walk_conversations_and_messages_without_gaps_or_repeats(
    client: TestClient, services: Services, tenant: Tenant
) -> None:
    # GIVEN 45 conversations, and 45 messages in one of them, one of which is deleted
    conversations = _fill_conversations(services, tenant, 45)
    messages = _fill_messages(services, tenant, conversations[0], 45)
    assert client.delete(f"/api/v1/message/{messages[20]}", headers=tenant.key_headers).status_code == 200

    def walk(url: str, field: str) -> list[str]:
        seen: list[str] = []
        cursor = ""
        for _ in range(5):
            body = client.get(f"{url}?per_page=20&cursor={cursor}", headers=tenant.key_headers).json()
            seen += [x["id"] for x in body[field]]
            cursor = body["pagination"]["next_cursor"]
            if not cursor:
                return seen
        raise AssertionError("the cursors did not end")

    # THEN the cursors give every live one once, in order
    assert walk(URL, "conversations") == list(reversed(conversations))
    assert walk(f"{URL}/{conversations[0]}/messages", "messages") == messages[:20] + messages[21:]
    # AND page 2 by number is the same as by cursor
    page_two = client.get(f"{URL}?per_page=20&page=2", headers=tenant.key_headers).json()
    assert [x["id"] for x in page_two["conversations"]] == list(reversed(conversations))[20:40]


def test_delete_and_restore_move_a_conversation_between_lists_and_totals(client: TestClient, tenant: Tenant) -> None:
    # GIVEN two conversations made through the API
    first, second = new_conversation(client, tenant), new_conversation(client, tenant)
    listed = client.get(URL, headers=tenant.key_headers).json()
    assert [c["id"] for c in listed["conversations"]] == [second, first] and listed["total"] == 2
    # WHEN one is deleted THEN it leaves the live lists and their totals, and joins the deleted list
    assert client.delete(f"{URL}/{first}", headers=tenant.key_headers).status_code == 200
    listed = client.get(URL, headers=tenant.key_headers).json()
    by_agent = client.get(f"{URL}/agent/{tenant.agent_id}", headers=tenant.key_headers).json()
    assert [c["id"] for c in listed["conversations"]] == [second] and listed["total"] == 1
    assert [c["id"] for c in by_agent["conversations"]] == [second] and by_agent["total"] == 1
    deleted = client.get(f"{URL}/deleted", headers=tenant.key_headers).json()
    assert [c["id"] for c in deleted["deleted_conversations"]] == [first]
    # WHEN restored THEN it is back
    assert client.patch(f"{URL}/{first}/restore", headers=tenant.key_headers).status_code == 200
    listed = client.get(URL, headers=tenant.key_headers).json()
    assert [c["id"] for c in listed["conversations"]] == [second, first] and listed["total"] == 2
    assert client.get(f"{URL}/deleted", headers=tenant.key_headers).json()["deleted_conversations"] == []


@pytest.mark.parametrize("cursor", ["%%%", "bm90IGpzb24", "eyJQSyI6IngiLCJTSyI6InkifQ"])
def test_a_garbled_or_foreign_cursor_is_a_400(
    client: TestClient, services: Services, tenant: Tenant, other_tenant: Tenant, cursor: str
) -> None:
    # GIVEN a conversation of each tenant with 25 messages
    mine = new_conversation(client, tenant)
    theirs = new_conversation(client, other_tenant)
    _fill_messages(services, tenant, mine, 25)
    _fill_messages(services, other_tenant, theirs, 25)
    foreign = client.get(f"{URL}/{theirs}/messages?per_page=20", headers=other_tenant.key_headers).json()
    # THEN a garbled cursor and the other tenant's cursor are refused on every list
    for bad in (cursor, foreign["pagination"]["next_cursor"]):
        for url in (URL, f"{URL}/{mine}/messages", f"{URL}/agent/{tenant.agent_id}"):
            response = client.get(f"{url}?cursor={bad}", headers=tenant.key_headers)
            assert response.status_code == 400, (url, response.text)
            assert response.json()["error_code"] == "validation_error"
