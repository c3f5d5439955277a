"""LLM settings (``/sdk/settings``): one agent's, or the company's."""

from __future__ import annotations

from typing import Any, TypedDict

from knowrithm_py.models.agents import AgentSettings, ProviderSelection


class SettingsCreateRequest(ProviderSelection, total=False):
    """``POST /sdk/settings``: for one agent (``agent_id``) or the company (no ``agent_id``)."""

    agent_id: str
    allowed_domains: list[str]
    is_active: bool


class SettingsUpdateRequest(ProviderSelection, total=False):
    allowed_domains: list[str]
    is_active: bool


class SettingsRecord(AgentSettings, total=False):
    """A settings object with its owner (``agent`` is ``None`` for the company's settings)."""

    message: str
    company_id: str
    company: dict[str, Any]
    agent_id: str | None
    agent: dict[str, Any] | None


class SettingsList(TypedDict, total=False):
    settings: list[SettingsRecord]
    total: int


class SettingsDeleted(TypedDict, total=False):
    message: str
    id: str
    settings_id: str
