"""Agents, settings, agent tools and analytics reads on the in-memory table: the repositories and the services
end to end, with no AWS at all."""

from __future__ import annotations

from typing import Any

import pytest

from knowrithm_core.auth import Principal
from knowrithm_core.config import Settings
from knowrithm_core.container import Services
from knowrithm_core.errors import Conflict, NotFound
from knowrithm_core.ids import iso, new_id
from knowrithm_core.models.resources import Agent, AgentSettings
from knowrithm_core.pagination import PageRequest
from knowrithm_core.services.agents import PUBLIC_FIELDS
from knowrithm_core.store import keys
from knowrithm_core.store.memory import MemoryTable
from knowrithm_core.store.repositories.agents import AgentRepository, SettingsRepository, agent_item
from knowrithm_core.store.repositories.stats import StatsRepository, agent_test_ops
from knowrithm_core.store.table import TransactionConflict
from knowrithm_core.store.unit_of_work import UnitOfWork

COMPANY = new_id()


def _principal(company_id: str = COMPANY) -> Principal:
    return Principal(
        kind="api_key", company_id=company_id, subject_id=new_id(), scopes=frozenset({"read", "write"}), role="admin"
    )


def _agent(name: str = "Mug helper", status: str = "active", company_id: str = COMPANY) -> Agent:
    stamp = iso()
    return Agent.model_validate(
        {"id": new_id(), "created_at": stamp, "updated_at": stamp, "company_id": company_id, "name": name}
        | {"status": status}
    )


def _settings() -> AgentSettings:
    stamp = iso()
    fields = {f"{kind}_{part}": f"{kind}-{part}" for kind in ("llm", "embedding") for part in ("provider_id",)}
    fields |= {"llm_provider": "extractive", "llm_provider_label": "E", "llm_model_id": "m", "llm_model_name": "m"}
    fields |= {"embedding_provider": "hash", "embedding_provider_label": "H", "embedding_model_id": "e"}
    return AgentSettings.model_validate(
        {**fields, "embedding_model_name": "e", "id": new_id(), "created_at": stamp, "updated_at": stamp}
    )


@pytest.fixture
def table() -> MemoryTable:
    return MemoryTable()


@pytest.fixture
def services(table: MemoryTable) -> Services:
    return Services(Settings(table_name="memory"), table)


def _created(repository: AgentRepository, table: MemoryTable, agent: Agent) -> Agent:
    uow = UnitOfWork(table)
    repository.add(uow, agent)
    uow.commit()
    return agent


# --- the repository ----------------------------------------------------------------------------------------
def test_an_added_agent_is_read_back_with_its_counters_and_counted_in_the_totals(table: MemoryTable) -> None:
    # GIVEN an agent added, and chats counted on its counters item
    repository = AgentRepository(table)
    agent = _created(repository, table, _agent())
    UnitOfWork(table).add(repository.counters_op(COMPANY, agent.id, {"conversations": 2, "messages": 7})).commit()
    # WHEN it is read by company and by id alone
    record = repository.get(COMPANY, agent.id)
    by_id = repository.find_by_id(agent.id)
    # THEN both find it; the company read carries the counters, without any key attribute
    assert record is not None and by_id is not None and by_id.id == agent.id
    assert record.agent.total_conversations == 2 and record.agent.total_messages == 7
    assert not {"PK", "SK", "GSI1PK", "GSI4PK"} & set(record.stored) and not {"PK", "SK"} & set(record.counters)
    # AND the company totals count one live, active agent
    stats = StatsRepository(table)
    assert stats.company_total(COMPANY, "agents") == 1 and stats.company_total(COMPANY, "agents_status_active") == 1
    assert repository.get(COMPANY, new_id()) is None and repository.find_by_id(new_id()) is None


def test_adding_the_same_agent_twice_conflicts_and_writes_nothing(table: MemoryTable) -> None:
    # GIVEN an agent
    repository = AgentRepository(table)
    agent = _created(repository, table, _agent())
    before = StatsRepository(table).totals(COMPANY)
    # WHEN it is added again THEN the put's condition fails, and the totals did not move
    uow = UnitOfWork(table)
    repository.add(uow, agent)
    with pytest.raises(TransactionConflict) as failed:
        uow.commit()
    assert failed.value.reasons == ["ConditionalCheckFailed", "None"]
    assert StatsRepository(table).totals(COMPANY) == before


def test_replace_is_optimistic_on_the_version_and_moves_the_totals(table: MemoryTable) -> None:
    # GIVEN an agent at version 1
    repository = AgentRepository(table)
    agent = _created(repository, table, _agent())
    deleted = agent.model_copy(update={"deleted_at": iso(), "version": 2})
    # WHEN it is soft-deleted from version 1
    uow = UnitOfWork(table)
    repository.replace(uow, agent, deleted)
    uow.commit()
    # THEN it moved from the live totals to the deleted ones, and off the live list onto the deleted list
    totals = StatsRepository(table).totals(COMPANY)
    assert totals["agents"] == 0 and totals["agents_deleted"] == 1 and totals["agents_status_active"] == 0
    assert table.get(keys.company_pk(COMPANY), keys.agent_sk(agent.id))["GSI4PK"] == keys.deleted_agents(COMPANY)
    # AND a second writer still holding version 1 conflicts
    stale = UnitOfWork(table)
    repository.replace(stale, agent, agent.model_copy(update={"name": "late", "version": 2}))
    with pytest.raises(TransactionConflict):
        stale.commit()
    record = repository.get(COMPANY, agent.id)
    assert record is not None and record.deleted and record.agent.name == "Mug helper"


def test_pages_read_by_index_with_cursors_status_and_search(table: MemoryTable) -> None:
    # GIVEN 5 active and 2 inactive agents (one called "Teapot")
    repository = AgentRepository(table)
    active = [_created(repository, table, _agent(f"Bot {n}")).id for n in range(5)]
    inactive = [_created(repository, table, _agent(n, status="inactive")).id for n in ("Teapot", "Kettle")]
    # WHEN paging 3 at a time THEN the newest come first, the total is the counter, the cursor walks on
    first = repository.page(COMPANY, PageRequest(1, 3), {})
    assert [a.id for a in first.agents] == (active + inactive)[::-1][:3]
    assert first.pagination["total"] == 7 and first.pagination["next_cursor"]
    second = repository.page(COMPANY, PageRequest(2, 3), {"cursor": first.pagination["next_cursor"]})
    assert [a.id for a in second.agents] == (active + inactive)[::-1][3:6]
    # AND a status filter and a search read their own lists
    by_status = repository.page(COMPANY, PageRequest(1, 10), {"status": "inactive"})
    assert [a.id for a in by_status.agents] == inactive[::-1] and by_status.pagination["total"] == 2
    searched = repository.page(COMPANY, PageRequest(1, 10), {"search": "teapot"})
    assert [a.name for a in searched.agents] == ["Teapot"]


def test_all_lists_every_agent_with_its_own_counters(table: MemoryTable) -> None:
    # GIVEN two agents, one with counters
    repository = AgentRepository(table)
    quiet, busy = (_created(repository, table, _agent(n)) for n in ("quiet", "busy"))
    UnitOfWork(table).add(repository.counters_op(COMPANY, busy.id, {"messages": 3})).commit()
    # WHEN all are read THEN each carries its own counters (none for the quiet one)
    found = {record.agent.name: record.counters.get("messages", 0) for record in repository.all(COMPANY)}
    assert found == {"quiet": 0, "busy": 3} and quiet.id != busy.id


def test_company_settings_are_replaced_only_from_what_was_read_and_found_by_id(table: MemoryTable) -> None:
    # GIVEN company settings
    repository = SettingsRepository(table)
    settings = _settings()
    repository.add_company_settings(settings, COMPANY)
    assert repository.company_settings(COMPANY, settings.id) == (settings, False)
    # WHEN they are replaced from a stale read THEN that conflicts and nothing changes
    newer = settings.model_copy(update={"updated_at": "2999-01-01T00:00:00+00:00", "is_default": True})
    with pytest.raises(TransactionConflict):
        repository.replace_company_settings(newer, COMPANY, seen="1999-01-01T00:00:00+00:00")
    # AND a replace from the current read soft-deletes them: gone from the live list, still found by id
    repository.replace_company_settings(newer, COMPANY, seen=settings.updated_at, deleted_at=iso())
    assert repository.company_settings(COMPANY, settings.id) == (newer, True)
    assert repository.all_company_settings(COMPANY) == []
    (holder,) = repository.holders(settings.id, limit=5)
    assert holder.company_id == COMPANY and holder.agent_id is None and holder.deleted


def test_an_agents_embedded_settings_are_found_by_their_id(table: MemoryTable) -> None:
    # GIVEN an agent with settings
    settings = _settings()
    agent = _agent().model_copy(update={"settings": settings})
    _created(AgentRepository(table), table, agent)
    # WHEN they are looked up by id THEN the agent holds them
    (holder,) = SettingsRepository(table).holders(settings.id, limit=5)
    assert (holder.agent_id, holder.settings, holder.deleted) == (agent.id, settings, False)
    assert agent_item(agent)["GSI2PK"] == keys.settings_gsi(settings.id)


# --- the services, end to end on memory --------------------------------------------------------------------
def _create(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    return services.agents.create(_principal(), body)["agent"]


def test_agent_lifecycle_on_memory(services: Services) -> None:
    # GIVEN an agent created through the service
    agent = _create(services, {"name": "Mug helper", "llm_provider": "extractive"})
    principal = _principal()
    # WHEN it is updated, listed, deleted and restored
    updated = services.agents.update(principal, agent["id"], {"description": "Mugs"})["agent"]
    assert updated["version"] == 2 and updated["description"] == "Mugs"
    listed = services.agents.list(principal, {})
    assert [a["id"] for a in listed["agents"]] == [agent["id"]] and listed["total"] == 1
    services.agents.delete(principal, agent["id"])
    with pytest.raises(NotFound):
        services.agents.find_public(agent["id"])
    assert services.agents.list(principal, {"status": "deleted"})["total"] == 1
    restored = services.agents.restore(principal, agent["id"])["agent"]
    # THEN it is live again at version 4, with its stats and the public view
    assert restored["version"] == 4 and restored["deleted_at"] is None
    assert services.agents.stats(principal, agent["id"])["total_conversations"] == 0
    assert set(services.agents.get(agent["id"], None)["agent"]) == set(PUBLIC_FIELDS)
    # AND another tenant never sees it
    with pytest.raises(NotFound):
        services.agents.read(new_id(), agent["id"])


def test_a_stale_agent_update_is_a_conflict(services: Services) -> None:
    # GIVEN an agent read, then changed by someone else
    agent = _create(services, {"name": "Mug helper"})
    stale = services.agents.read(COMPANY, agent["id"])[1]
    services.agents.update(_principal(), agent["id"], {"name": "Renamed"})
    # WHEN a write from the stale read is saved THEN it is a 409 and the rename stays
    with pytest.raises(Conflict):
        services.agents._save(stale, stale.model_copy(update={"name": "Late", "version": stale.version + 1}))
    assert services.agents.read(COMPANY, agent["id"])[1].name == "Renamed"


def test_settings_and_agent_tools_on_memory(services: Services) -> None:
    # GIVEN an agent and company-level settings
    agent = _create(services, {"name": "Mug helper", "description": "We sell mugs. Shipping takes 3 days."})
    principal = _principal()
    company = services.llm_settings.create(principal, {"widget_config": {"title": "Hi"}})
    # WHEN the agent's settings are updated, and the agent is cloned with the company settings
    own = services.llm_settings.for_agent(principal, agent["id"])
    services.llm_settings.update(principal, own["id"], {"widget_config": {"theme": "dark"}})
    clone = services.agent_tools.clone(principal, agent["id"], {"llm_settings_id": company["id"]})
    # THEN the agent carries its new settings, the clone a copy of the company's under a new id
    assert services.agents.read(COMPANY, agent["id"])[1].settings.widget_config == {"theme": "dark"}  # type: ignore[union-attr]
    assert clone["settings"]["widget_config"] == {"title": "Hi"} and clone["settings"]["id"] != company["id"]
    listed = services.llm_settings.for_company(principal, COMPANY)
    assert listed["total"] == 3  # the agent's, the clone's, the company's
    # AND deleting the company settings removes them from the list; deleting an agent's is refused
    services.llm_settings.delete(principal, company["id"])
    assert services.llm_settings.for_company(principal, COMPANY)["total"] == 2
    with pytest.raises(NotFound):
        services.llm_settings.get(principal, company["id"])
    with pytest.raises(Conflict):
        services.llm_settings.delete(principal, own["id"])


def test_agent_tests_are_counted_and_reported_by_analytics_on_memory(services: Services, table: MemoryTable) -> None:
    # GIVEN an agent tested twice, and a chat's counters on it
    agent = _create(services, {"name": "Mug helper", "description": "We sell mugs. Shipping takes 3 days."})
    principal = _principal()
    for question in ("How long is shipping?", "Do you sell mugs?"):
        services.agent_tools.test(principal, agent["id"], {"query": question})
    UnitOfWork(table).add(services.agents.stats_op(COMPANY, agent["id"], conversations=1, messages=2)).commit()
    # WHEN analytics report on the agent and on usage
    report = services.analytics.agent(principal, agent["id"], {})
    usage = services.analytics.usage(principal, {})
    # THEN both read the counters: the tests in range, the all-time chats, the agent's usage row
    assert report["agent_tests"] == 2 and report["conversation_metrics"]["all_time_conversations"] == 1
    assert report["message_metrics"]["all_time_messages"] == 2
    assert [(r["agent_id"], r["agent_tests"]) for r in usage["agent_usage"]] == [(agent["id"], 2)]
    assert usage["storage_usage"]["messages"] == 2 and usage["api_usage"]["active_api_keys"] == 0


def test_stats_read_a_range_of_days_for_the_company_and_one_agent(table: MemoryTable) -> None:
    # GIVEN agent tests counted on two days, for two agents
    first, second = new_id(), new_id()
    writes = [
        *agent_test_ops(COMPANY, first, "2026-01-01T10:00:00+00:00"),
        *agent_test_ops(COMPANY, first, "2026-01-03T10:00:00+00:00"),
    ]
    for op in [*writes, *agent_test_ops(COMPANY, second, "2026-01-01T11:00:00+00:00")]:
        UnitOfWork(table).add(op).commit()
    stats = StatsRepository(table)
    # WHEN a range is read THEN the company's days and agent days of the range come back, without keys
    days = stats.company_days(COMPANY, "2026-01-01", "2026-01-02")
    assert sorted((d["kind"], d.get("agent_tests")) for d in days) == [
        ("agent_day", 1),
        ("agent_day", 1),
        ("company_day", 2),
    ]
    assert all("PK" not in d and "GSI3PK" not in d for d in days)
    # AND one agent's range reads its own days only
    own = stats.agent_days(COMPANY, first, "2026-01-01", "2026-01-31")
    assert [(d["date"], d["agent_id"]) for d in own] == [("2026-01-01", first), ("2026-01-03", first)]
