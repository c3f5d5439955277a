"""The widget function's public endpoints: the agent's widget config, the page handshake, preflights.

Reads one agent item (GSI1 ``AGENT#<id>``) per call and nothing else; no pydantic, so the widget
function's cold start stays small. The handshake is stateless: website source and page get stable
ids derived from the agent and the URL (crawling is not part of this product yet, so ``crawl_task_id``
is always null).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from knowrithm_core.errors import NotFound, ValidationFailed
from knowrithm_core.ids import is_uuid, iso
from knowrithm_core.store.port import Item, Table
from knowrithm_core.store.repositories.widget import WidgetRepository
from knowrithm_core.widget.cors import preflight_headers
from knowrithm_core.widget.origins import origin_allowed, request_origin, require_allowed

PUBLIC_AGENT_FIELDS = ("id", "company_id", "name", "description", "avatar_url", "status")
NAMESPACE = uuid.UUID("6b3c4f0e-5d0a-4c1e-9a57-2f0f8e1b7c11")  # stable ids for handshake sources and pages


def _field(body: dict[str, Any], name: str, *, limit: int, required: bool) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        if required:
            message = f"Validation failed: {name}: field required"
            raise ValidationFailed(message, details={"errors": {name: ["field required"]}})
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise ValidationFailed(
            f"Validation failed: {name}: must be a string of at most {limit} characters",
            details={"errors": {name: [f"must be a string of at most {limit} characters"]}},
        )
    return value.strip()


class WidgetPublic:
    def __init__(self, table: Table, websocket_url: str | None = None) -> None:
        self.agents = WidgetRepository(table)
        self.websocket_url = websocket_url  # the real-time API (wss://…/stage), when the deployment has one

    def agent_item(self, agent_id: str) -> Item:
        """The live agent's item; 404 for unknown, malformed or deleted ids."""
        if not is_uuid(agent_id):
            raise NotFound("Agent not found.")
        found = self.agents.live_agent(agent_id)
        if found is None:
            raise NotFound("Agent not found.")
        return found

    @staticmethod
    def _settings(item: Item) -> dict[str, Any]:
        settings = item.get("settings")
        return settings if isinstance(settings, dict) else {}

    def _checked(self, agent_id: str, headers: Mapping[str, str]) -> tuple[Item, dict[str, Any]]:
        item = self.agent_item(agent_id)
        settings = self._settings(item)
        require_allowed(request_origin(headers), settings.get("allowed_domains") or [])
        return item, settings

    def config(self, agent_id: str, headers: Mapping[str, str]) -> dict[str, Any]:
        """``GET /widget/config/{agent_id}``: what the widget needs before it renders."""
        item, settings = self._checked(agent_id, headers)
        return {
            "agent_id": item["id"],
            "agent": {name: item.get(name) for name in PUBLIC_AGENT_FIELDS},
            "available": item.get("status", "active") == "active",
            "widget_config": settings.get("widget_config") or {},
            "websocket_url": self.websocket_url,
        }

    def handshake(self, body: Any, headers: Mapping[str, str]) -> dict[str, Any]:
        """``POST /website/handshake`` (Knowrithm's widget calls it first): the page, described."""
        if not isinstance(body, dict):
            raise ValidationFailed("The request body must be a JSON object.")
        agent_id = str(_field(body, "agent_id", limit=64, required=True))
        url = str(_field(body, "url", limit=2048, required=True))
        title = _field(body, "title", limit=500, required=False)
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValidationFailed("Validation failed: url: must be an http(s) URL", details={"errors": {"url": []}})
        item, _ = self._checked(agent_id, headers)
        base_url = f"{parts.scheme}://{parts.netloc}"
        source_id = str(uuid.uuid5(NAMESPACE, f"{item['id']}|{base_url}"))
        stamp = iso()
        return {
            "website_source": {
                "id": source_id,
                "agent_id": item["id"],
                "company_id": item.get("company_id"),
                "base_url": base_url,
                "status": "registered",
                "created_at": stamp,
            },
            "website_page": {
                "id": str(uuid.uuid5(NAMESPACE, f"{source_id}|{url}")),
                "website_source_id": source_id,
                "url": url,
                "title": title,
                "status": "seen",
                "last_seen_at": stamp,
            },
            "crawl_task_id": None,
        }

    def config_preflight(self, agent_id: str, headers: Mapping[str, str]) -> dict[str, str]:
        """CORS headers for a preflight of the config route: only origins the agent allows get any."""
        origin = headers.get("origin")
        try:
            allowed = origin_allowed(origin, self._settings(self.agent_item(agent_id)).get("allowed_domains") or [])
        except NotFound:
            allowed = False
        return preflight_headers(origin, allowed=allowed, echo_origin=True)
