"""Agents, their LLM settings, embed code and statistics."""

from __future__ import annotations

from typing import Any, Required, TypedDict

from knowrithm_py.models.common import Pagination


class AgentSettings(TypedDict, total=False):
    """The agent's LLM and embedding settings (Knowrithm's Settings object)."""

    id: str
    llm_provider_id: str
    llm_provider: str
    llm_provider_label: str
    llm_model_id: str
    llm_model_name: str
    embedding_provider_id: str
    embedding_provider: str
    embedding_provider_label: str
    embedding_model_id: str
    embedding_model_name: str
    llm_temperature: float
    llm_max_tokens: int
    llm_api_base_url: str | None
    llm_additional_params: dict[str, Any]
    embedding_dimension: int | None
    widget_script_url: str | None
    widget_config: dict[str, Any]
    is_default: bool
    is_active: bool
    created_at: str
    updated_at: str


class Agent(TypedDict, total=False):
    """An agent. Unauthenticated reads carry only the public fields (id, name, description, ...)."""

    id: str
    company_id: str
    name: str
    description: str | None
    instructions: str | None
    avatar_url: str | None
    status: str  # active | inactive | training | maintenance
    personality_traits: dict[str, Any]
    capabilities: list[str]
    operating_hours: dict[str, Any]
    languages: list[str]
    llm_settings_id: str | None
    model_name: str | None
    temperature: float
    max_tokens: int
    settings: AgentSettings | None
    total_conversations: int
    total_messages: int
    average_rating: float
    last_trained: str | None
    is_active: bool
    deleted_at: str | None
    handoff_on_escalation: bool
    version: int
    created_at: str
    updated_at: str


class ProviderSelection(TypedDict, total=False):
    """Provider and model by name (case-insensitive) or id; omitted ones take the server default."""

    llm_provider: str
    llm_provider_id: str
    llm_model: str
    llm_model_id: str
    embedding_provider: str
    embedding_provider_id: str
    embedding_model: str
    embedding_model_id: str
    llm_api_key: str
    llm_api_base_url: str
    llm_temperature: float
    llm_max_tokens: int
    llm_additional_params: dict[str, Any]
    embedding_api_key: str
    embedding_api_base_url: str
    embedding_dimension: int
    embedding_additional_params: dict[str, Any]
    widget_script_url: str
    widget_config: dict[str, Any]
    is_default: bool


class AgentFields(ProviderSelection, total=False):
    description: str
    instructions: str
    avatar_url: str
    status: str
    languages: list[str]
    capabilities: list[str]
    personality_traits: dict[str, Any]
    operating_hours: dict[str, Any]
    handoff_on_escalation: bool
    settings: ProviderSelection


class AgentCreateRequest(AgentFields, total=False):
    """``POST /sdk/agent``: ``name`` plus optional fields; provider keys flat or under ``settings``."""

    name: Required[str]


class AgentUpdateRequest(AgentFields, total=False):
    name: str


class AgentCreated(TypedDict, total=False):
    message: str
    agent: Agent
    settings: AgentSettings


class AgentEnvelope(TypedDict, total=False):
    message: str
    agent: Agent


class AgentDeleted(TypedDict, total=False):
    message: str
    agent_id: str
    agent: Agent


class AgentList(TypedDict, total=False):
    agents: list[Agent]
    items: list[Agent]
    total: int
    pages: int
    pagination: Pagination


class EmbedConfig(TypedDict, total=False):
    script_url: str
    agent_id: str
    api_url: str


class EmbedCode(TypedDict, total=False):
    """HTML snippets for the chat widget: ``simple`` (script tag) and ``advanced`` (global config)."""

    agent_id: str
    agent_name: str
    simple: str
    advanced: str
    script: str
    config: EmbedConfig
    preview_url: str


class AgentStats(TypedDict, total=False):
    agent_id: str
    agent_name: str
    status: str
    total_conversations: int
    total_messages: int
    documents_count: int
    databases_count: int
    average_rating: float
    llm_provider: str | None
    llm_model: str | None
    created_at: str
    last_trained: str | None
