"""Connectors (``/integrations/...``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from knowrithm_core.models.bodies.base import Request


class SlackIntegrationRequest(Request):
    """``POST /integrations/slack``: the Slack app's bot token and signing secret, and the channel for threads."""

    bot_token: str = Field(min_length=10, max_length=500, pattern=r"^xox[a-z]-[A-Za-z0-9-]+$")
    signing_secret: str = Field(min_length=8, max_length=200, pattern=r"^[A-Za-z0-9]+$")
    channel: str = Field(min_length=1, max_length=100, pattern=r"^#?[A-Za-z0-9_.-]+$")  # an id (C0123...) or #name


class SlackEvent(Request):
    """What Slack's Events API sends (documented for reference: the route reads the raw body to check the
    signature first): ``url_verification`` with a ``challenge``, or an ``event_callback`` with an ``event``."""

    type: str
    challenge: str | None = None
    token: str | None = None
    team_id: str | None = None
    api_app_id: str | None = None
    event_id: str | None = None
    event_time: int | None = None
    event: dict[str, Any] | None = None
