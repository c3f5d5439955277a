"""The composition root: builds every service once per process from the settings.

Handlers call :func:`get_services`; tests build a :class:`Services` around their own
table (moto in process) or call ``get_services.cache_clear()`` after changing the env.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from knowrithm_core.auth.service import AuthService
from knowrithm_core.config import Settings, get_settings
from knowrithm_core.knowledge.index import IndexCache
from knowrithm_core.knowledge.search import KnowledgeSearch
from knowrithm_core.responder import build_responder
from knowrithm_core.services.agents import AgentService
from knowrithm_core.services.chat import ChatService
from knowrithm_core.services.companies import CompanyService
from knowrithm_core.services.conversations import ConversationService
from knowrithm_core.services.leads import LeadService
from knowrithm_core.services.providers import ProviderCatalogue
from knowrithm_core.services.settings import SettingsService
from knowrithm_core.services.tasks import TaskService
from knowrithm_core.store.blobs import S3Blobs
from knowrithm_core.store.counters import DynamoCounters
from knowrithm_core.store.queue import SqsQueue
from knowrithm_core.store.table import DynamoTable
from knowrithm_core.webhooks.endpoints import WebhookService
from knowrithm_core.widget.limits import RateLimiter

if TYPE_CHECKING:  # imported on first use, off the cold-start path (the API never needs fan-out or delivery)
    from knowrithm_core.knowledge.documents import DocumentService
    from knowrithm_core.knowledge.ingest import IngestWorker
    from knowrithm_core.services.agent_tools import AgentToolsService
    from knowrithm_core.services.analytics import AnalyticsService
    from knowrithm_core.services.chat_worker import ChatWorker
    from knowrithm_core.webhooks.delivery import DeliveryWorker
    from knowrithm_core.webhooks.fanout import FanOut


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
    llm_settings: SettingsService
    tasks: TaskService
    webhooks: WebhookService
    delivery_queue: SqsQueue | None
    knowledge: KnowledgeSearch

    @classmethod
    def build(cls, settings: Settings, table: DynamoTable | None = None) -> Services:
        table = table or DynamoTable(settings.table_name)
        companies = CompanyService(table, settings)
        auth = AuthService(table, settings, companies)
        providers = ProviderCatalogue(settings)
        agents = AgentService(table, settings, providers)
        conversations = ConversationService(agents)
        tasks = TaskService(table, settings)
        queue = SqsQueue(settings.delivery_queue_url) if settings.delivery_queue_url else None
        limiter = RateLimiter(DynamoCounters(table), settings)
        blobs = S3Blobs(settings.document_bucket) if settings.document_bucket else None
        knowledge = KnowledgeSearch(table, settings, blobs, IndexCache(settings.index_cache_size))
        return cls(
            settings=settings,
            table=table,
            companies=companies,
            auth=auth,
            providers=providers,
            agents=agents,
            conversations=conversations,
            chat=ChatService(
                conversations,
                build_responder(settings, knowledge),
                tasks,
                limiter,
                SqsQueue(settings.chat_queue_url) if settings.chat_queue_url else None,
            ),
            leads=LeadService(agents, companies, auth.tokens, limiter),
            llm_settings=SettingsService(agents),
            tasks=tasks,
            webhooks=WebhookService(table, settings, queue),
            delivery_queue=queue,
            knowledge=knowledge,
        )

    @cached_property
    def documents(self) -> DocumentService:
        from knowrithm_core.knowledge.documents import DocumentService

        ingest_queue = SqsQueue(self.settings.ingest_queue_url) if self.settings.ingest_queue_url else None
        limiter = RateLimiter(DynamoCounters(self.table), self.settings)  # uploads: RATE_LIMIT_UPLOAD per company
        return DocumentService(
            self.agents, self.settings, self.knowledge, self.knowledge.blobs, ingest_queue, limiter=limiter
        )

    def ingest_worker(self) -> IngestWorker:
        from knowrithm_core.knowledge.fetch import PinnedFetcher
        from knowrithm_core.knowledge.ingest import IngestWorker

        if self.knowledge.blobs is None:
            raise RuntimeError("DOCUMENT_BUCKET is not set")
        blobs, fetcher = self.knowledge.blobs, PinnedFetcher()
        return IngestWorker(self.table, self.settings, blobs, fetcher, self.knowledge, self.documents)

    @cached_property
    def analytics(self) -> AnalyticsService:
        from knowrithm_core.services.analytics import AnalyticsService

        return AnalyticsService(self.agents, self.companies)

    @cached_property
    def agent_tools(self) -> AgentToolsService:
        from knowrithm_core.services.agent_tools import AgentToolsService

        return AgentToolsService(self.agents, self.chat.responder)

    def chat_worker(self) -> ChatWorker:
        from knowrithm_core.services.chat_worker import ChatWorker

        return ChatWorker(self.chat)

    def fan_out(self) -> FanOut:
        from knowrithm_core.webhooks.fanout import FanOut

        if self.delivery_queue is None:
            raise RuntimeError("DELIVERY_QUEUE_URL is not set")
        return FanOut(self.table, self.settings, self.delivery_queue)

    def delivery_worker(self) -> DeliveryWorker:
        from knowrithm_core.webhooks.delivery import DeliveryWorker
        from knowrithm_core.webhooks.http import PinnedPoster

        return DeliveryWorker(self.table, self.settings, PinnedPoster(), vault=self.webhooks.vault)

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
