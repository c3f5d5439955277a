"""The Slack connector's items, in one partition per company (``COMPANY#c#SLACK``).

``INTEGRATION`` holds the settings (secrets sealed, see :mod:`knowrithm_core.webhooks.sealing`); ``THREAD#v`` maps
a conversation to its Slack thread (GSI1 ``SLACKTHREAD#channel#ts`` finds it from an inbound reply);
``EVENT#e`` records an inbound Events API ``event_id`` (with a TTL) so Slack's retries are applied once.
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel, ConfigDict

from knowrithm_core.store import keys
from knowrithm_core.store.expressions import Delete, Put, missing
from knowrithm_core.store.port import Table
from knowrithm_core.store.table import TransactionConflict

EVENT_TTL_SECONDS = 3 * 24 * 3600  # Slack retries within minutes; three days is plenty


class SlackIntegration(BaseModel):
    model_config = ConfigDict(extra="ignore")

    company_id: str
    channel: str
    bot_token: dict[str, Any]  # {"sealed": {...}}
    signing_secret: dict[str, Any]  # {"sealed": {...}}
    token_hint: str  # the last 4 characters, to tell tokens apart
    team_id: str | None = None
    bot_user_id: str | None = None
    created_at: str
    updated_at: str


class SlackThread(BaseModel):
    model_config = ConfigDict(extra="ignore")

    company_id: str
    conversation_id: str
    channel: str
    ts: str
    created_at: str


class SlackRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, company_id: str) -> SlackIntegration | None:
        item = self.table.get(keys.slack_pk(company_id), keys.SLACK_INTEGRATION_SK)
        return SlackIntegration.model_validate(item) if item else None

    def save(self, integration: SlackIntegration) -> None:
        item = {"PK": keys.slack_pk(integration.company_id), "SK": keys.SLACK_INTEGRATION_SK}
        self.table.write([Put({**item, **integration.model_dump(mode="json")})])

    def delete(self, company_id: str) -> None:
        self.table.write([Delete((keys.slack_pk(company_id), keys.SLACK_INTEGRATION_SK))])

    def thread(self, company_id: str, conversation_id: str) -> SlackThread | None:
        item = self.table.get(keys.slack_pk(company_id), keys.slack_thread_sk(conversation_id))
        return SlackThread.model_validate(item) if item else None

    def add_thread(self, thread: SlackThread) -> bool:
        """Record the conversation's thread; False when it has one already."""
        item = {
            "PK": keys.slack_pk(thread.company_id),
            "SK": keys.slack_thread_sk(thread.conversation_id),
            "GSI1PK": keys.slack_thread_gsi(thread.channel, thread.ts),
            "GSI1SK": "SLACKTHREAD",
            **thread.model_dump(mode="json"),
        }
        try:
            self.table.write([Put(item, when=missing())])
        except TransactionConflict:
            return False
        return True

    def thread_at(self, company_id: str, channel: str, ts: str) -> SlackThread | None:
        """The thread whose parent message is ``ts`` in ``channel``, if it is this company's."""
        found = self.table.query(keys.slack_thread_gsi(channel, ts), index=keys.GSI1, limit=1)
        if not found or found[0].get("company_id") != company_id:
            return None
        return SlackThread.model_validate(found[0])

    @staticmethod
    def event_seen_op(company_id: str, event_id: str) -> Put:
        """A write that fails when this inbound event was applied already (add it to the change's transaction)."""
        item = {
            "PK": keys.slack_pk(company_id),
            "SK": keys.slack_event_sk(event_id),
            "event_id": event_id,
            "expires_at_epoch": int(time.time()) + EVENT_TTL_SECONDS,
        }
        return Put(item, when=missing())

    def event_seen(self, company_id: str, event_id: str) -> bool:
        return self.table.get(keys.slack_pk(company_id), keys.slack_event_sk(event_id)) is not None
