"""Agent extras: try an agent with a question (``POST /agent/{id}/test``) and copy one (``/clone``).

A test asks the configured responder exactly as a chat turn would, but stores no conversation
or message; it only counts the test in the analytics counters. A clone is a new, inactive agent
with the original's fields and a copy of its settings (or of the settings named by
``llm_settings_id``) under a new settings id; ``agent.created`` is written with it.
"""

from __future__ import annotations

import time
from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.errors import NotFound
from knowrithm_core.events import EventType
from knowrithm_core.ids import is_uuid, iso, new_id
from knowrithm_core.models.requests import AgentClone, AgentTest, parse
from knowrithm_core.models.resources import Agent, AgentSettings
from knowrithm_core.responder import Responder
from knowrithm_core.services.agents import AgentService
from knowrithm_core.services.base import Service
from knowrithm_core.store.repositories.agents import SettingsRepository
from knowrithm_core.store.repositories.stats import agent_test_ops

DEFAULT_TEST_QUERY = "Hello! What can you help me with?"
# Copied onto a clone; counters, ids, timestamps, status and settings are not.
CLONED_FIELDS = (
    "description",
    "instructions",
    "avatar_url",
    "personality_traits",
    "capabilities",
    "operating_hours",
    "languages",
    "temperature",
    "max_tokens",
)


def _tokens(text: str) -> int:
    return max(1, len(text.split()))


class AgentToolsService(Service):
    def __init__(self, agents: AgentService, responder: Responder) -> None:
        super().__init__(agents.table, agents.settings)
        self.agents = agents
        self.responder = responder
        self.settings_repository = SettingsRepository(agents.table)

    def test(self, principal: Principal, agent_id: str, body: Any) -> dict[str, Any]:
        """Answer ``query`` (or a default greeting) as the agent would in a chat, storing nothing."""
        principal.require("read")
        request = parse(AgentTest, body)
        agent = self.agents.read(principal.company_id, agent_id)[1]
        question = request.query or DEFAULT_TEST_QUERY
        started = time.perf_counter()
        answer = self.responder.answer(agent, question, [])
        elapsed = round(time.perf_counter() - started, 4)
        stamp = iso()
        self.unit_of_work().extend(agent_test_ops(agent.company_id, agent.id, stamp)).commit()
        citations = [{"cited": True, **source} for source in answer.sources]
        settings = agent.settings
        return {
            "success": True,
            "message": "Agent test completed.",
            "agent": {"id": agent.id, "name": agent.name, "status": agent.status},
            "query": question,
            "response": answer.text,
            "content": answer.text,
            "citations": citations,
            "sources": citations,
            "llm_config": {
                "provider": settings.llm_provider if settings else self.responder.name,
                "model": settings.llm_model_name if settings else answer.model,
                "temperature": agent.temperature,
                "max_tokens": agent.max_tokens,
            },
            "metadata": {
                "responder": self.responder.name,
                "model_used": answer.model,
                "answered": answer.answered,
                "confidence_score": answer.confidence,
                "processing_time": elapsed,
                "tokens_used": _tokens(answer.text),
                "stored": False,
                "tested_at": stamp,
            },
        }

    def clone(self, principal: Principal, agent_id: str, body: Any) -> dict[str, Any]:
        """A new inactive agent copied from ``agent_id``; ``agent.created`` in the same transaction."""
        principal.require("write")
        request = parse(AgentClone, body)
        source = self.agents.read(principal.company_id, agent_id)[1]
        base = self._settings(principal.company_id, request.llm_settings_id) if request.llm_settings_id else None
        base = base or source.settings
        stamp = iso()
        settings = (
            base.model_copy(update={"id": new_id(), "created_at": stamp, "updated_at": stamp, "is_default": False})
            if base
            else None
        )
        name = request.name or f"{source.name} (copy)"[:200]
        clone = Agent.model_validate(
            {
                **source.model_dump(include=set(CLONED_FIELDS)),
                "id": new_id(),
                "company_id": source.company_id,
                "name": name,
                "status": "inactive",
                "created_at": stamp,
                "updated_at": stamp,
                "settings": settings.model_dump() if settings else None,
                "llm_settings_id": settings.id if settings else None,
                "model_name": settings.llm_model_name if settings else source.model_name,
                "temperature": settings.llm_temperature if settings else source.temperature,
                "max_tokens": settings.llm_max_tokens if settings else source.max_tokens,
            }
        )
        uow = self.unit_of_work()
        self.agents.repository.add(uow, clone)
        uow.add(self.event_op(clone.company_id, EventType.AGENT_CREATED, clone.public()))
        uow.commit()
        return {
            "success": True,
            "message": "Agent cloned successfully.",
            "agent": clone.public(),
            "settings": settings.model_dump(mode="json") if settings else None,
            "clone_agent_id": clone.id,
            "source_agent_id": source.id,
        }

    def _settings(self, company_id: str, settings_id: str) -> AgentSettings:
        """Settings by id within the company: company-level ones, or another agent's (404 otherwise)."""
        found = self.settings_repository.holders(settings_id, limit=5) if is_uuid(settings_id) else []
        for holder in found:
            if holder.company_id == company_id and not holder.deleted and holder.settings is not None:
                return holder.settings
        raise NotFound("Settings not found.")
