"""Connectors (``/integrations``): Slack."""

from __future__ import annotations

from typing import cast

from knowrithm_py.models.integrations import SlackIntegrationEnvelope
from knowrithm_py.services._base import Headers, Service


class IntegrationService(Service):
    def connect_slack(
        self, bot_token: str, signing_secret: str, channel: str, *, headers: Headers = None
    ) -> SlackIntegrationEnvelope:
        """``POST /integrations/slack``: the server checks the token with Slack and stores both secrets
        encrypted; set ``integration["events_url"]`` as the Slack app's Event Subscriptions request URL."""
        body = {"bot_token": bot_token, "signing_secret": signing_secret, "channel": channel}
        answer = self._core.call("POST", "/integrations/slack", json=body, headers=headers)
        return cast(SlackIntegrationEnvelope, answer)

    def get_slack(self, *, headers: Headers = None) -> SlackIntegrationEnvelope:
        """``GET /integrations/slack`` (404 when not connected); secrets masked."""
        return cast(SlackIntegrationEnvelope, self._core.call("GET", "/integrations/slack", headers=headers))

    def disconnect_slack(self, *, headers: Headers = None) -> SlackIntegrationEnvelope:
        """``DELETE /integrations/slack``."""
        return cast(SlackIntegrationEnvelope, self._core.call("DELETE", "/integrations/slack", headers=headers))
