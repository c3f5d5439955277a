"""Support escalation: open a ticket in a local SQLite file for every ``conversation.escalated`` webhook.

A conversation is escalated when a visitor asks for a person (e.g. "I want to talk to a human", reason
``visitor_requested_human``) or the agent could not answer several times in a row. This receiver registers
itself through the SDK as a webhook endpoint for ``conversation.escalated`` on start, verifies each delivery
(``knowrithm_py.webhooks.verify``; a bad signature is answered 400), opens one ticket per ``webhook-id``
(a retry of the same event is answered 200 and opens nothing), and deletes the endpoint on exit.

Run it against the local stack (``make dev`` in another terminal)::

    .venv/bin/python examples/support_escalation.py

then chat "I want to talk to a human" with the demo agent (the widget, or the SDK) and look at the tickets::

    sqlite3 .local/support_tickets.sqlite3 'SELECT * FROM tickets'

Environment: ``TICKETS_DB`` (default ``<LOCAL_STATE_DIR or .local>/support_tickets.sqlite3``), ``PORT``
(default: a free one), ``HOST`` (default 127.0.0.1), ``LOCAL_STATE_DIR`` (where ``demo.json`` is), and
``KNOWRITHM_BASE_URL`` / ``KNOWRITHM_API_KEY`` / ``KNOWRITHM_API_SECRET`` to override ``demo.json``.
Ctrl-C or SIGTERM deletes the endpoint and exits 0.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _patterns import ROOT, run_receiver

SCHEMA = """
CREATE TABLE IF NOT EXISTS tickets (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id       TEXT NOT NULL UNIQUE,
    conversation_id  TEXT NOT NULL,
    reason           TEXT NOT NULL,
    customer_message TEXT NOT NULL,
    created_at       TEXT NOT NULL
)
"""


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("content") or value.get("text") or "")
    return "" if value is None else str(value)


class TicketDesk:
    """The tickets table: one row per ``webhook-id`` (``INSERT OR IGNORE`` on a UNIQUE column)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute(SCHEMA)

    def open_ticket(self, webhook_id: str, envelope: dict[str, Any]) -> bool:
        data: dict[str, Any] = envelope.get("data") or {}
        conversation = data.get("conversation")
        conversation_id = (
            conversation.get("id") if isinstance(conversation, dict) else data.get("conversation_id") or data.get("id")
        )
        reason = str(data.get("reason") or "unknown")
        message = _text(data.get("message") or data.get("customer_message"))
        created_at = datetime.now(UTC).isoformat(timespec="seconds")
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO tickets (webhook_id, conversation_id, reason, customer_message, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (webhook_id, str(conversation_id or ""), reason, message, created_at),
        )
        if cursor.rowcount != 1:
            print(f"duplicate delivery {webhook_id}: ticket already open", flush=True)
            return False
        print(
            f"ticket #{cursor.lastrowid} opened for conversation {conversation_id} ({reason}): {message!r}", flush=True
        )
        return True

    def close(self) -> None:
        self._db.close()


def main() -> int:
    state = Path(os.environ.get("LOCAL_STATE_DIR") or ROOT / ".local")
    desk = TicketDesk(Path(os.environ.get("TICKETS_DB") or state / "support_tickets.sqlite3"))
    try:
        return run_receiver(["conversation.escalated"], desk.open_ticket, "support escalation example")
    finally:
        desk.close()


if __name__ == "__main__":
    sys.exit(main())
