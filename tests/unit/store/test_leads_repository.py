"""Leads on the in-memory table: the repository's writes and conditions, and the lead use cases end to end."""

from __future__ import annotations

from typing import Any

import pytest

from knowrithm_core.auth import Principal
from knowrithm_core.auth.principal import ROLE_SCOPES
from knowrithm_core.config import Settings
from knowrithm_core.container import Services
from knowrithm_core.errors import Conflict, NotFound
from knowrithm_core.ids import iso, new_id
from knowrithm_core.models.resources import Lead
from knowrithm_core.pagination import PageRequest
from knowrithm_core.store import keys
from knowrithm_core.store.expressions import Put
from knowrithm_core.store.memory import MemoryTable
from knowrithm_core.store.repositories.leads import LeadRepository
from knowrithm_core.store.table import TransactionConflict
from knowrithm_core.store.unit_of_work import UnitOfWork


@pytest.fixture
def table() -> MemoryTable:
    return MemoryTable()


@pytest.fixture
def services(table: MemoryTable) -> Services:
    return Services(Settings(table_name=table.table_name, jwt_secret="s" * 32), table)


@pytest.fixture
def company_id(services: Services) -> str:
    return services.companies.create({"name": "acme", "email": "owner@acme.example"}).id


@pytest.fixture
def agent_id(table: MemoryTable, company_id: str) -> str:
    """A live agent, stored as the agents' repository stores it (its own service is not on memory yet)."""
    agent = new_id()
    stamp = iso()
    item = {"PK": keys.company_pk(company_id), "SK": f"AGENT#{agent}", "GSI1PK": f"AGENT#{agent}", "GSI1SK": "AGENT"}
    item |= {"id": agent, "created_at": stamp, "updated_at": stamp, "company_id": company_id, "name": "Helper"}
    table.write([Put(item)])
    return agent


def admin(company_id: str) -> Principal:
    return Principal("user", company_id, new_id(), ROLE_SCOPES["admin"], "admin")


def lead(company_id: str, email: str = "ann@example.com", **fields: Any) -> Lead:
    stamp = iso()
    return Lead.model_validate(
        {
            "id": new_id(),
            "created_at": stamp,
            "updated_at": stamp,
            "company_id": company_id,
            "first_name": "Ann",
            "last_name": "Lee",
            "full_name": "Ann Lee",
            "email": email,
            **fields,
        }
    )


def events_of(table: MemoryTable, company_id: str) -> list[str]:
    return [str(item["event"]) for item in table.query(keys.events_pk(company_id))]


# --- the repository -----------------------------------------------------------------------------------------
def test_a_lead_and_its_email_claim_are_added_together_and_an_email_is_claimed_once(table: MemoryTable) -> None:
    # GIVEN a lead added by the repository
    leads, first = LeadRepository(table), lead("c")
    uow = UnitOfWork(table)
    leads.add(uow, first)
    uow.commit()
    # WHEN another lead of the company claims the same email in other case
    again = UnitOfWork(table)
    leads.add(again, lead("c", "ANN@example.com"))
    with pytest.raises(TransactionConflict) as caught:
        again.commit()
    # THEN only the claim fails, and the first lead is found by id and by email
    assert caught.value.reasons == ["None", "ConditionalCheckFailed"]
    assert leads.get("c", first.id) == first and leads.email_owner("c", "Ann@Example.com") == first.id
    assert leads.get("c", new_id()) is None and leads.email_owner("other", "ann@example.com") is None


def test_a_change_on_a_stale_version_fails_and_a_new_email_moves_the_claim(table: MemoryTable) -> None:
    # GIVEN a stored lead
    leads, current = LeadRepository(table), lead("c")
    uow = UnitOfWork(table)
    leads.add(uow, current)
    uow.commit()
    changed = current.model_copy(update={"email": "new@example.com", "version": 2})
    # WHEN it is changed from version 1, then again from version 1
    uow = UnitOfWork(table)
    leads.replace(uow, current, changed)
    uow.commit()
    stale = UnitOfWork(table)
    leads.replace(stale, current, current.model_copy(update={"version": 2, "notes": "lost"}))
    with pytest.raises(TransactionConflict):
        stale.commit()
    # THEN the first change holds: the new email is claimed, the old one free
    assert leads.get("c", current.id) == changed
    assert leads.email_owner("c", "new@example.com") == current.id and leads.email_owner("c", current.email) is None


def test_pages_list_live_leads_newest_first_with_status_filters(services: Services, company_id: str) -> None:
    # GIVEN five leads made through the service, one qualified, one deleted
    principal = admin(company_id)
    made = []
    for i in range(5):
        body = {"first_name": "P", "last_name": str(i), "email": f"p{i}@example.com"}
        made.append(services.leads.create(principal, {**body, "status": "qualified" if i == 1 else "new"}))
    services.leads.delete(principal, made[4]["lead"]["id"])
    leads = LeadRepository(services.table)
    # WHEN the pages are read
    first, pagination = leads.page(company_id, None, PageRequest.parse("1", "2", default_per_page=20), None)
    rest, _ = leads.page(company_id, None, PageRequest.parse("1", "2", default_per_page=20), pagination["next_cursor"])
    qualified, by_status = leads.page(company_id, "qualified", PageRequest.parse(None, None, default_per_page=20), None)
    found, searched = leads.search(company_id, None, PageRequest.parse(None, None, default_per_page=20), "p2@")
    # THEN they hold the live leads newest first, with the counters' totals
    ids = [m["lead"]["id"] for m in made]
    assert [x.id for x in first + rest] == [ids[3], ids[2], ids[1], ids[0]]
    assert pagination["total"] == 4 and by_status["total"] == 1 and [x.id for x in qualified] == [ids[1]]
    assert [x.id for x in found] == [ids[2]] and searched["total"] == 1


# --- the use cases ------------------------------------------------------------------------------------------
def test_registration_creates_a_lead_once_and_welcomes_it_back(
    services: Services, table: MemoryTable, company_id: str, agent_id: str
) -> None:
    # GIVEN a visitor registering on an agent's widget
    body = {"agent_id": agent_id, "first_name": "Vi", "last_name": "Sitor", "email": "vi@example.com"}
    # WHEN they register, then register again with the same email
    first = services.leads.register(body, ip_address="203.0.113.7", user_agent="ua")
    again = services.leads.register({**body, "email": "VI@example.com"}, ip_address="203.0.113.7", user_agent="ua")
    # THEN one lead exists, at version 2, with tokens both times, and one event per change
    assert first["created"] is True and again["created"] is False
    assert again["lead"]["id"] == first["lead"]["id"] and again["lead"]["version"] == 2
    assert first["access_token"] and again["access_token"]
    assert sorted(events_of(table, company_id)) == ["lead.created", "lead.registered", "lead.registered"]
    totals = table.get(keys.stats_pk(company_id), "TOTAL") or {}
    assert totals["leads"] == 1 and totals["leads_created"] == 1
    # AND the rate-limit windows counted both registrations
    assert sum(int(i.get("hits", 0)) for i in table.scan_once(limit=100)[0] if str(i["PK"]).startswith("RATE#")) == 4


def test_create_update_and_delete_a_lead(services: Services, table: MemoryTable, company_id: str) -> None:
    principal = admin(company_id)
    # GIVEN two leads
    made = services.leads.create(principal, {"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com"})
    services.leads.create(principal, {"first_name": "Bo", "last_name": "Ng", "email": "bo@example.com"})
    lead_id = made["lead"]["id"]
    # WHEN a third takes a used email THEN it is a conflict
    with pytest.raises(Conflict):
        services.leads.create(principal, {"first_name": "X", "last_name": "Y", "email": "ann@example.com"})
    # WHEN the first is updated to the second's email THEN it is a conflict too, and nothing changed
    with pytest.raises(Conflict):
        services.leads.update(principal, lead_id, {"email": "bo@example.com"})
    assert services.leads.get(principal, lead_id)["lead"]["version"] == 1
    # WHEN it is updated to a free email and a new status
    updated = services.leads.update(principal, lead_id, {"email": "ann.lee@example.com", "status": "contacted"})
    # THEN the lead and its claim moved, and the status totals follow
    assert updated["lead"]["version"] == 2 and updated["lead"]["email"] == "ann.lee@example.com"
    assert LeadRepository(table).email_owner(company_id, "ann.lee@example.com") == lead_id
    listed = services.leads.list_company(principal, {"status": "contacted"})
    assert [x["id"] for x in listed["leads"]] == [lead_id] and listed["pagination"]["total"] == 1
    # WHEN it is deleted THEN it is gone from reads and lists
    services.leads.delete(principal, lead_id)
    with pytest.raises(NotFound):
        services.leads.get(principal, lead_id)
    assert services.leads.list_company(principal, {})["pagination"]["total"] == 1
    with pytest.raises(NotFound):
        services.leads.delete(principal, "not-a-uuid")
