"""Connectors: the Slack connector's settings (secrets masked)."""

from __future__ import annotations

from typing import TypedDict


class SlackIntegration(TypedDict, total=False):
    """``bot_token`` shows only its last four characters; ``signing_secret`` is masked."""

    channel: str
    team_id: str | None
    bot_user_id: str | None
    bot_token: str
    signing_secret: str
    events_url: str  # the Slack app's Event Subscriptions request URL
    created_at: str
    updated_at: str


class SlackIntegrationEnvelope(TypedDict, total=False):
    message: str
    integration: SlackIntegration
