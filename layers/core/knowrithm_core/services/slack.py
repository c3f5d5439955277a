"""The Slack connector's API side: its settings per company, and Slack's Events API.

``POST /integrations/slack`` checks the bot token with ``auth.test`` and stores both secrets sealed (a KMS data
key each, as webhook signing secrets are); they are never returned. ``POST /integrations/slack/events`` checks
Slack's v0 signature with the company's signing secret before anything else (a forged or stale request gets 401
and changes nothing), answers ``url_verification``, and turns a person's reply in a conversation's thread into an
``operator`` message (author: their Slack name), once per ``event_id``. Posting to Slack happens off the request
path: see :mod:`knowrithm_core.services.slack_relay`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from slack_sdk.signature import Clock

from knowrithm_core.auth import Principal
from knowrithm_core.connectors.slack import SlackApi, SlackFailed, signature_ok
from knowrithm_core.errors import BadRequest, Conflict, NotFound, ServiceUnavailable, Unauthorized
from knowrithm_core.ids import is_uuid, iso
from knowrithm_core.models.bodies.base import parse
from knowrithm_core.models.bodies.integrations import SlackIntegrationRequest
from knowrithm_core.models.resources import Author
from knowrithm_core.services.handoff import SLACK, HandoffService, handed_off
from knowrithm_core.store.repositories.slack import SlackIntegration, SlackRepository
from knowrithm_core.webhooks.sealing import SecretVault

BOT_TOKEN, SIGNING_SECRET = "slack-bot-token", "slack-signing-secret"  # the sealed secrets' contexts
FORGED = "The request is not signed by Slack with this company's signing secret (or it is older than 5 minutes)."


def masked(integration: SlackIntegration, events_url: str) -> dict[str, Any]:
    """The settings as clients see them: never a secret."""
    return {
        "channel": integration.channel,
        "team_id": integration.team_id,
        "bot_user_id": integration.bot_user_id,
        "bot_token": f"xoxb-…{integration.token_hint}",
        "signing_secret": "********",
        "events_url": events_url,
        "created_at": integration.created_at,
        "updated_at": integration.updated_at,
    }


class SlackService:
    def __init__(
        self, handoff: HandoffService, vault: SecretVault, base_url: str | None, clock: Clock | None = None
    ) -> None:
        self.handoff = handoff
        self.conversations = handoff.repository
        self.repository = SlackRepository(handoff.conversations.table)
        self.vault = vault
        self.base_url = base_url
        self.clock = clock

    def api(self, integration: SlackIntegration) -> SlackApi:
        token = self.vault.open(integration.company_id, BOT_TOKEN, integration.bot_token)
        return SlackApi(token, self.base_url)

    # --- settings ---------------------------------------------------------------------------------------------
    def configure(self, principal: Principal, body: Any, events_url: str) -> dict[str, Any]:
        """Check the token with Slack (``auth.test``), then store the settings with the secrets sealed."""
        principal.require("write")
        request = parse(SlackIntegrationRequest, body)
        try:
            who = SlackApi(request.bot_token, self.base_url).auth_test()
        except SlackFailed as exc:
            if exc.error.startswith("unreachable"):
                raise ServiceUnavailable("Slack could not be reached to check the bot token; try again.") from exc
            raise BadRequest(f"Slack refused the bot token ({exc.error}).") from exc
        company_id = principal.company_id
        current = self.repository.get(company_id)
        stamp = iso()
        integration = SlackIntegration(
            company_id=company_id,
            channel=request.channel,
            bot_token={"sealed": self.vault.seal(company_id, BOT_TOKEN, request.bot_token)},
            signing_secret={"sealed": self.vault.seal(company_id, SIGNING_SECRET, request.signing_secret)},
            token_hint=request.bot_token[-4:],
            team_id=who.get("team_id"),
            bot_user_id=who.get("user_id"),
            created_at=current.created_at if current else stamp,
            updated_at=stamp,
        )
        self.repository.save(integration)
        return {"message": "Slack is connected.", "integration": masked(integration, events_url)}

    def read(self, principal: Principal, events_url: str) -> dict[str, Any]:
        principal.require("read")
        return {"integration": masked(self._configured(principal.company_id), events_url)}

    def remove(self, principal: Principal) -> dict[str, Any]:
        principal.require("write", "DELETE")
        self._configured(principal.company_id)
        self.repository.delete(principal.company_id)
        return {"message": "Slack is disconnected."}

    def _configured(self, company_id: str) -> SlackIntegration:
        integration = self.repository.get(company_id)
        if integration is None:
            raise NotFound("Slack is not connected for this company.")
        return integration

    # --- Events API -------------------------------------------------------------------------------------------
    def receive(self, company_id: str | None, raw: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
        """One Events API request: verified first, then ``url_verification`` or a thread reply."""
        integration = self.repository.get(company_id) if company_id and is_uuid(company_id) else None
        if integration is None:
            raise Unauthorized(FORGED)
        secret = self.vault.open(integration.company_id, SIGNING_SECRET, integration.signing_secret)
        if not signature_ok(secret, raw, headers, self.clock):
            raise Unauthorized(FORGED)
        try:
            payload = json.loads(raw)
        except ValueError as exc:
            raise BadRequest("The Slack event is not JSON.") from exc
        if not isinstance(payload, dict):
            raise BadRequest("The Slack event is not a JSON object.")
        if payload.get("type") == "url_verification":
            return {"challenge": str(payload.get("challenge", ""))}
        if payload.get("type") != "event_callback" or not isinstance(payload.get("event"), dict):
            return {"ok": True, "outcome": "ignored"}
        return {"ok": True, "outcome": self._thread_reply(integration, str(payload.get("event_id", "")), payload)}

    def _thread_reply(self, integration: SlackIntegration, event_id: str, payload: dict[str, Any]) -> str:
        event: dict[str, Any] = payload["event"]
        if not self._from_a_person(integration, event) or not event_id:
            return "ignored"
        company_id = integration.company_id
        thread = self.repository.thread_at(company_id, str(event.get("channel")), str(event["thread_ts"]))
        conversation = self.conversations.get(company_id, thread.conversation_id) if thread else None
        if conversation is None or conversation.deleted_at:
            return "ignored"
        if self.repository.event_seen(company_id, event_id):
            return "duplicate"
        author = Author(name=self.api(integration).user_name(str(event["user"])))
        if not handed_off(conversation):  # a person answered in Slack: they take the conversation over
            reason = "Answered in Slack"
            conversation = self.handoff.take_over(conversation, assignee=author, reason=reason, trigger=SLACK)
        seen = self.repository.event_seen_op(company_id, event_id)
        try:
            text = str(event["text"])
            self.handoff.post(conversation, text, author, extra=[seen], source=SLACK, slack_ts=event["ts"])
        except Conflict:
            if self.repository.event_seen(company_id, event_id):
                return "duplicate"
            raise
        return "operator_message"

    @staticmethod
    def _from_a_person(integration: SlackIntegration, event: dict[str, Any]) -> bool:
        """A plain message by a person, in a thread (not the parent, not a bot, not an edit or a join)."""
        return (
            event.get("type") == "message"
            and not event.get("subtype")
            and not event.get("bot_id")
            and bool(event.get("user"))
            and event.get("user") != integration.bot_user_id
            and bool(event.get("thread_ts"))
            and event.get("thread_ts") != event.get("ts")
            and bool(str(event.get("text") or "").strip())
        )
