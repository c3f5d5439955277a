"""The read-only provider and model catalogue."""

from __future__ import annotations

from typing import TypedDict


class Model(TypedDict, total=False):
    id: str
    name: str
    model_type: str  # llm | embedding
    provider_id: str
    is_active: bool


class Provider(TypedDict, total=False):
    id: str
    name: str
    label: str
    provider_type: str  # llm | embedding | both
    description: str
    is_active: bool
    models_count: int


class ProviderWithModels(Provider, total=False):
    models: list[Model]


class ProviderList(TypedDict, total=False):
    providers: list[Provider]
    total: int


class ModelList(TypedDict, total=False):
    provider: Provider
    models: list[Model]


class SettingsProvidersMetadata(TypedDict, total=False):
    total_llm_providers: int
    total_embedding_providers: int
    pricing_tiers: list[str]
    last_updated: str


class SettingsProviders(TypedDict, total=False):
    llm_providers: list[ProviderWithModels]
    embedding_providers: list[ProviderWithModels]
    metadata: SettingsProvidersMetadata
