"""LLM settings (``/settings``, ``/sdk/settings``): one agent's or the company's."""

from typing import Any

from knowrithm_core.models.responses.agents import AgentSettings
from knowrithm_core.models.responses.common import Out


class SettingsRecord(AgentSettings):
    """A settings object with its owner (``agent`` is null for the company's settings)."""

    message: str | None = None
    company_id: str | None = None
    company: dict[str, Any] | None = None
    agent_id: str | None = None
    agent: dict[str, Any] | None = None


class SettingsList(Out):
    settings: list[SettingsRecord] | None = None
    total: int | None = None


class SettingsDeleted(Out):
    message: str | None = None
    id: str | None = None
    settings_id: str | None = None
