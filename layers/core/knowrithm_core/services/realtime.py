"""The widget's WebSocket: who may open one (``$connect``) and what closing it removes (``$disconnect``).

``$connect`` carries the visitor's lead token and conversation id in the query string (browsers cannot set
headers on a WebSocket). It is refused (the handshake fails with the status) for a missing, forged or expired
token (401), a page origin outside the agent's allowed domains or other than the one the token was issued on,
or a token of another agent (403), and a conversation that is not the visitor's own (404). An accepted
connection is stored in the table (see :mod:`knowrithm_core.store.repositories.connections`).
"""

from __future__ import annotations

from collections.abc import Mapping

from knowrithm_core.auth.tokens import TokenIssuer
from knowrithm_core.config import Settings
from knowrithm_core.errors import Forbidden, NotFound, Unauthorized
from knowrithm_core.ids import is_uuid
from knowrithm_core.store.port import Table
from knowrithm_core.store.repositories.connections import Connection, ConnectionRepository
from knowrithm_core.store.repositories.conversations import ConversationRepository
from knowrithm_core.store.repositories.widget import WidgetRepository
from knowrithm_core.telemetry import SOCKETS_OPENED, SOCKETS_REFUSED, count
from knowrithm_core.widget.origins import request_origin, require_allowed, require_bound_origin


class RealtimeService:
    def __init__(self, table: Table, settings: Settings) -> None:
        self.tokens = TokenIssuer(settings)
        self.connections = ConnectionRepository(table)
        self.conversations = ConversationRepository(table)
        self.agents = WidgetRepository(table)

    def connect(self, connection_id: str, query: Mapping[str, str], headers: Mapping[str, str]) -> Connection:
        """Check the visitor, its page and its conversation, then store the connection; raises a 4xx error."""
        try:
            connection = self._checked(connection_id, query, {k.lower(): v for k, v in headers.items()})
        except (Unauthorized, Forbidden, NotFound) as exc:
            count(SOCKETS_REFUSED, reason=exc.error_code)
            raise
        self.connections.add(connection)
        count(SOCKETS_OPENED)
        return connection

    def _checked(self, connection_id: str, query: Mapping[str, str], headers: Mapping[str, str]) -> Connection:
        token = (query.get("token") or "").strip()
        if not token:
            raise Unauthorized("Send the visitor's lead token as the token query parameter.")
        claims = self.tokens.decode(token, expected={"lead"})
        company_id, lead_id, agent_id = str(claims["cid"]), str(claims["sub"]), str(claims.get("agent") or "")
        wanted_agent = (query.get("agent_id") or "").strip()
        if wanted_agent and wanted_agent != agent_id:
            raise Forbidden("This visitor token belongs to another agent.")
        origin = request_origin(headers)
        require_bound_origin(claims.get("org"), origin)
        agent = self.agents.live_agent(agent_id) if is_uuid(agent_id) else None
        if agent is None or agent.get("company_id") != company_id:
            raise NotFound("Agent not found.")
        settings = agent.get("settings") if isinstance(agent.get("settings"), dict) else {}
        require_allowed(origin, (settings or {}).get("allowed_domains") or [])
        conversation_id = (query.get("conversation_id") or "").strip()
        found = self.conversations.get(company_id, conversation_id) if is_uuid(conversation_id) else None
        if (
            found is None
            or found.deleted_at
            or found.agent_id != agent_id
            or found.entity_type != "lead"
            or found.entity_id != lead_id
        ):
            raise NotFound("Conversation not found.")
        return Connection(connection_id, company_id, conversation_id, agent_id, lead_id, origin)

    def disconnect(self, connection_id: str) -> bool:
        """Forget the connection; False when it was not stored (refused, or already cleaned up)."""
        found = self.connections.find(connection_id)
        if found is None:
            return False
        self.connections.remove(found)
        return True
