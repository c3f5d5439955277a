"""The composition root: builds every service once per process from the settings.

Handlers call :func:`get_services`; tests build a :class:`Services` around their own
table (moto in process) or call ``get_services.cache_clear()`` after changing the env.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from knowrithm_core.auth.service import AuthService
from knowrithm_core.config import Settings, get_settings
from knowrithm_core.responder import build_responder
from knowrithm_core.services.agents import AgentService
from knowrithm_core.services.chat import ChatService
from knowrithm_core.services.companies import CompanyService
from knowrithm_core.services.conversations import ConversationService
from knowrithm_core.services.leads import LeadService
from knowrithm_core.services.providers import ProviderCatalogue
from knowrithm_core.services.tasks import TaskService
from knowrithm_core.store.table import DynamoTable


@dataclass(frozen=True)
class Services:
    settings: Settings
    table: DynamoTable
    companies: CompanyService
    auth: AuthService
    providers: ProviderCatalogue
    agents: AgentService
    conversations: ConversationService
    chat: ChatService
    leads: LeadService
    tasks: TaskService

    @classmethod
    def build(cls, settings: Settings, table: DynamoTable | None = None) -> Services:
        table = table or DynamoTable(settings.table_name)
        companies = CompanyService(table, settings)
        auth = AuthService(table, settings, companies)
        providers = ProviderCatalogue(settings)
        agents = AgentService(table, settings, providers)
        conversations = ConversationService(agents)
        tasks = TaskService(table, settings)
        return cls(
            settings=settings,
            table=table,
            companies=companies,
            auth=auth,
            providers=providers,
            agents=agents,
            conversations=conversations,
            chat=ChatService(conversations, build_responder(settings), tasks),
            leads=LeadService(agents, companies, auth.tokens),
            tasks=tasks,
        )

    def health(self) -> dict[str, str]:
        """Reachability of the table (one GetItem of a key that never exists)."""
        try:
            self.table.get("HEALTH", "HEALTH")
        except Exception:  # noqa: BLE001 - any failure means "not connected"; details go to the log
            return {"status": "unhealthy", "database": "unreachable"}
        return {"status": "healthy", "database": "connected"}


@lru_cache(maxsize=1)
def get_services() -> Services:
    return Services.build(get_settings())
