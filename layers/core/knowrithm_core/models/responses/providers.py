"""The read-only provider and model catalogue."""

from knowrithm_core.models.responses.common import Out


class LlmModel(Out):
    id: str | None = None
    name: str | None = None
    model_type: str | None = None  # llm | embedding
    provider_id: str | None = None
    is_active: bool | None = None


class Provider(Out):
    id: str | None = None
    name: str | None = None
    label: str | None = None
    provider_type: str | None = None  # llm | embedding | both
    description: str | None = None
    is_active: bool | None = None
    models_count: int | None = None


class ProviderWithModels(Provider):
    models: list[LlmModel] | None = None


class ProviderList(Out):
    providers: list[Provider] | None = None
    total: int | None = None


class ModelList(Out):
    provider: Provider | None = None
    models: list[LlmModel] | None = None


class SettingsProvidersMetadata(Out):
    total_llm_providers: int | None = None
    total_embedding_providers: int | None = None
    pricing_tiers: list[str] | None = None
    last_updated: str | None = None


class SettingsProviders(Out):
    llm_providers: list[ProviderWithModels] | None = None
    embedding_providers: list[ProviderWithModels] | None = None
    metadata: SettingsProvidersMetadata | None = None
