"""Settings (Knowrithm's LLM settings object, which also holds ``widget_config`` and our ``allowed_domains``).

Storage: an agent's settings live inside the agent item (``Agent.settings``), so the public widget
routes read an agent and its widget settings with one request; the agent item also carries GSI2
``SETTINGS#<id>`` so the settings are found by their own id. Company-level settings (no agent) are
items of their own, ``COMPANY#c / SETTINGS#<id>``. Creating settings for an agent replaces the agent's
settings (new id); changing an agent's settings writes a new agent version plus ``agent.updated``.
"""

from __future__ import annotations

from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.errors import BadRequest, Conflict, NotFound
from knowrithm_core.ids import is_uuid, iso, new_id
from knowrithm_core.models.requests import ProviderChoice, SettingsCreate, SettingsUpdate, parse
from knowrithm_core.models.resources import Agent, AgentSettings
from knowrithm_core.services.agents import AgentService
from knowrithm_core.services.base import Service
from knowrithm_core.store.repositories.agents import SettingsRepository
from knowrithm_core.store.table import TransactionConflict


def _choice(request: SettingsCreate | SettingsUpdate) -> ProviderChoice:
    fields = request.model_dump(include=set(ProviderChoice.model_fields), exclude_none=True)
    return ProviderChoice.model_validate(fields)


class SettingsService(Service):
    def __init__(self, agents: AgentService) -> None:
        super().__init__(agents.table, agents.settings)
        self.agents = agents
        self.repository = SettingsRepository(agents.table)

    # --- shapes --------------------------------------------------------------------
    @staticmethod
    def _public(settings: AgentSettings, company_id: str, agent: Agent | None) -> dict[str, Any]:
        return {
            **settings.model_dump(mode="json"),
            "company_id": company_id,
            "company": {"id": company_id},
            "agent_id": agent.id if agent else None,
            "agent": {"id": agent.id, "name": agent.name} if agent else None,
        }

    # --- look-ups ----------------------------------------------------------------------
    def _find(self, principal: Principal, settings_id: str) -> tuple[Agent | None, AgentSettings]:
        """(their agent, or None for company settings; the settings); 404 across tenants."""
        if not is_uuid(settings_id):
            raise NotFound("Settings not found.")
        company_id = principal.company_id
        own = self.repository.company_settings(company_id, settings_id)
        if own:
            settings, deleted = own
            if deleted:
                raise NotFound("Settings not found.")
            return None, settings
        found = self.repository.holders(settings_id, limit=1)
        if not found or found[0].company_id != company_id or found[0].deleted or found[0].agent_id is None:
            raise NotFound("Settings not found.")
        agent = self.agents.read(company_id, found[0].agent_id)[1]
        if agent.settings is None or agent.settings.id != settings_id:  # replaced meanwhile (index lag)
            raise NotFound("Settings not found.")
        return agent, agent.settings

    def _save_agent(self, agent: Agent, settings: AgentSettings) -> Agent:
        updated = Agent.model_validate(
            {
                **agent.model_dump(),
                "settings": settings.model_dump(),
                "llm_settings_id": settings.id,
                "model_name": settings.llm_model_name,
                "temperature": settings.llm_temperature,
                "max_tokens": settings.llm_max_tokens,
                "updated_at": iso(),
                "version": agent.version + 1,
            }
        )
        self.agents._save(agent, updated)
        return updated

    def _replace(
        self, previous: AgentSettings, settings: AgentSettings, company_id: str, *, deleted_at: str | None = None
    ) -> None:
        """Overwrite company-level settings unless they changed since they were read."""
        try:
            self.repository.replace_company_settings(
                settings, company_id, seen=previous.updated_at, deleted_at=deleted_at
            )
        except TransactionConflict as exc:
            raise Conflict("The settings changed meanwhile; fetch them and try again.") from exc

    # --- routes ------------------------------------------------------------------------
    def create(self, principal: Principal, body: Any) -> dict[str, Any]:
        principal.require("write")
        request = parse(SettingsCreate, body)
        stamp = iso()
        fresh: dict[str, Any] = {"id": new_id(), "created_at": stamp, "updated_at": stamp}
        if request.is_active is not None:
            fresh["is_active"] = request.is_active
        if request.agent_id:
            agent = self.agents.read(principal.company_id, request.agent_id)[1]
            settings = self.agents.build_settings(_choice(request), agent.settings).model_copy(update=fresh)
            agent = self._save_agent(agent, settings)
            return {"message": "Settings created for the agent.", **self._public(settings, agent.company_id, agent)}
        settings = self.agents.build_settings(_choice(request), None).model_copy(update=fresh)
        self.repository.add_company_settings(settings, principal.company_id)
        return {"message": "Settings created.", **self._public(settings, principal.company_id, None)}

    def test(self, principal: Principal, settings_id: str) -> dict[str, Any]:
        """Whether the settings' LLM and embedding choices are still offered by this deployment (400 if not)."""
        principal.require("read")
        settings = self._find(principal, settings_id)[1]
        checks = {}
        for kind, provider, model in (
            ("llm", settings.llm_provider, settings.llm_model_name),
            ("embedding", settings.embedding_provider, settings.embedding_model_name),
        ):
            self.agents.catalogue.resolve(kind, provider, model)  # 400 naming the valid choices
            checks[kind] = {"provider": provider, "model": model, "available": True}
        return {
            "status": "completed",
            "success": True,
            "message": "The settings' providers and models are available.",
            "settings_id": settings_id,
            **checks,
        }

    def get(self, principal: Principal, settings_id: str) -> dict[str, Any]:
        principal.require("read")
        agent, settings = self._find(principal, settings_id)
        return self._public(settings, principal.company_id, agent)

    def for_agent(self, principal: Principal, agent_id: str) -> dict[str, Any]:
        principal.require("read")
        agent = self.agents.read(principal.company_id, agent_id)[1]
        if agent.settings is None:
            raise NotFound("This agent has no settings.")
        return self._public(agent.settings, agent.company_id, agent)

    def for_company(self, principal: Principal, company_id: str) -> dict[str, Any]:
        principal.require("read")
        if company_id != principal.company_id:
            raise NotFound("Company not found.")
        rows: list[dict[str, Any]] = []
        for record in self.agents.repository.all(company_id):
            agent = record.agent
            if agent.settings and not record.deleted:
                rows.append(self._public(agent.settings, company_id, agent))
        for settings in self.repository.all_company_settings(company_id):
            rows.append(self._public(settings, company_id, None))
        return {"settings": rows, "total": len(rows)}

    def update(self, principal: Principal, settings_id: str, body: Any) -> dict[str, Any]:
        principal.require("write", "PUT")
        request = parse(SettingsUpdate, body)
        choice = _choice(request)
        if not choice.model_dump(exclude_none=True) and request.is_active is None:
            raise BadRequest("Nothing to update: send at least one settings field.")
        agent, current = self._find(principal, settings_id)
        settings = self.agents.build_settings(choice, current)
        if request.is_active is not None:
            settings = settings.model_copy(update={"is_active": request.is_active})
        if agent is not None:
            agent = self._save_agent(agent, settings)
        else:
            self._replace(current, settings, principal.company_id)
        return {"message": "Settings updated.", **self._public(settings, principal.company_id, agent)}

    def delete(self, principal: Principal, settings_id: str) -> dict[str, Any]:
        principal.require("write", "DELETE")
        agent, settings = self._find(principal, settings_id)
        if agent is not None:
            raise Conflict(
                "These settings are in use by an agent; update them, or create new settings for the agent.",
                details={"agent_id": agent.id},
            )
        if settings.is_default:
            raise BadRequest("Default settings cannot be deleted.")
        stamp = iso()
        gone = settings.model_copy(update={"is_active": False, "updated_at": stamp})
        self._replace(settings, gone, principal.company_id, deleted_at=stamp)
        return {"message": "Settings deleted.", "id": settings_id, "settings_id": settings_id}
