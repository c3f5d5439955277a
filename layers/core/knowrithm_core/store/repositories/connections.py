"""Open WebSocket connections of widget visitors, one item per connection in its conversation's partition.

``COMPANY#c#CONV#v#SOCKETS / SOCKET#k`` (GSI1 ``SOCKET#k``): a push reads every connection of a conversation
with one Query; ``$disconnect`` (which only knows the connection id) finds its item through GSI1. Items expire
(``expires_at_epoch``) a little after API Gateway's two-hour connection limit, so a missed ``$disconnect``
leaves nothing behind for long.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from knowrithm_core.ids import iso, now
from knowrithm_core.store import keys
from knowrithm_core.store.expressions import Delete, Put
from knowrithm_core.store.port import Table

SOCKET_ENTITY = "socket"  # `_type`: never matched by the outbox or push stream filters
CONNECTION_TTL_SECONDS = 3 * 3600  # API Gateway closes a connection after 2 hours


@dataclass(frozen=True)
class Connection:
    connection_id: str
    company_id: str
    conversation_id: str
    agent_id: str
    lead_id: str
    origin: str | None = None


def connection_item(connection: Connection, ttl_seconds: int = CONNECTION_TTL_SECONDS) -> dict[str, Any]:
    moment = now()
    return {
        "PK": keys.conversation_sockets(connection.company_id, connection.conversation_id),
        "SK": keys.socket_sk(connection.connection_id),
        "GSI1PK": keys.global_id("SOCKET", connection.connection_id),
        "GSI1SK": "SOCKET",
        "_type": SOCKET_ENTITY,
        "connection_id": connection.connection_id,
        "company_id": connection.company_id,
        "conversation_id": connection.conversation_id,
        "agent_id": connection.agent_id,
        "lead_id": connection.lead_id,
        "origin": connection.origin,
        "connected_at": iso(moment),
        "expires_at_epoch": int(moment.timestamp()) + ttl_seconds,
    }


def _connection(item: dict[str, Any]) -> Connection:
    return Connection(
        connection_id=str(item["connection_id"]),
        company_id=str(item["company_id"]),
        conversation_id=str(item["conversation_id"]),
        agent_id=str(item.get("agent_id") or ""),
        lead_id=str(item.get("lead_id") or ""),
        origin=item.get("origin"),
    )


class ConnectionRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    def add(self, connection: Connection, ttl_seconds: int = CONNECTION_TTL_SECONDS) -> None:
        self.table.write([Put(connection_item(connection, ttl_seconds))])

    def of_conversation(self, company_id: str, conversation_id: str) -> list[Connection]:
        """Every open connection of the conversation (one Query)."""
        items = self.table.query(keys.conversation_sockets(company_id, conversation_id))
        return [_connection(item) for item in items]

    def find(self, connection_id: str) -> Connection | None:
        found = self.table.query(keys.global_id("SOCKET", connection_id), index=keys.GSI1, limit=1)
        return _connection(found[0]) if found else None

    def remove(self, connection: Connection) -> None:
        pk = keys.conversation_sockets(connection.company_id, connection.conversation_id)
        self.table.write([Delete((pk, keys.socket_sk(connection.connection_id)))])
