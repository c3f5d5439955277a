"""Connectors: the Slack connector's settings (secrets masked) and Events API answers."""

from knowrithm_core.models.responses.common import Out


class SlackIntegration(Out):
    """Secrets are never returned: ``bot_token`` shows its last four characters, ``signing_secret`` is masked."""

    channel: str | None = None
    team_id: str | None = None
    bot_user_id: str | None = None
    bot_token: str | None = None
    signing_secret: str | None = None
    events_url: str | None = None  # set this as the Slack app's Event Subscriptions request URL
    created_at: str | None = None
    updated_at: str | None = None


class SlackIntegrationEnvelope(Out):
    message: str | None = None
    integration: SlackIntegration | None = None


class SlackEventAck(Out):
    """``url_verification`` gets its ``challenge`` back; other events ``ok`` (and what was done)."""

    ok: bool | None = None
    challenge: str | None = None
    outcome: str | None = None
