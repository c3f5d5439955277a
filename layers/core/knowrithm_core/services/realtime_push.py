"""Push what a widget must see at once to the conversation's open sockets (API Gateway's Management API).

Driven by the table's stream (filtered in the template): new assistant and operator messages, and the
``conversation.handoff`` / ``conversation.released`` outbox events. Whoever writes them (chat, the chat worker,
the handoff API, a connector) needs to know nothing about sockets. One Query finds the conversation's
connections; a ``GoneException`` (the visitor left without a clean ``$disconnect``) deletes the connection.
Pushes are best effort: a widget that reconnects reloads the conversation over REST.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from knowrithm_core.observability import logger
from knowrithm_core.store.port import Table
from knowrithm_core.store.repositories.connections import Connection, ConnectionRepository
from knowrithm_core.telemetry import SOCKET_PUSHES, count

SENDERS = 16  # concurrent posts when a conversation has many sockets (boto3 clients are thread-safe)
PUSHED_ROLES = frozenset({"assistant", "operator"})
NOTICES = frozenset({"conversation.handoff", "conversation.released"})
MESSAGE_FIELDS = (
    "id",
    "conversation_id",
    "role",
    "content",
    "content_type",
    "sources",
    "metadata",
    "reply_to",
    "author",
    "created_at",
)


def _message(item: Mapping[str, Any]) -> tuple[str, str, dict[str, Any]] | None:
    if item.get("role") not in PUSHED_ROLES or item.get("deleted_at"):
        return None
    body = {name: item[name] for name in MESSAGE_FIELDS if item.get(name) is not None}
    return str(item["company_id"]), str(item["conversation_id"]), {"type": "message", "message": body}


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _notice(item: Mapping[str, Any]) -> tuple[str, str, dict[str, Any]] | None:
    event = item.get("event")
    data = _object(item.get("data"))
    conversation_id = _object(data.get("conversation")).get("id") or data.get("conversation_id")
    if event not in NOTICES or not conversation_id:
        return None
    body: dict[str, Any] = {"type": event, "conversation_id": conversation_id, "at": item.get("timestamp")}
    assignee = _object(data.get("assignee"))
    if assignee.get("name"):
        body["assignee"] = {"name": str(assignee["name"])}  # never the operator's e-mail: visitors see this
    return str(item["company_id"]), str(conversation_id), body


def push_for(item: Mapping[str, Any]) -> tuple[str, str, dict[str, Any]] | None:
    """(company, conversation, payload) a stream item asks to push, or None."""
    if item.get("_type") == "event":
        return _notice(item)
    if str(item.get("SK", "")).startswith("MSG#"):
        return _message(item)
    return None


class Pusher:
    """Sends payloads to a conversation's connections through ``client`` (an ``apigatewaymanagementapi`` one)."""

    def __init__(self, table: Table, client: Any) -> None:
        self.connections = ConnectionRepository(table)
        self.client = client

    def handle(self, item: Mapping[str, Any]) -> int:
        """Push what the stream item asks for; returns how many connections received it."""
        found = push_for(item)
        if found is None:
            return 0
        company_id, conversation_id, payload = found
        data = json.dumps(payload, separators=(",", ":"), default=str).encode()
        return sum(
            self._send(connection, data) for connection in self.connections.of_conversation(company_id, conversation_id)
        )

    def _send(self, connection: Connection, data: bytes) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.post_to_connection(ConnectionId=connection.connection_id, Data=data)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "GoneException":
                self.connections.remove(connection)
                count(SOCKET_PUSHES, outcome="gone")
            else:
                logger.warning("push to a connection failed", extra={"error_code": code})
                count(SOCKET_PUSHES, outcome="failed")
            return False
        count(SOCKET_PUSHES, outcome="sent")
        return True
