"""Request models: what the API accepts. Unknown keys are ignored (clients send extras)."""

from __future__ import annotations

import re
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from knowrithm_core.errors import ValidationFailed

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SCOPES = ("read", "write", "update", "delete", "admin", "full_access")

Model = TypeVar("Model", bound=BaseModel)


def parse(model: type[Model], data: Any) -> Model:
    """Validate ``data`` into ``model`` or raise a 400 naming every bad field."""
    if isinstance(data, model):
        return data  # already validated (a route's typed body)
    if not isinstance(data, dict):
        raise ValidationFailed("The request body must be a JSON object.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors: dict[str, list[str]] = {}
        for err in exc.errors():
            field = ".".join(str(part) for part in err["loc"]) or "body"
            errors.setdefault(field, []).append(err["msg"])
        summary = "; ".join(f"{field}: {msgs[0]}" for field, msgs in errors.items())
        raise ValidationFailed(f"Validation failed: {summary}", details={"errors": errors}) from exc


class Request(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, defer_build=True)


def _email(value: str) -> str:
    if not EMAIL_RE.match(value):
        raise ValueError("must be a valid email address")
    return value.lower()


class CompanyCreate(Request):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(max_length=255)
    phone: str | None = Field(default=None, max_length=30)
    address: dict[str, Any] = Field(default_factory=dict)

    _check_email = field_validator("email")(_email)


class UserRegister(Request):
    company_id: str = Field(min_length=1)
    email: str = Field(max_length=255)
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=8, max_length=256)
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)

    _check_email = field_validator("email")(_email)


class Login(Request):
    email: str = Field(min_length=1, max_length=255)
    password: str = Field(min_length=1, max_length=256)


class ApiKeyCreate(Request):
    name: str = Field(default="API key", max_length=100)
    scopes: list[str] = Field(default_factory=lambda: ["read", "write"])
    permissions: dict[str, Any] = Field(default_factory=dict)
    expires_in_days: int | None = Field(default=None, ge=1, le=365)

    @field_validator("scopes")
    @classmethod
    def _known_scopes(cls, value: list[str]) -> list[str]:
        unknown = [scope for scope in value if scope not in SCOPES]
        if unknown:
            raise ValueError(f"unknown scopes {unknown}; valid scopes are {list(SCOPES)}")
        if not value:
            raise ValueError("at least one scope is required")
        return sorted(set(value))


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


class AgentCreate(AgentFields, ProviderChoice):
    """Both Knowrithm shapes: nested ``settings`` with names, or flat ``*_id`` keys."""

    name: str = Field(min_length=1, max_length=200)
    settings: ProviderChoice | None = None


class AgentUpdate(AgentFields, ProviderChoice):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    settings: ProviderChoice | None = None


class ConversationCreate(Request):
    agent_id: str = Field(min_length=1)
    title: str = Field(default="New Conversation", max_length=200)
    metadata: dict[str, Any] = Field(default_factory=dict)
    max_context_length: int = Field(default=4000, ge=1000, le=200_000)


class SettingsCreate(ProviderChoice):
    """``POST /settings`` and ``/sdk/settings``: for one agent (``agent_id``) or the company (no ``agent_id``)."""

    agent_id: str | None = None
    is_active: bool | None = None


class SettingsUpdate(ProviderChoice):
    is_active: bool | None = None


class ConversationUpdate(Request):
    """``PATCH /conversation/{id}``: ``metadata`` is merged into the stored metadata (a null value removes a key)."""

    title: str | None = Field(default=None, min_length=1, max_length=200)
    metadata: dict[str, Any] | None = None


class ChatRequest(Request):
    message: str = Field(min_length=1, max_length=20_000)


class LeadFields(Request):
    phone: str | None = Field(default=None, max_length=20)
    source: str | None = Field(default=None, max_length=100)
    notes: str | None = Field(default=None, max_length=5000)
    tags: list[str] | None = None
    metadata: dict[str, Any] | None = None


class LeadRegister(LeadFields):
    agent_id: str = Field(min_length=1)
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    email: str = Field(max_length=255)
    consent_data_processing: bool = True
    consent_marketing: bool = False

    _check_email = field_validator("email")(_email)


class LeadCreate(LeadFields):
    agent_id: str | None = None
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    email: str = Field(max_length=255)
    status: Literal["new", "contacted", "qualified", "converted", "lost"] = "new"
    consent_data_processing: bool = True
    consent_marketing: bool = False

    _check_email = field_validator("email")(_email)


class LeadUpdate(LeadFields):
    first_name: str | None = Field(default=None, min_length=1, max_length=100)
    last_name: str | None = Field(default=None, min_length=1, max_length=100)
    email: str | None = Field(default=None, max_length=255)
    status: Literal["new", "contacted", "qualified", "converted", "lost"] | None = None
    consent_data_processing: bool | None = None
    consent_marketing: bool | None = None

    @field_validator("email")
    @classmethod
    def _check_email(cls, value: str | None) -> str | None:
        return None if value is None else _email(value)


class ExportRequest(Request):
    """``POST /analytic/export`` (checked by the analytics service, which keeps Knowrithm's messages)."""

    type: Literal["conversations", "leads", "agents", "usage"] | None = None
    export_type: Literal["conversations", "leads", "agents", "usage"] | None = Field(default=None, description="alias")
    format: Literal["json", "csv"] | None = "json"
    export_format: Literal["json", "csv"] | None = Field(default=None, description="alias of format")
    start_date: str | None = None
    end_date: str | None = None


class DocumentIds(Request):
    """``DELETE /document/bulk-delete`` (checked by the documents service)."""

    document_ids: list[str] = Field(min_length=1)


class WidgetHandshake(Request):
    """``POST /website/handshake`` (the widget function): the page the widget runs on."""

    agent_id: str = Field(min_length=1, max_length=64)
    url: str = Field(min_length=1, max_length=2048)
    title: str | None = Field(default=None, max_length=500)


class DocumentUpload(Request):
    """``POST /document/upload`` as JSON: URLs to fetch (files go as multipart; other keys become metadata)."""

    agent_id: str | None = None
    url: str | list[str] | None = None
    urls: str | list[str] | None = None
    metadata: dict[str, Any] | None = None


# the agent extras ``POST /agent/{id}/test`` and ``/clone`` (the analytics function); no docstrings, which would
# change the published schemas' descriptions
class AgentTest(Request):
    query: str | None = Field(default=None, max_length=20_000)


class AgentClone(Request):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    llm_settings_id: str | None = None
