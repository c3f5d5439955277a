"""What the widget function's public endpoints read: one live agent by its global id (GSI1 ``AGENT#<id>``).

Plain dicts, no pydantic: the widget function's cold start stays small. The agents' own repository owns how an
agent is written; this is the one read the widget needs.
"""

from __future__ import annotations

from typing import Any

from knowrithm_core.store import keys
from knowrithm_core.store.port import Table


class WidgetRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    def live_agent(self, agent_id: str) -> dict[str, Any] | None:
        """The agent's stored attributes (no keys), or None when there is none or it is deleted."""
        found = self.table.query(keys.global_id("AGENT", agent_id), index=keys.GSI1, limit=1)
        if not found or found[0].get("deleted_at"):
            return None
        return dict(keys.strip_keys(found[0]))
