"""Agents and their settings: the agent item, its counters item, its list index attributes, and company-level
settings items.

Items (partition ``COMPANY#c``)::

    AGENT#a           the agent (GSI1 ``AGENT#a``; GSI3/GSI4 list pages, see :func:`.listings.agent_index_keys`;
                      GSI2 ``SETTINGS#s`` for its embedded settings)
    AGENT#a#STATS     its all-time counters (conversations, messages, active_conversations, documents), kept
                      apart so chats never contend with edits of the agent
    AGENT#a#KINDEX    its knowledge index manifest (written by :mod:`.documents`), read with the agent
    SETTINGS#s        company-level settings (no agent; GSI2 ``SETTINGS#s``)

Every write of an agent carries the change of the company's agent totals (``COMPANY#c#STATS / TOTAL``) in the
same unit of work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from knowrithm_core.domain.stats import agent_standing
from knowrithm_core.models.knowledge import Manifest
from knowrithm_core.models.resources import Agent, AgentSettings
from knowrithm_core.pagination import PageRequest
from knowrithm_core.store import keys, listings
from knowrithm_core.store.expressions import Put, Update, eq, missing
from knowrithm_core.store.pages import cursor_param, read_page, search_page
from knowrithm_core.store.port import Item, Table
from knowrithm_core.store.repositories.documents import manifest_from
from knowrithm_core.store.repositories.stats import StatsRepository, total_op
from knowrithm_core.store.unit_of_work import UnitOfWork

COUNTERS_IN_STATS = ("total_conversations", "total_messages")  # live in the counters item, not the agent's


@dataclass(frozen=True)
class AgentRecord:
    """An agent as stored (``stored``: its attributes without keys) with its all-time ``counters``."""

    stored: dict[str, Any]
    counters: dict[str, Any] = field(default_factory=dict)
    index: Item | None = None  # its knowledge index manifest item, when the read included it

    @property
    def agent(self) -> Agent:
        """The agent with ``total_conversations`` and ``total_messages`` from its counters."""
        totals = {
            "total_conversations": self.counters.get("conversations", 0),
            "total_messages": self.counters.get("messages", 0),
        }
        return Agent.model_validate({**self.stored, **totals})

    @property
    def deleted(self) -> bool:
        return bool(self.stored.get("deleted_at"))

    @property
    def manifest(self) -> Manifest:
        """The agent's knowledge index manifest as read with it (an empty one, revision 0, when it has none)."""
        return manifest_from(self.index, str(self.stored.get("company_id")), str(self.stored.get("id")))


@dataclass(frozen=True)
class AgentPage:
    agents: list[Agent]
    pagination: dict[str, Any]


@dataclass(frozen=True)
class SettingsHolder:
    """What settings found by id belong to: an agent (``agent_id``) or the company (``agent_id`` None)."""

    company_id: str
    agent_id: str | None
    settings: AgentSettings | None  # None: an agent item whose embedded settings are not these (replaced)
    deleted: bool


def agent_item(agent: Agent) -> Item:
    """The stored agent: its public fields (counters left out), keys, list index and settings look-up keys."""
    stored = agent.public()
    for counter in COUNTERS_IN_STATS:
        stored.pop(counter, None)
    item = {
        "PK": keys.company_pk(agent.company_id),
        "SK": keys.agent_sk(agent.id),
        "GSI1PK": keys.global_id("AGENT", agent.id),
        "GSI1SK": "AGENT",
        **listings.agent_index_keys(agent.company_id, agent.id, agent.status, live=not agent.deleted_at),
        **stored,
    }
    if agent.settings:  # the agent's settings are found by their own id too (GET /settings/{id})
        item |= {"GSI2PK": keys.settings_gsi(agent.settings.id), "GSI2SK": "AGENT"}
    return item


def agent_total_ops(previous: Agent | None, agent: Agent) -> list[Update]:
    """The change of the company's agent totals from ``previous`` (None when new) to ``agent``: none or one op."""
    old = agent_standing(previous.status, bool(previous.deleted_at)) if previous else {}
    new = agent_standing(agent.status, bool(agent.deleted_at))
    op = total_op(agent.company_id, {k: new.get(k, 0) - old.get(k, 0) for k in sorted({*old, *new})})
    return [op] if op else []


def _matches(search: str, item: Mapping[str, Any]) -> bool:
    return search in str(item.get("name", "")).lower() or search in str(item.get("description") or "").lower()


class AgentRepository:
    def __init__(self, table: Table) -> None:
        self.table = table
        self.stats = StatsRepository(table)

    # --- reads ---------------------------------------------------------------------------------------------
    def get(self, company_id: str, agent_id: str) -> AgentRecord | None:
        """The agent, its counters and its index manifest (one consistent Query: the three share the ``AGENT#a``
        prefix); deleted ones too."""
        read = self.table.query(keys.company_pk(company_id), sk_prefix=keys.agent_sk(agent_id))
        items = {str(i["SK"]): i for i in read}
        found = items.get(keys.agent_sk(agent_id))
        if found is None:
            return None
        stats = items.get(keys.agent_stats_sk(agent_id), {})
        return AgentRecord(_plain(found), _plain(stats), items.get(keys.knowledge_index_sk(agent_id)))

    def find_by_id(self, agent_id: str) -> Agent | None:
        """An agent by id alone (GSI1, one Query; deleted ones too); no counters."""
        found = self.table.query(keys.global_id("AGENT", agent_id), index=keys.GSI1, limit=1)
        return Agent.model_validate(_plain(found[0])) if found else None

    def all(self, company_id: str) -> list[AgentRecord]:
        """Every agent of the company (deleted ones too) with its counters: one Query."""
        items = self.table.query(keys.company_pk(company_id), sk_prefix=keys.agent_sk(""))
        stats = {i["SK"]: i for i in items if str(i["SK"]).endswith(keys.STATS_SUFFIX)}
        return [
            AgentRecord(_plain(item), _plain(stats.get(f"{item['SK']}{keys.STATS_SUFFIX}", {})))
            for item in items
            if keys.is_agent_sk(str(item["SK"]))
        ]

    def page(self, company_id: str, request: PageRequest, query: Mapping[str, str]) -> AgentPage:
        """Agents newest first (``status``; ``deleted`` for the deleted ones; ``search`` in name and
        description among the newest ``SEARCH_SCAN_LIMIT``; ``cursor``): one Query of ``per_page + 1`` on the
        list's index, the total from the company counters, and one BatchGetItem of the page's counters."""
        status = (query.get("status") or "").strip().lower()
        listing = listings.agents(company_id, status or None)
        search = (query.get("search") or "").strip().lower()
        if search:
            page = search_page(self.table, listing, request, lambda item: _matches(search, item))
        else:
            counter = {"": "agents", "deleted": "agents_deleted"}.get(status, f"agents_status_{status}")
            total = self.stats.company_total(company_id, counter)
            page = read_page(self.table, listing, request, total=total, cursor=cursor_param(dict(query)))
        stats_keys = [(str(i["PK"]), f"{i['SK']}{keys.STATS_SUFFIX}") for i in page.items]
        stats = self.table.batch_get(stats_keys)
        pairs = zip(page.items, stats_keys, strict=True)
        return AgentPage([AgentRecord(_plain(i), _plain(stats.get(k, {}))).agent for i, k in pairs], page.pagination)

    # --- writes --------------------------------------------------------------------------------------------
    def add(self, uow: UnitOfWork, agent: Agent) -> None:
        """A new agent (its id must be new) and the company's agent totals."""
        uow.add(Put(agent_item(agent), when=missing()), *agent_total_ops(None, agent))

    def replace(self, uow: UnitOfWork, previous: Agent, agent: Agent) -> None:
        """A new version of the agent unless it changed since ``previous`` was read (optimistic on ``version``),
        and the change of the company's agent totals."""
        uow.add(Put(agent_item(agent), when=eq("version", previous.version)), *agent_total_ops(previous, agent))

    @staticmethod
    def counters_op(company_id: str, agent_id: str, deltas: Mapping[str, int]) -> Update:
        """Add ``deltas`` to the agent's counters (for the unit of work of the change they count)."""
        return Update((keys.company_pk(company_id), keys.agent_stats_sk(agent_id)), add=dict(deltas))


def company_settings_item(settings: AgentSettings, company_id: str, *, deleted_at: str | None = None) -> Item:
    return {
        "PK": keys.company_pk(company_id),
        "SK": keys.settings_sk(settings.id),
        "GSI2PK": keys.settings_gsi(settings.id),
        "GSI2SK": "COMPANY",
        **settings.model_dump(mode="json"),
        "company_id": company_id,
        "deleted_at": deleted_at,
    }


def _holder(item: Item, settings_id: str) -> SettingsHolder:
    deleted = bool(item.get("deleted_at"))
    if item.get("GSI2SK") == "AGENT":
        embedded = item.get("settings")
        own = isinstance(embedded, dict) and embedded.get("id") == settings_id
        settings = AgentSettings.model_validate(embedded) if own else None
        return SettingsHolder(str(item.get("company_id")), str(item["id"]), settings, deleted)
    return SettingsHolder(str(item.get("company_id")), None, AgentSettings.model_validate(_plain(item)), deleted)


class SettingsRepository:
    """Company-level settings items, and look-ups of any settings (an agent's or the company's) by id."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def company_settings(self, company_id: str, settings_id: str) -> tuple[AgentSettings, bool] | None:
        """Company-level settings by id (GetItem) and whether they are deleted; None if there are none."""
        item = self.table.get(keys.company_pk(company_id), keys.settings_sk(settings_id))
        return (AgentSettings.model_validate(_plain(item)), bool(item.get("deleted_at"))) if item else None

    def all_company_settings(self, company_id: str) -> list[AgentSettings]:
        """The company's live company-level settings (one Query)."""
        items = self.table.query(keys.company_pk(company_id), sk_prefix=keys.settings_sk(""))
        return [AgentSettings.model_validate(_plain(i)) for i in items if not i.get("deleted_at")]

    def holders(self, settings_id: str, *, limit: int) -> list[SettingsHolder]:
        """Whatever holds settings ``settings_id``, in any company (GSI2, one Query; eventually consistent):
        the caller checks the company."""
        found = self.table.query(keys.settings_gsi(settings_id), index=keys.GSI2, limit=limit)
        return [_holder(item, settings_id) for item in found[:limit]]

    def add_company_settings(self, settings: AgentSettings, company_id: str) -> None:
        """Store new company-level settings (one conditional PutItem)."""
        self.table.write([Put(company_settings_item(settings, company_id), when=missing())])

    def replace_company_settings(
        self, settings: AgentSettings, company_id: str, *, seen: str, deleted_at: str | None = None
    ) -> None:
        """Overwrite company-level settings unless they changed since they were read (``updated_at`` was
        ``seen``); ``deleted_at`` soft-deletes them. A conflict raises ``TransactionConflict``."""
        item = company_settings_item(settings, company_id, deleted_at=deleted_at)
        self.table.write([Put(item, when=eq("updated_at", seen))])


def _plain(item: Mapping[str, Any]) -> dict[str, Any]:
    return keys.strip_keys(dict(item))
