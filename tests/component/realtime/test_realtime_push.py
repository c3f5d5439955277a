"""Pushes through the real local WebSocket front: a browser-like client connects with its lead token, a new
assistant message's stream record reaches RealtimePushFunction, the client receives it; a connection that is
gone (410 from the Management API) is deleted. Both functions' AWS calls are checked against their policies."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from boto3.dynamodb.types import TypeSerializer
from fastapi.testclient import TestClient
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from knowrithm_core.container import Services
from knowrithm_core.store import keys
from knowrithm_core.store.repositories.connections import Connection, ConnectionRepository
from knowrithm_core.store.table import to_dynamo
from local.template import Stack
from local.websocket import Realtime, RealtimeFront, start_realtime
from realtime import push, sockets
from tests.component.realtime.test_realtime_sockets import SHOP, Context, allow, visitor
from tests.emf import Metric, named
from tests.gateway import serving
from tests.stack import Tenant

HANDLERS = {"RealtimeSocketsFunction": sockets.lambda_handler, "RealtimePushFunction": push.lambda_handler}


def invoke(function: str, event: Any) -> Any:
    with serving(function):
        return HANDLERS[function](event, Context())


@pytest.fixture
def realtime(stack: Stack, services: Services, monkeypatch: pytest.MonkeyPatch) -> Iterator[Realtime]:
    sockets.service.cache_clear()
    push.pusher.cache_clear()
    served = start_realtime(stack, invoke)
    assert served is not None
    monkeypatch.setenv("REALTIME_MANAGEMENT_URL", served.management.url)
    yield served
    served.stop()
    sockets.service.cache_clear()
    push.pusher.cache_clear()


def stream_event(item: dict[str, Any]) -> dict[str, Any]:
    """The stream record (INSERT, NEW_IMAGE) Lambda would deliver for ``item``."""
    image = {k: TypeSerializer().serialize(to_dynamo(v)) for k, v in item.items()}
    record = {
        "eventID": "1",
        "eventName": "INSERT",
        "eventSource": "aws:dynamodb",
        "dynamodb": {"Keys": {"PK": image["PK"], "SK": image["SK"]}, "NewImage": image, "SequenceNumber": "1"},
    }
    return {"Records": [record]}


def wait_for(check: Callable[[], bool], seconds: float = 5) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


def test_a_new_assistant_message_reaches_the_conversations_open_socket(
    client: TestClient, tenant: Tenant, services: Services, realtime: Realtime, stack: Stack
) -> None:
    # GIVEN a visitor whose widget holds a socket on the local WebSocket API (the template's routes)
    assert realtime.front.routes == {
        "$connect": "RealtimeSocketsFunction",
        "$disconnect": "RealtimeSocketsFunction",
        "$default": "RealtimeSocketsFunction",
    }
    allow(client, tenant)
    token, conversation_id = visitor(client, tenant.agent_id)
    url = f"{realtime.websocket_url}?token={token}&conversation_id={conversation_id}"
    with connect(url, origin=SHOP, open_timeout=5) as socket:  # type: ignore[arg-type]
        # WHEN the visitor asks and the assistant's message is written (its stream record reaches the pusher)
        asked = client.post(
            f"/api/v1/conversation/{conversation_id}/chat",
            json={"message": "How long does shipping take?"},
            headers={"Authorization": f"Bearer {token}", "Origin": SHOP},
        )
        assert asked.status_code == 200, asked.text
        answer_id = asked.json()["assistant_message"]["id"]
        pk = keys.conversation_pk(tenant.company_id, conversation_id)
        item = services.table.get(pk, keys.message_sk(answer_id))
        assert item is not None
        user_item = services.table.get(pk, keys.message_sk(asked.json()["user_message"]["id"]))
        assert invoke("RealtimePushFunction", stream_event(user_item or {})) == {"batchItemFailures": []}
        assert invoke("RealtimePushFunction", stream_event(item)) == {"batchItemFailures": []}
        # THEN the socket receives that message (the visitor's own is not pushed back)
        pushed = json.loads(socket.recv(timeout=5))
        assert pushed["type"] == "message" and pushed["message"]["id"] == answer_id
        assert pushed["message"]["role"] == "assistant" and pushed["message"]["content"] == item["content"]
    # AND closing the socket ran $disconnect: no connection is left for the conversation
    assert wait_for(lambda: services.table.query(keys.conversation_sockets(tenant.company_id, conversation_id)) == [])


def test_a_refused_handshake_fails_with_the_functions_status(
    client: TestClient, tenant: Tenant, realtime: Realtime
) -> None:
    allow(client, tenant)
    token, conversation_id = visitor(client, tenant.agent_id)
    url = f"{realtime.websocket_url}?token={token}&conversation_id={conversation_id}"
    with pytest.raises(InvalidStatus) as refused:
        connect(url, origin="https://copycat.example", open_timeout=5)  # type: ignore[arg-type]
    assert refused.value.response.status_code == 403
    with pytest.raises(InvalidStatus) as forged:
        connect(f"{realtime.websocket_url}?token=forged&conversation_id={conversation_id}", open_timeout=5)
    assert forged.value.response.status_code == 401


def test_a_gone_connection_is_deleted_and_counted(
    services: Services, realtime: Realtime, emf: Callable[[], list[Metric]]
) -> None:
    # GIVEN a stored connection the WebSocket API no longer has (the visitor left without a clean $disconnect)
    repository = ConnectionRepository(services.table)
    gone = Connection("gone-1", "c1", "0190a0b0-0000-7000-8000-000000000001", "a1", "l1", SHOP)
    repository.add(gone)
    assert isinstance(realtime.front, RealtimeFront) and "gone-1" not in realtime.front.sockets
    # WHEN an operator's message for that conversation is pushed
    message = {
        "PK": keys.conversation_pk("c1", gone.conversation_id),
        "SK": keys.message_sk("0190a0b0-0000-7000-8000-0000000000ff"),
        "id": "0190a0b0-0000-7000-8000-0000000000ff",
        "company_id": "c1",
        "conversation_id": gone.conversation_id,
        "role": "operator",
        "content": "Hi, Maya here.",
        "author": {"name": "Maya"},
    }
    assert invoke("RealtimePushFunction", stream_event(message)) == {"batchItemFailures": []}
    # THEN the Management API's 410 (GoneException) deleted the connection, and the metric says so
    assert repository.of_conversation("c1", gone.conversation_id) == []
    pushes = named(emf(), "SocketPushes")
    assert ("Count", {"outcome": "gone", "service": "knowrithm"}, [1.0]) in pushes or any(
        dimensions.get("outcome") == "gone" for _, dimensions, _ in pushes
    ), pushes
