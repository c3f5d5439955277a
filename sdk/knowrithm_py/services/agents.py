"""Agents (``/sdk/agent``, ``/agent``) and the provider catalogue (``/providers``)."""

from __future__ import annotations

from typing import cast
from urllib.parse import quote

from knowrithm_py.models.agents import (
    AgentCreated,
    AgentCreateRequest,
    AgentDeleted,
    AgentEnvelope,
    AgentList,
    AgentStats,
    AgentUpdateRequest,
    EmbedCode,
    ProviderSelection,
)
from knowrithm_py.models.analytics import AgentCloned, AgentTestResult
from knowrithm_py.models.providers import Model, ModelList, ProviderList, ProviderWithModels, SettingsProviders
from knowrithm_py.services._base import Headers, Service, page_params


def _id(value: str) -> str:
    return quote(value, safe="")


class AgentService(Service):
    def create_agent(
        self, payload: AgentCreateRequest, *, settings: ProviderSelection | None = None, headers: Headers = None
    ) -> AgentCreated:
        """``POST /sdk/agent``. Providers and models go by name (``settings={"llm_provider": "extractive"}``)
        or id (flat ``llm_provider_id`` ...), in ``payload`` or ``settings``; missing ones use the defaults."""
        body = dict(payload)
        if settings:
            body["settings"] = {**dict(payload.get("settings") or {}), **settings}
        return cast(AgentCreated, self._core.call("POST", "/sdk/agent", json=body, headers=headers))

    def create_agent_with_provider_names(
        self, payload: AgentCreateRequest, *, settings: ProviderSelection, headers: Headers = None
    ) -> AgentCreated:
        """The official client's name for :meth:`create_agent` with provider names."""
        return self.create_agent(payload, settings=settings, headers=headers)

    def list_agents(
        self,
        *,
        page: int | None = None,
        per_page: int | None = None,
        status: str | None = None,
        search: str | None = None,
        cursor: str | None = None,
        headers: Headers = None,
    ) -> AgentList:
        """``GET /agent``: newest first; ``status="deleted"`` lists soft-deleted agents; ``cursor`` is the previous
        page's ``pagination["next_cursor"]``."""
        params = page_params(page, per_page, status=status, search=search, cursor=cursor)
        return cast(AgentList, self._core.call("GET", "/agent", params=params, headers=headers))

    def get_agent(self, agent_id: str, *, headers: Headers = None) -> AgentEnvelope:
        """``GET /agent/{id}`` -> ``{"agent": {...}}`` (public fields only without credentials)."""
        return cast(AgentEnvelope, self._core.call("GET", f"/agent/{_id(agent_id)}", headers=headers))

    def update_agent(self, agent_id: str, payload: AgentUpdateRequest, *, headers: Headers = None) -> AgentEnvelope:
        """``PUT /sdk/agent/{id}``: only the given fields change."""
        path = f"/sdk/agent/{_id(agent_id)}"
        return cast(AgentEnvelope, self._core.call("PUT", path, json=dict(payload), headers=headers))

    def delete_agent(self, agent_id: str, force: bool = False, *, headers: Headers = None) -> AgentDeleted:
        """``DELETE /sdk/agent/{id}`` (soft). The server refuses (400) while conversations are active
        unless ``force``."""
        params = {"force": "true"} if force else None
        path = f"/sdk/agent/{_id(agent_id)}"
        return cast(AgentDeleted, self._core.call("DELETE", path, params=params, headers=headers))

    def restore_agent(self, agent_id: str, *, headers: Headers = None) -> AgentEnvelope:
        """``PATCH /agent/{id}/restore``."""
        return cast(AgentEnvelope, self._core.call("PATCH", f"/agent/{_id(agent_id)}/restore", headers=headers))

    def get_embed_code(self, agent_id: str, *, headers: Headers = None) -> EmbedCode:
        """``GET /agent/{id}/embed-code``: the widget snippets."""
        return cast(EmbedCode, self._core.call("GET", f"/agent/{_id(agent_id)}/embed-code", headers=headers))

    def get_agent_stats(self, agent_id: str, *, headers: Headers = None) -> AgentStats:
        """``GET /agent/{id}/stats``."""
        return cast(AgentStats, self._core.call("GET", f"/agent/{_id(agent_id)}/stats", headers=headers))

    def test_agent(self, agent_id: str, *, query: str | None = None, headers: Headers = None) -> AgentTestResult:
        """``POST /agent/{id}/test``: the agent's answer to ``query`` (a default prompt without one); nothing
        is stored."""
        body = {"query": query} if query is not None else None
        path = f"/agent/{_id(agent_id)}/test"
        return cast(AgentTestResult, self._core.call("POST", path, json=body, headers=headers))

    def clone_agent(
        self,
        agent_id: str,
        *,
        name: str | None = None,
        llm_settings_id: str | None = None,
        headers: Headers = None,
    ) -> AgentCloned:
        """``POST /agent/{id}/clone``: a new, inactive copy (named ``name``, with the settings ``llm_settings_id``
        when given)."""
        body = {key: value for key, value in {"name": name, "llm_settings_id": llm_settings_id}.items() if value}
        path = f"/agent/{_id(agent_id)}/clone"
        return cast(AgentCloned, self._core.call("POST", path, json=body or None, headers=headers))

    def get_agent_by_name(self, name: str, *, headers: Headers = None) -> AgentEnvelope:
        """``GET /agent/by-name/{name}``: the company's live agent with this name (case-insensitive)."""
        return cast(AgentEnvelope, self._core.call("GET", f"/agent/by-name/{_id(name)}", headers=headers))


class ProviderService(Service):
    def list_providers(self, *, headers: Headers = None) -> ProviderList:
        """``GET /providers``."""
        return cast(ProviderList, self._core.call("GET", "/providers", headers=headers))

    def get_provider(self, provider_id: str, *, headers: Headers = None) -> ProviderWithModels:
        """``GET /providers/{id or name}``: the provider with its models."""
        return cast(ProviderWithModels, self._core.call("GET", f"/providers/{_id(provider_id)}", headers=headers))

    def get_model(self, provider_id: str, model_id: str, *, headers: Headers = None) -> Model:
        """``GET /providers/{id or name}/models/{id or name}``."""
        path = f"/providers/{_id(provider_id)}/models/{_id(model_id)}"
        return cast(Model, self._core.call("GET", path, headers=headers))

    def list_models(self, provider_id: str, *, headers: Headers = None) -> ModelList:
        """``GET /providers/{id or name}/models``."""
        return cast(ModelList, self._core.call("GET", f"/providers/{_id(provider_id)}/models", headers=headers))

    def list_settings_providers(self, *, headers: Headers = None) -> SettingsProviders:
        """``GET /settings/providers``: LLM and embedding providers with their models."""
        return cast(SettingsProviders, self._core.call("GET", "/settings/providers", headers=headers))
