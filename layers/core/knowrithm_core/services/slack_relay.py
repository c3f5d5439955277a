"""The Slack connector's sending side, off the request path.

The fan-out (:mod:`knowrithm_core.services.fanout`) turns the outbox events Slack cares about into one job on the
delivery queue (``endpoint_id`` ``slack``) when the company has connected Slack; WebhookDeliveryFunction hands
those jobs here. A handoff or an escalation opens a thread in the channel with the transcript; the visitor's
messages while handed off, operator replies sent through the API, and the release follow in that thread. A failed
post raises, so the queue retries it (backoff by visibility, then the DLQ). Delivery is at least once: a retry
after a post that Slack accepted but we could not record may post twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from knowrithm_core.connectors.slack import SlackApi, speaker, transcript
from knowrithm_core.connectors.slack_jobs import OPENING
from knowrithm_core.events import EventType
from knowrithm_core.ids import iso
from knowrithm_core.models.resources import Conversation
from knowrithm_core.services.slack import BOT_TOKEN
from knowrithm_core.store.port import Table
from knowrithm_core.store.repositories.conversations import ConversationRepository
from knowrithm_core.store.repositories.slack import SlackRepository, SlackThread
from knowrithm_core.webhooks.sealing import SecretVault


def heading(name: str, conversation: Conversation, reason: str | None) -> str:
    state = conversation.handoff
    if name == EventType.CONVERSATION_HANDOFF.value and state is not None:
        who = state.assignee.name if state.assignee else "a person"
        why = f" ({state.reason})" if state.reason else ""
        return f":raising_hand: Conversation handed off to {who}{why}: {conversation.title}"
    return f":sos: Conversation escalated ({reason or 'escalated'}): {conversation.title}"


class SlackRelay:
    def __init__(self, table: Table, vault: SecretVault, base_url: str | None) -> None:
        self.repository = SlackRepository(table)
        self.conversations = ConversationRepository(table)
        self.vault = vault
        self.base_url = base_url

    def process(self, job: Mapping[str, Any]) -> str:
        """Post what one job says; raises (to be retried) when Slack fails."""
        company_id, conversation_id, name = str(job["company_id"]), str(job["conversation_id"]), str(job["event"])
        integration = self.repository.get(company_id)
        if integration is None:
            return "not connected"
        api = SlackApi(self.vault.open(company_id, BOT_TOKEN, integration.bot_token), self.base_url)
        thread = self.repository.thread(company_id, conversation_id)
        if name in OPENING:
            if thread is not None:
                conversation = self.conversations.get(company_id, conversation_id)
                if conversation is not None:
                    api.post(thread.channel, heading(name, conversation, job.get("reason")), thread.ts)
                return "noted in the thread"
            return self._open(api, integration.channel, company_id, conversation_id, name, job.get("reason"))
        if thread is None:
            return "no thread"
        return self._follow(api, thread, name, job.get("message_id"))

    def _open(
        self, api: SlackApi, channel: str, company_id: str, conversation_id: str, name: str, reason: str | None
    ) -> str:
        conversation, newest_first = self.conversations.recent(company_id, conversation_id, 31)
        if conversation is None or conversation.deleted_at:
            return "conversation gone"
        text = transcript(heading(name, conversation, reason), reversed(newest_first))
        ts = api.post(channel, text)
        thread = SlackThread(
            company_id=company_id, conversation_id=conversation_id, channel=channel, ts=ts, created_at=iso()
        )
        self.repository.add_thread(thread)
        return "thread opened"

    def _follow(self, api: SlackApi, thread: SlackThread, name: str, message_id: str | None) -> str:
        if name == EventType.CONVERSATION_RELEASED.value:
            api.post(thread.channel, ":robot_face: The bot has the conversation again.", thread.ts)
            return "release noted"
        message = self.conversations.message(thread.company_id, thread.conversation_id, str(message_id or ""))
        if message is None or message.deleted_at:
            return "message gone"
        api.post(thread.channel, f"*{speaker(message)}:* {message.content}", thread.ts)
        return "message posted"
