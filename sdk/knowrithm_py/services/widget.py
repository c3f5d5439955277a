"""The widget's public routes (served by WidgetFunction): what an embedding page calls."""

from __future__ import annotations

from typing import cast
from urllib.parse import quote

from knowrithm_py.models.widget import Handshake, WidgetConfig
from knowrithm_py.services._base import Headers, Service


class WidgetService(Service):
    def get_widget_config(self, agent_id: str, *, headers: Headers = None) -> WidgetConfig:
        """``GET /widget/config/{agent_id}``; send the page's ``Origin`` in ``headers`` when the agent restricts
        its domains."""
        path = f"/widget/config/{quote(agent_id, safe='')}"
        return cast(WidgetConfig, self._core.call("GET", path, headers=headers))

    def website_handshake(
        self, agent_id: str, url: str, *, title: str | None = None, headers: Headers = None
    ) -> Handshake:
        """``POST /website/handshake``: tell the backend which page the widget runs on."""
        body = {"agent_id": agent_id, "url": url, **({"title": title} if title is not None else {})}
        return cast(Handshake, self._core.call("POST", "/website/handshake", json=body, headers=headers))
