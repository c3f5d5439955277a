"""Resource models: the JSON the REST API returns and webhook events carry in ``data``.

Field names follow Knowrithm's Swagger definitions (see the README's compatibility notes);
``version`` is ours and increases on every change so receivers can order and deduplicate.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Resource(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    id: str
    created_at: str
    updated_at: str
    version: int = 1

    def public(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class Company(Resource):
    name: str
    email: str
    phone: str | None = None
    logo: str | None = None
    address: dict[str, Any] = Field(default_factory=dict)
    is_active: bool = True
    is_verified: bool = False


class User(Resource):
    company_id: str
    email: str
    username: str
    first_name: str
    last_name: str
    role: Literal["admin", "user"] = "admin"
    status: str = "active"
    email_verified: bool = False
    language: str = "en"
    timezone: str = "UTC"
    preferences: dict[str, Any] = Field(default_factory=dict)


class ApiKeyDetails(Resource):
    company_id: str
    name: str
    key_prefix: str
    scopes: list[str]
    permissions: dict[str, Any] = Field(default_factory=dict)
    status: Literal["active", "inactive", "revoked", "expired"] = "active"
    rate_limit_per_hour: int = 1000
    rate_limit_per_day: int = 10000
    usage_count: int = 0
    last_used_at: str | None = None
    expires_at: str | None = None
    created_by: str | None = None


class AgentSettings(BaseModel):
    """The LLM settings an agent is created with (Knowrithm's Settings object, flattened)."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

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
    llm_temperature: float = 0.7
    llm_max_tokens: int = 1000
    llm_api_base_url: str | None = None
    llm_additional_params: dict[str, Any] = Field(default_factory=dict)
    embedding_dimension: int | None = None
    widget_script_url: str | None = None
    widget_config: dict[str, Any] = Field(default_factory=dict)
    allowed_domains: list[str] = Field(default_factory=list)  # empty = any origin (see knowrithm_core.widget.origins)
    is_default: bool = False
    is_active: bool = True
    created_at: str
    updated_at: str


class Agent(Resource):
    company_id: str
    name: str
    description: str | None = None
    instructions: str | None = None
    avatar_url: str | None = None
    status: Literal["active", "inactive", "training", "maintenance"] = "active"
    personality_traits: dict[str, Any] = Field(default_factory=dict)
    capabilities: list[str] = Field(default_factory=list)
    operating_hours: dict[str, Any] = Field(default_factory=dict)
    languages: list[str] = Field(default_factory=lambda: ["en"])
    llm_settings_id: str | None = None
    model_name: str | None = None
    temperature: float = 0.7
    max_tokens: int = 1000
    settings: AgentSettings | None = None
    total_conversations: int = 0
    total_messages: int = 0
    average_rating: float = 0.0
    last_trained: str | None = None
    is_active: bool = True
    deleted_at: str | None = None
    handoff_on_escalation: bool = False  # an escalation hands the conversation to a person


class Author(BaseModel):
    """A person who writes in a conversation on the company's side (an operator)."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    name: str
    email: str | None = None


class Handoff(BaseModel):
    """A conversation a person took over: the bot stays silent until it is released."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    handed_off: bool = True
    assignee: Author | None = None
    since: str
    reason: str | None = None
    trigger: Literal["api", "escalation", "slack"] = "api"


class Conversation(Resource):
    company_id: str
    agent_id: str
    entity_type: Literal["user", "lead"] = "user"
    entity_id: str | None = None
    title: str = "New Conversation"
    status: Literal["active", "archived", "deleted", "ended"] = "active"
    metadata: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    max_context_length: int = 4000
    context_strategy: str = "sliding_window"
    message_count: int = 0
    total_tokens: int = 0
    last_activity: str | None = None
    ended_at: str | None = None
    is_active: bool = True
    deleted_at: str | None = None
    handoff: Handoff | None = None  # set while a person has the conversation (see services.handoff)


class MessageSource(BaseModel):
    model_config = ConfigDict(defer_build=True)

    source_number: int
    document_name: str
    document_id: str | None = None
    url: str | None = None
    cited: bool = True


class Message(Resource):
    company_id: str
    conversation_id: str
    agent_id: str
    role: Literal["user", "assistant", "system", "operator"]
    content: str
    content_type: str = "text"
    tokens_used: int = 0
    processing_time: float | None = None
    model_used: str | None = None
    confidence_score: float | None = None
    sources: list[MessageSource] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)
    reply_to: str | None = None
    is_active: bool = True
    deleted_at: str | None = None
    author: Author | None = None  # who wrote an ``operator`` message


class Lead(Resource):
    company_id: str
    agent_id: str | None = None
    first_name: str
    last_name: str
    full_name: str
    email: str
    phone: str | None = None
    source: str | None = None
    notes: str | None = None
    status: Literal["new", "contacted", "qualified", "converted", "lost"] = "new"
    consent_data_processing: bool = True
    consent_marketing: bool = False
    tags: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)
    ip_address: str | None = None
    user_agent: str | None = None
    is_active: bool = True
    last_activity: str | None = None
    deleted_at: str | None = None


class Task(BaseModel):
    """An asynchronous task's status record (``GET /tasks/{id}/status``)."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    task_id: str
    company_id: str
    owner_id: str | None = None
    kind: str
    status: Literal["pending", "processing", "completed", "failed"]
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    created_at: str
    updated_at: str
