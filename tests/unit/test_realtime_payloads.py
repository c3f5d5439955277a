"""What a stream item asks the pusher to send (pure: no table, no sockets)."""

from __future__ import annotations

from knowrithm_core.services.realtime_push import push_for

MESSAGE = {
    "PK": "COMPANY#c1#CONV#v1",
    "SK": "MSG#m1",
    "GSI1PK": "MSG#m1",
    "id": "m1",
    "company_id": "c1",
    "conversation_id": "v1",
    "content": "Hi",
    "tokens_used": 3,
}


def test_assistant_and_operator_messages_are_pushed_without_keys_or_bookkeeping() -> None:
    for role in ("assistant", "operator"):
        found = push_for({**MESSAGE, "role": role, "author": {"name": "Maya"}})
        assert found is not None
        company, conversation, payload = found
        assert (company, conversation, payload["type"]) == ("c1", "v1", "message")
        assert payload["message"]["role"] == role and payload["message"]["content"] == "Hi"
        assert not {"PK", "SK", "GSI1PK", "tokens_used"} & set(payload["message"])


def test_visitor_messages_deleted_messages_and_other_items_are_not_pushed() -> None:
    assert push_for({**MESSAGE, "role": "user"}) is None
    assert push_for({**MESSAGE, "role": "assistant", "deleted_at": "2026-12-04T18:00:00.000Z"}) is None
    assert push_for({"PK": "COMPANY#c1", "SK": "LEAD#l1", "role": "assistant"}) is None
    assert push_for({"_type": "event", "event": "lead.created", "company_id": "c1", "data": {"id": "l1"}}) is None


def test_handoff_notices_name_the_operator_but_never_their_email() -> None:
    data = {"conversation": {"id": "v1"}, "assignee": {"name": "Maya", "email": "maya@shop.example"}}
    found = push_for({"_type": "event", "event": "conversation.handoff", "company_id": "c1", "data": data})
    assert found == (
        "c1",
        "v1",
        {"type": "conversation.handoff", "conversation_id": "v1", "at": None, "assignee": {"name": "Maya"}},
    )
    released = push_for({"_type": "event", "event": "conversation.released", "company_id": "c1", "data": data})
    assert released is not None and released[2]["type"] == "conversation.released"
    assert push_for({"_type": "event", "event": "conversation.handoff", "company_id": "c1", "data": {}}) is None
