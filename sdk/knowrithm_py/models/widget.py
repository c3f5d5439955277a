"""The widget function's public JSON routes (no credentials; the page origin is checked)."""

from __future__ import annotations

from typing import Any, TypedDict


class WidgetAgent(TypedDict, total=False):
    id: str
    company_id: str
    name: str
    description: str | None
    avatar_url: str | None
    status: str


class WidgetConfig(TypedDict, total=False):
    """``GET /widget/config/{agent_id}``."""

    agent_id: str
    agent: WidgetAgent
    available: bool
    widget_config: dict[str, Any]
    websocket_url: str | None  # the real-time API the widget connects to (null without one)


class WebsiteSource(TypedDict, total=False):
    id: str
    agent_id: str
    company_id: str
    base_url: str
    status: str
    created_at: str


class WebsitePage(TypedDict, total=False):
    id: str
    website_source_id: str
    url: str
    title: str | None
    status: str
    last_seen_at: str


class Handshake(TypedDict, total=False):
    """``POST /website/handshake``: the page the widget runs on, described."""

    website_source: WebsiteSource
    website_page: WebsitePage
    crawl_task_id: str | None
