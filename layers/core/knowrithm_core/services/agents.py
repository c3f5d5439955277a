"""Agents: create (both Knowrithm body shapes), list, read, update, soft delete, restore, embed code, stats."""

from __future__ import annotations

import html
from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.config import Settings
from knowrithm_core.errors import BadRequest, Conflict, NotFound, ValidationFailed
from knowrithm_core.events import EventType
from knowrithm_core.ids import is_uuid, iso, new_id
from knowrithm_core.models.requests import AgentCreate, AgentUpdate, ProviderChoice, parse
from knowrithm_core.models.resources import Agent, AgentSettings
from knowrithm_core.pagination import PageRequest
from knowrithm_core.services.base import Service
from knowrithm_core.services.providers import ProviderCatalogue
from knowrithm_core.store.expressions import Update
from knowrithm_core.store.port import Table
from knowrithm_core.store.repositories.agents import AgentRecord, AgentRepository
from knowrithm_core.store.table import TransactionConflict
from knowrithm_core.widget.embed import advanced_snippet

PUBLIC_FIELDS = (
    "id",
    "company_id",
    "name",
    "description",
    "avatar_url",
    "status",
    "languages",
    "capabilities",
    "personality_traits",
    "operating_hours",
    "created_at",
    "updated_at",
)
SETTING_KEYS = (
    "llm_temperature",
    "llm_max_tokens",
    "llm_api_base_url",
    "llm_additional_params",
    "embedding_dimension",
    "widget_script_url",
    "widget_config",
    "allowed_domains",
    "is_default",
)


def _merged_choice(request: AgentCreate | AgentUpdate) -> ProviderChoice:
    """Flat keys, overridden by the nested ``settings`` object where both are given."""
    flat = request.model_dump(include=set(ProviderChoice.model_fields), exclude_none=True)
    nested = request.settings.model_dump(exclude_none=True) if request.settings else {}
    return ProviderChoice.model_validate({**flat, **nested})


class AgentService(Service):
    def __init__(self, table: Table, settings: Settings, catalogue: ProviderCatalogue) -> None:
        super().__init__(table, settings)
        self.catalogue = catalogue
        self.repository = AgentRepository(table)

    # --- reads -------------------------------------------------------------------
    def record(self, company_id: str, agent_id: str, *, include_deleted: bool = False) -> AgentRecord:
        """The stored agent and its counters (one query: item + stats item); 404 if unknown or deleted."""
        found = self.repository.get(company_id, agent_id) if is_uuid(agent_id) else None
        if found is None or (found.deleted and not include_deleted):
            raise NotFound("Agent not found.")
        return found

    def read(self, company_id: str, agent_id: str, *, include_deleted: bool = False) -> tuple[dict[str, Any], Agent]:
        """The stored agent (its attributes, no keys) and the agent with its counters (one query)."""
        found = self.record(company_id, agent_id, include_deleted=include_deleted)
        return found.stored, found.agent

    def read_items(
        self, company_id: str, agent_id: str, *, include_deleted: bool = False
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The stored agent and its counters (attributes, no keys; one query)."""
        found = self.record(company_id, agent_id, include_deleted=include_deleted)
        return found.stored, found.counters

    def find_public(self, agent_id: str) -> Agent:
        """An agent by id alone (public widget routes); deleted or unknown ones are 404."""
        found = self.repository.find_by_id(agent_id) if is_uuid(agent_id) else None
        if found is None or found.deleted_at:
            raise NotFound("Agent not found.")
        return found

    def stats_op(self, company_id: str, agent_id: str, **deltas: int) -> Update:
        """A write adding to the agent's counters (kept in their own item, so chats never contend with edits of
        the agent); add it to the unit of work of the change it counts."""
        return self.repository.counters_op(company_id, agent_id, deltas)

    def get(self, agent_id: str, principal: Principal | None) -> dict[str, Any]:
        agent = self.find_public(agent_id)
        if principal is not None and not principal.is_lead and principal.company_id == agent.company_id:
            principal.require("read")
            return {"agent": self.read(agent.company_id, agent.id)[1].public()}
        public = agent.public()
        return {"agent": {k: public[k] for k in PUBLIC_FIELDS}}

    def by_name(self, principal: Principal, name: str) -> dict[str, Any]:
        """The company's live agent named ``name`` (case-insensitive; the oldest if several): one Query."""
        principal.require("read")
        wanted = name.strip().casefold()
        found = sorted(
            (r.agent for r in self.repository.all(principal.company_id) if not r.deleted),
            key=lambda agent: agent.created_at,
        )
        for agent in found:
            if agent.name.strip().casefold() == wanted:
                return {"agent": agent.public()}
        raise NotFound("Agent not found.")

    def list(self, principal: Principal, query: dict[str, str]) -> dict[str, Any]:
        """Agents newest first (``status=deleted`` for the deleted ones): one Query of ``per_page + 1`` on the
        list's index and one BatchGetItem of the page's counters; totals from the company counters; ``search``
        looks at the newest ``SEARCH_SCAN_LIMIT``."""
        principal.require("read")
        request = PageRequest.parse(query.get("page"), query.get("per_page"), default_per_page=10)
        page = self.repository.page(principal.company_id, request, query)
        rows = [a.public() for a in page.agents]
        pagination = page.pagination
        return {
            "agents": rows,
            "items": rows,
            "total": pagination["total"],
            "pages": pagination["pages"],
            "pagination": pagination,
        }

    # --- writes ------------------------------------------------------------------
    def build_settings(self, choice: ProviderChoice, base: AgentSettings | None) -> AgentSettings:
        """Settings from a provider choice, on top of ``base`` (keeps its id) or new."""
        llm_provider, llm_model = self.catalogue.resolve(
            "llm",
            choice.llm_provider or choice.llm_provider_id or (base.llm_provider if base else None),
            choice.llm_model
            or choice.llm_model_id
            or (base.llm_model_name if base and not (choice.llm_provider or choice.llm_provider_id) else None),
        )
        emb_provider, emb_model = self.catalogue.resolve(
            "embedding",
            choice.embedding_provider or choice.embedding_provider_id or (base.embedding_provider if base else None),
            choice.embedding_model
            or choice.embedding_model_id
            or (
                base.embedding_model_name
                if base and not (choice.embedding_provider or choice.embedding_provider_id)
                else None
            ),
        )
        stamp = iso()
        previous = base.model_dump() if base else {}
        extras = dict(choice.model_dump(include=set(SETTING_KEYS), exclude_none=True).items())
        return AgentSettings.model_validate(
            {
                **previous,
                **extras,
                "id": base.id if base else new_id(),
                "created_at": base.created_at if base else stamp,
                "updated_at": stamp,
                "llm_provider_id": llm_provider.id,
                "llm_provider": llm_provider.name,
                "llm_provider_label": llm_provider.label,
                "llm_model_id": llm_model.id,
                "llm_model_name": llm_model.name,
                "embedding_provider_id": emb_provider.id,
                "embedding_provider": emb_provider.name,
                "embedding_provider_label": emb_provider.label,
                "embedding_model_id": emb_model.id,
                "embedding_model_name": emb_model.name,
            }
        )

    def create(self, principal: Principal, body: Any) -> dict[str, Any]:
        principal.require("write")
        request = parse(AgentCreate, body)
        settings = self.build_settings(_merged_choice(request), None)
        stamp = iso()
        fields = request.model_dump(
            include=set(AgentCreate.model_fields) - set(ProviderChoice.model_fields) - {"settings"}, exclude_none=True
        )
        agent = Agent.model_validate(
            {
                **fields,
                "id": new_id(),
                "created_at": stamp,
                "updated_at": stamp,
                "company_id": principal.company_id,
                "settings": settings,
                "llm_settings_id": settings.id,
                "model_name": settings.llm_model_name,
                "temperature": settings.llm_temperature,
                "max_tokens": settings.llm_max_tokens,
            }
        )
        uow = self.unit_of_work()
        self.repository.add(uow, agent)
        uow.add(self.event_op(agent.company_id, EventType.AGENT_CREATED, agent.public()))
        uow.commit()
        return {
            "message": "Agent created successfully.",
            "agent": agent.public(),
            "settings": settings.model_dump(mode="json"),
        }

    def _save(self, previous: Agent, agent: Agent) -> None:
        """Write a new version of the agent plus ``agent.updated``; optimistic on ``version``."""
        uow = self.unit_of_work()
        self.repository.replace(uow, previous, agent)
        uow.add(self.event_op(agent.company_id, EventType.AGENT_UPDATED, agent.public()))
        try:
            uow.commit()
        except TransactionConflict as exc:
            raise Conflict("The agent changed meanwhile; fetch it and try again.") from exc

    def update(self, principal: Principal, agent_id: str, body: Any) -> dict[str, Any]:
        principal.require("write", "PUT")
        request = parse(AgentUpdate, body)
        current = self.record(principal.company_id, agent_id).agent
        choice = _merged_choice(request)
        changes = request.model_dump(
            include=set(AgentUpdate.model_fields) - set(ProviderChoice.model_fields) - {"settings"}, exclude_none=True
        )
        if not changes and not choice.model_dump(exclude_none=True):
            raise ValidationFailed("Nothing to update: send at least one agent field.")
        settings = (
            self.build_settings(choice, current.settings) if choice.model_dump(exclude_none=True) else current.settings
        )
        agent = current.model_copy(
            update={
                **changes,
                "settings": settings,
                "updated_at": iso(),
                "version": current.version + 1,
                "llm_settings_id": settings.id if settings else None,
                "model_name": settings.llm_model_name if settings else None,
            }
        )
        agent = Agent.model_validate(agent.model_dump())
        self._save(current, agent)
        return {"message": "Agent updated successfully.", "agent": agent.public()}

    def delete(self, principal: Principal, agent_id: str, *, force: bool = False) -> dict[str, Any]:
        principal.require("write", "DELETE")
        found = self.record(principal.company_id, agent_id)
        current = found.agent
        active = int(found.counters.get("active_conversations", 0))
        if active > 0 and not force:
            raise BadRequest(
                "The agent has active conversations; end them first or pass force=true.",
                details={"active_conversations": active},
            )
        agent = current.model_copy(
            update={"deleted_at": iso(), "is_active": False, "updated_at": iso(), "version": current.version + 1}
        )
        self._save(current, agent)
        return {"message": "Agent deleted successfully.", "agent_id": agent.id, "agent": agent.public()}

    def restore(self, principal: Principal, agent_id: str) -> dict[str, Any]:
        principal.require("write", "PATCH")
        current = self.record(principal.company_id, agent_id, include_deleted=True).agent
        if not current.deleted_at:
            raise BadRequest("The agent is not deleted.")
        agent = current.model_copy(
            update={"deleted_at": None, "is_active": True, "updated_at": iso(), "version": current.version + 1}
        )
        self._save(current, agent)
        return {"message": "Agent restored successfully.", "agent": agent.public()}

    def stats(self, principal: Principal, agent_id: str) -> dict[str, Any]:
        principal.require("read")
        found = self.record(principal.company_id, agent_id)
        agent, counters = found.agent, found.counters
        return {
            "agent_id": agent.id,
            "agent_name": agent.name,
            "status": agent.status,
            "total_conversations": agent.total_conversations,
            "total_messages": agent.total_messages,
            "documents_count": max(0, int(counters.get("documents", 0))),  # live documents, kept on write
            "databases_count": 0,
            "average_rating": agent.average_rating,
            "llm_provider": agent.settings.llm_provider if agent.settings else None,
            "llm_model": agent.settings.llm_model_name if agent.settings else None,
            "created_at": agent.created_at,
            "last_trained": agent.last_trained,
        }

    def embed_code(self, principal: Principal, agent_id: str, origin: str) -> dict[str, Any]:
        principal.require("read")
        agent = self.read(principal.company_id, agent_id)[1]
        base = (self.settings.public_base_url or origin).rstrip("/")
        script_url = (agent.settings.widget_script_url if agent.settings else None) or f"{base}/api/widget.js"
        config: dict[str, Any] = {
            "script_url": script_url,
            "agent_id": agent.id,
            "api_url": f"{base}/api",
            **(agent.settings.widget_config if agent.settings else {}),
        }
        attrs = f'data-agent-id="{html.escape(agent.id)}" data-api-url="{html.escape(base)}/api"'
        simple = f'<script src="{html.escape(script_url)}" {attrs} async></script>'
        advanced = advanced_snippet(script_url, attrs, agent.settings.widget_config if agent.settings else {})
        return {
            "agent_id": agent.id,
            "agent_name": agent.name,
            "simple": simple,
            "advanced": advanced,
            "script": simple,
            "config": config,
            "preview_url": f"{base}/api/v1/agent/{agent.id}",
        }
