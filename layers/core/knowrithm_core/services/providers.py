"""The built-in provider catalogue (read-only): ``extractive`` (default) and ``bedrock``.

Ids are stable (UUIDv5 of the name), so an agent created with ids on one deployment
means the same on another. Agents may name providers and models case-insensitively.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from knowrithm_core.config import Settings
from knowrithm_core.errors import NotFound, ValidationFailed

_NAMESPACE = uuid.UUID("5b6f7c1e-9f51-4c1b-9a53-6b1c1f0c2a11")
CATALOGUE_DATE = "2026-11-24"


def stable_id(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


@dataclass(frozen=True)
class Model:
    id: str
    name: str
    model_type: str  # "llm" or "embedding"
    provider_id: str

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "model_type": self.model_type,
            "provider_id": self.provider_id,
            "is_active": True,
        }


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    label: str
    description: str
    models: tuple[Model, ...]

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "label": self.label,
            "provider_type": "both",
            "description": self.description,
            "is_active": True,
            "models_count": len(self.models),
        }

    def find_model(self, ref: str, model_type: str) -> Model | None:
        wanted = ref.strip().lower()
        return next((m for m in self.models if m.model_type == model_type and wanted in (m.id, m.name.lower())), None)


def _provider(name: str, label: str, description: str, llms: tuple[str, ...], embeddings: tuple[str, ...]) -> Provider:
    pid = stable_id("provider", name)
    models = tuple(Model(stable_id("model", name, "llm", m), m, "llm", pid) for m in llms) + tuple(
        Model(stable_id("model", name, "embedding", m), m, "embedding", pid) for m in embeddings
    )
    return Provider(pid, name, label, description, models)


class ProviderCatalogue:
    def __init__(self, settings: Settings) -> None:
        self.providers = (
            _provider(
                "extractive",
                "Extractive (built-in)",
                "Answers from the agent's own knowledge with no network calls.",
                ("extractive",),
                ("bm25",),
            ),
            _provider(
                "bedrock",
                "Amazon Bedrock",
                "Converse API models, configured by BEDROCK_LLM_MODELS.",
                settings.bedrock_llm_models,
                settings.bedrock_embedding_models,
            ),
        )

    @property
    def default(self) -> Provider:
        return self.providers[0]

    def get(self, ref: str) -> Provider:
        wanted = ref.strip().lower()
        for provider in self.providers:
            if wanted in (provider.id, provider.name):
                return provider
        raise NotFound("Provider not found.")

    def resolve(self, kind: str, provider_ref: str | None, model_ref: str | None) -> tuple[Provider, Model]:
        """Pick (provider, model) of ``kind`` by name or id; a 400 names the valid choices."""
        model_type = "llm" if kind == "llm" else "embedding"
        provider = self.default
        if provider_ref:
            try:
                provider = self.get(provider_ref)
            except NotFound:
                valid = [p.name for p in self.providers]
                raise ValidationFailed(
                    f"Unknown {kind} provider '{provider_ref}'. Valid providers: {', '.join(valid)}.",
                    details={"field": f"{kind}_provider", "valid": valid},
                ) from None
        choices = [m for m in provider.models if m.model_type == model_type]
        if not model_ref:
            if not choices:
                raise ValidationFailed(f"Provider '{provider.name}' has no {kind} models configured.")
            return provider, choices[0]
        model = provider.find_model(model_ref, model_type)
        if model is None:
            valid = [m.name for m in choices]
            raise ValidationFailed(
                f"Unknown {kind} model '{model_ref}' for provider '{provider.name}'. Valid models: {', '.join(valid)}.",
                details={"field": f"{kind}_model", "valid": valid},
            )
        return provider, model

    # --- route payloads ------------------------------------------------------------
    def list_providers(self) -> dict[str, Any]:
        providers = [p.public() for p in self.providers]
        return {"providers": providers, "total": len(providers)}

    def provider(self, provider_ref: str) -> dict[str, Any]:
        provider = self.get(provider_ref)
        return {**provider.public(), "models": [m.public() for m in provider.models]}

    def model(self, provider_ref: str, model_ref: str) -> dict[str, Any]:
        provider = self.get(provider_ref)
        wanted = model_ref.strip().lower()
        found = next((m for m in provider.models if wanted in (m.id, m.name.lower())), None)
        if found is None:
            raise NotFound("Model not found.")
        return found.public()

    def list_models(self, provider_ref: str) -> dict[str, Any]:
        provider = self.get(provider_ref)
        return {"provider": provider.public(), "models": [m.public() for m in provider.models]}

    def settings_providers(self) -> dict[str, Any]:
        def entry(p: Provider, model_type: str) -> dict[str, Any]:
            return {**p.public(), "models": [m.public() for m in p.models if m.model_type == model_type]}

        llm = [entry(p, "llm") for p in self.providers if any(m.model_type == "llm" for m in p.models)]
        emb = [entry(p, "embedding") for p in self.providers if any(m.model_type == "embedding" for m in p.models)]
        return {
            "llm_providers": llm,
            "embedding_providers": emb,
            "metadata": {
                "total_llm_providers": len(llm),
                "total_embedding_providers": len(emb),
                "pricing_tiers": [],
                "last_updated": CATALOGUE_DATE,
            },
        }

    def seed(self) -> dict[str, Any]:
        """``POST /settings/providers/seed``: nothing to write (the catalogue is configuration); what it holds."""
        models = sum(len(p.models) for p in self.providers)
        return {
            "status": "completed",
            "message": "Providers are built in; nothing needed seeding.",
            "providers": len(self.providers),
            "models": models,
        }
