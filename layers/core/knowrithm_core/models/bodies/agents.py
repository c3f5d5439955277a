"""Agents and their LLM settings (the agents function)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from knowrithm_core.errors import ValidationFailed
from knowrithm_core.models.bodies.base import Request


class ProviderChoice(Request):
    """Provider and model selection, by name (case-insensitive) or id; all optional."""

    llm_provider: str | None = None
    llm_provider_id: str | None = None
    llm_model: str | None = None
    llm_model_id: str | None = None
    embedding_provider: str | None = None
    embedding_provider_id: str | None = None
    embedding_model: str | None = None
    embedding_model_id: str | None = None
    llm_temperature: float | None = Field(default=None, ge=0, le=2)
    llm_max_tokens: int | None = Field(default=None, ge=1, le=200_000)
    llm_api_base_url: str | None = None
    llm_additional_params: dict[str, Any] | None = None
    embedding_dimension: int | None = Field(default=None, ge=1, le=10_000)
    widget_script_url: str | None = Field(default=None, max_length=2000)
    widget_config: dict[str, Any] | None = None
    allowed_domains: list[str] | None = None
    is_default: bool | None = None

    @field_validator("widget_config")
    @classmethod
    def _widget_config(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        from knowrithm_core.widget.options import normalize_widget_config

        try:
            return None if value is None else normalize_widget_config(value)
        except ValidationFailed as exc:
            raise ValueError(exc.message.removeprefix("Validation failed: ")) from exc

    @field_validator("allowed_domains")
    @classmethod
    def _allowed_domains(cls, value: list[str] | None) -> list[str] | None:
        from knowrithm_core.widget.origins import normalize_domains

        return None if value is None else normalize_domains(value)


class AgentFields(Request):
    description: str | None = Field(default=None, max_length=5000)
    instructions: str | None = Field(default=None, max_length=20000)
    avatar_url: str | None = Field(default=None, max_length=2000)
    status: Literal["active", "inactive", "training", "maintenance"] | None = None
    languages: list[str] | None = None
    capabilities: list[str] | None = None
    personality_traits: dict[str, Any] | None = None
    operating_hours: dict[str, Any] | None = None
    handoff_on_escalation: bool | None = None  # hand the conversation to a person when it escalates


class AgentCreate(AgentFields, ProviderChoice):
    """Both Knowrithm shapes: nested ``settings`` with names, or flat ``*_id`` keys."""

    name: str = Field(min_length=1, max_length=200)
    settings: ProviderChoice | None = None


class AgentUpdate(AgentFields, ProviderChoice):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    settings: ProviderChoice | None = None


class SettingsCreate(ProviderChoice):
    """``POST /settings`` and ``/sdk/settings``: for one agent (``agent_id``) or the company (no ``agent_id``)."""

    agent_id: str | None = None
    is_active: bool | None = None


class SettingsUpdate(ProviderChoice):
    is_active: bool | None = None
