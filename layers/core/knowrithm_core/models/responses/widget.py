"""The widget function's public JSON routes (served by WidgetFunction, documented with the API)."""

from typing import Any

from knowrithm_core.models.responses.common import Out


class WidgetAgent(Out):
    id: str | None = None
    company_id: str | None = None
    name: str | None = None
    description: str | None = None
    avatar_url: str | None = None
    status: str | None = None


class WidgetConfig(Out):
    """``GET /widget/config/{agent_id}``: what the widget needs before it renders."""

    agent_id: str | None = None
    agent: WidgetAgent | None = None
    available: bool | None = None
    widget_config: dict[str, Any] | None = None
    websocket_url: str | None = None  # the real-time API (wss://…/stage); null when the deployment has none


class WebsiteSource(Out):
    id: str | None = None
    agent_id: str | None = None
    company_id: str | None = None
    base_url: str | None = None
    status: str | None = None
    created_at: str | None = None


class WebsitePage(Out):
    id: str | None = None
    website_source_id: str | None = None
    url: str | None = None
    title: str | None = None
    status: str | None = None
    last_seen_at: str | None = None


class Handshake(Out):
    """``POST /website/handshake``: the page, described."""

    website_source: WebsiteSource | None = None
    website_page: WebsitePage | None = None
    crawl_task_id: str | None = None
