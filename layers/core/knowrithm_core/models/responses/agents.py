"""Agents, their LLM settings, embed code and statistics."""

from typing import Any

from knowrithm_core.models.responses.common import Out, Pagination


class AgentSettings(Out):
    """The agent's LLM and embedding settings (Knowrithm's Settings object)."""

    id: str | None = None
    llm_provider_id: str | None = None
    llm_provider: str | None = None
    llm_provider_label: str | None = None
    llm_model_id: str | None = None
    llm_model_name: str | None = None
    embedding_provider_id: str | None = None
    embedding_provider: str | None = None
    embedding_provider_label: str | None = None
    embedding_model_id: str | None = None
    embedding_model_name: str | None = None
    llm_temperature: float | None = None
    llm_max_tokens: int | None = None
    llm_api_base_url: str | None = None
    llm_additional_params: dict[str, Any] | None = None
    embedding_dimension: int | None = None
    widget_script_url: str | None = None
    widget_config: dict[str, Any] | None = None
    is_default: bool | None = None
    is_active: bool | None = None
    created_at: str | None = None
    updated_at: str | None = None


class Agent(Out):
    """An agent. Unauthenticated reads carry only the public fields (id, name, description, ...)."""

    id: str | None = None
    company_id: str | None = None
    name: str | None = None
    description: str | None = None
    instructions: str | None = None
    avatar_url: str | None = None
    status: str | None = None  # active | inactive | training | maintenance
    personality_traits: dict[str, Any] | None = None
    capabilities: list[str] | None = None
    operating_hours: dict[str, Any] | None = None
    languages: list[str] | None = None
    llm_settings_id: str | None = None
    model_name: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    settings: AgentSettings | None = None
    total_conversations: int | None = None
    total_messages: int | None = None
    average_rating: float | None = None
    last_trained: str | None = None
    is_active: bool | None = None
    deleted_at: str | None = None
    handoff_on_escalation: bool | None = None
    version: int | None = None
    created_at: str | None = None
    updated_at: str | None = None


class AgentCreated(Out):
    message: str | None = None
    agent: Agent | None = None
    settings: AgentSettings | None = None


class AgentEnvelope(Out):
    message: str | None = None
    agent: Agent | None = None


class AgentDeleted(Out):
    message: str | None = None
    agent_id: str | None = None
    agent: Agent | None = None


class AgentList(Out):
    agents: list[Agent] | None = None
    items: list[Agent] | None = None
    total: int | None = None
    pages: int | None = None
    pagination: Pagination | None = None


class EmbedConfig(Out):
    script_url: str | None = None
    agent_id: str | None = None
    api_url: str | None = None


class EmbedCode(Out):
    """HTML snippets for the chat widget: ``simple`` (script tag) and ``advanced`` (global config)."""

    agent_id: str | None = None
    agent_name: str | None = None
    simple: str | None = None
    advanced: str | None = None
    script: str | None = None
    config: EmbedConfig | None = None
    preview_url: str | None = None


class AgentStats(Out):
    agent_id: str | None = None
    agent_name: str | None = None
    status: str | None = None
    total_conversations: int | None = None
    total_messages: int | None = None
    documents_count: int | None = None
    databases_count: int | None = None
    average_rating: float | None = None
    llm_provider: str | None = None
    llm_model: str | None = None
    created_at: str | None = None
    last_trained: str | None = None
