"""The composition root: builds each service once per process, from the settings, on its first use.

Handlers call :func:`get_services`; tests build a :class:`Services` around their own table (moto in process)
or call ``get_services.cache_clear()`` after changing the env. A service's module is imported when the service
is first asked for (:class:`built`), so a function imports only the services its routes use: the leads
function never loads chat, documents or analytics.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from knowrithm_core.config import Settings, get_settings
from knowrithm_core.store.port import Table

if TYPE_CHECKING:  # each imported on first use (see the properties below), off the cold-start path
    from knowrithm_core.knowledge.search import KnowledgeSearch
    from knowrithm_core.services.agent_tools import AgentToolsService
    from knowrithm_core.services.agents import AgentService
    from knowrithm_core.services.analytics import AnalyticsService
    from knowrithm_core.services.auth import AuthService
    from knowrithm_core.services.chat import ChatService
    from knowrithm_core.services.chat_worker import ChatWorker
    from knowrithm_core.services.companies import CompanyService
    from knowrithm_core.services.conversations import ConversationService
    from knowrithm_core.services.databases import DatabaseService
    from knowrithm_core.services.delivery import DeliveryWorker
    from knowrithm_core.services.documents import DocumentService
    from knowrithm_core.services.fanout import FanOut
    from knowrithm_core.services.fanout_recovery import MissedFanOuts
    from knowrithm_core.services.handoff import HandoffService
    from knowrithm_core.services.ingest import IngestWorker
    from knowrithm_core.services.leads import LeadService
    from knowrithm_core.services.providers import ProviderCatalogue
    from knowrithm_core.services.redrive import RedriveService
    from knowrithm_core.services.settings import SettingsService
    from knowrithm_core.services.slack import SlackService
    from knowrithm_core.services.slack_relay import SlackRelay
    from knowrithm_core.services.tasks import TaskService
    from knowrithm_core.services.users import UserService
    from knowrithm_core.services.webhooks import WebhookService
    from knowrithm_core.services.websites import WebsiteService
    from knowrithm_core.store.queue import SqsQueue
    from knowrithm_core.widget.limits import RateLimiter

T = TypeVar("T")
_BUILDING = threading.RLock()  # re-entrant: building chat builds conversations, which builds agents


class built(Generic[T]):  # noqa: N801 - used like ``functools.cached_property``
    """Like ``functools.cached_property``, but built at most once even when threads race for it
    (the local server serves requests from threads that share one :class:`Services`)."""

    def __init__(self, build: Callable[[Any], T]) -> None:
        self.build = build
        self.name = build.__name__
        self.__doc__ = build.__doc__

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type[Any] | None = None) -> built[T]: ...

    @overload
    def __get__(self, instance: object, owner: type[Any] | None = None) -> T: ...

    def __get__(self, instance: object | None, owner: type[Any] | None = None) -> T | built[T]:
        if instance is None:
            return self
        cache: dict[str, Any] = instance.__dict__
        with _BUILDING:
            if self.name not in cache:  # later reads find the value in the instance dict, not here
                cache[self.name] = self.build(instance)
            value: T = cache[self.name]
        return value


@dataclass(frozen=True)
class Services:
    settings: Settings
    table: Table

    @classmethod
    def build(cls, settings: Settings, table: Table | None = None) -> Services:
        """Services over ``table``: the deployment's DynamoDB table by default (an in-memory one in fast tests)."""
        if table is None:
            from knowrithm_core.store.table import DynamoTable

            table = DynamoTable(settings.table_name)
        return cls(settings, table)

    @built
    def companies(self) -> CompanyService:
        from knowrithm_core.services.companies import CompanyService

        return CompanyService(self.table, self.settings)

    @built
    def auth(self) -> AuthService:
        from knowrithm_core.services.auth import AuthService

        return AuthService(self.table, self.settings, self.companies)

    @built
    def users(self) -> UserService:
        from knowrithm_core.services.users import UserService

        return UserService(self.auth)

    @built
    def providers(self) -> ProviderCatalogue:
        from knowrithm_core.services.providers import ProviderCatalogue

        return ProviderCatalogue(self.settings)

    @built
    def agents(self) -> AgentService:
        from knowrithm_core.services.agents import AgentService

        return AgentService(self.table, self.settings, self.providers)

    @built
    def conversations(self) -> ConversationService:
        from knowrithm_core.services.conversations import ConversationService

        return ConversationService(self.agents)

    @built
    def handoff(self) -> HandoffService:
        from knowrithm_core.services.handoff import HandoffService

        return HandoffService(self.conversations)

    @built
    def tasks(self) -> TaskService:
        from knowrithm_core.services.tasks import TaskService

        return TaskService(self.table, self.settings)

    @built
    def limiter(self) -> RateLimiter:
        """The widget's per-IP and per-company limits (chat and lead registration share it)."""
        from knowrithm_core.store.counters import DynamoCounters
        from knowrithm_core.widget.limits import RateLimiter

        return RateLimiter(DynamoCounters(self.table), self.settings)

    @built
    def knowledge(self) -> KnowledgeSearch:
        from knowrithm_core.knowledge.index import IndexCache
        from knowrithm_core.knowledge.search import KnowledgeSearch
        from knowrithm_core.store.blobs import S3Blobs

        blobs = S3Blobs(self.settings.document_bucket) if self.settings.document_bucket else None
        return KnowledgeSearch(self.table, self.settings, blobs, IndexCache(self.settings.index_cache_size))

    @built
    def chat(self) -> ChatService:
        from knowrithm_core.responder import build_responder
        from knowrithm_core.services.chat import ChatService
        from knowrithm_core.store.queue import SqsQueue

        chat_queue = SqsQueue(self.settings.chat_queue_url) if self.settings.chat_queue_url else None
        responder = build_responder(self.settings, self.knowledge)
        return ChatService(self.conversations, responder, self.tasks, self.limiter, chat_queue)

    @built
    def leads(self) -> LeadService:
        from knowrithm_core.services.leads import LeadService

        return LeadService(self.agents, self.companies, self.auth.tokens, self.limiter)

    @built
    def llm_settings(self) -> SettingsService:
        from knowrithm_core.services.settings import SettingsService

        return SettingsService(self.agents)

    @built
    def delivery_queue(self) -> SqsQueue | None:
        from knowrithm_core.store.queue import SqsQueue

        return SqsQueue(self.settings.delivery_queue_url) if self.settings.delivery_queue_url else None

    @built
    def webhooks(self) -> WebhookService:
        from knowrithm_core.services.webhooks import WebhookService

        return WebhookService(self.table, self.settings, self.delivery_queue)

    @built
    def documents(self) -> DocumentService:
        from knowrithm_core.services.documents import DocumentService
        from knowrithm_core.store.counters import DynamoCounters
        from knowrithm_core.store.queue import SqsQueue
        from knowrithm_core.widget.limits import RateLimiter

        ingest_queue = SqsQueue(self.settings.ingest_queue_url) if self.settings.ingest_queue_url else None
        limiter = RateLimiter(DynamoCounters(self.table), self.settings)  # uploads: RATE_LIMIT_UPLOAD per company
        return DocumentService(
            self.agents, self.settings, self.knowledge, self.knowledge.blobs, ingest_queue, limiter=limiter
        )

    @built
    def websites(self) -> WebsiteService:
        from knowrithm_core.knowledge.fetch import PinnedFetcher
        from knowrithm_core.services.websites import WebsiteService

        return WebsiteService(self.documents, PinnedFetcher(), self.documents.queue)

    @built
    def databases(self) -> DatabaseService:
        from knowrithm_core.services.databases import DatabaseService
        from knowrithm_core.store.secrets import SecretStore

        return DatabaseService(self.documents, SecretStore())

    def ingest_worker(self) -> IngestWorker:
        from knowrithm_core.knowledge.fetch import PinnedFetcher
        from knowrithm_core.services.ingest import IngestWorker

        if self.knowledge.blobs is None:
            raise RuntimeError("DOCUMENT_BUCKET is not set")
        blobs, fetcher = self.knowledge.blobs, PinnedFetcher()
        return IngestWorker(self.table, self.settings, blobs, fetcher, self.knowledge, self.documents)

    @built
    def analytics(self) -> AnalyticsService:
        from knowrithm_core.services.analytics import AnalyticsService

        return AnalyticsService(self.agents, self.companies)

    @built
    def agent_tools(self) -> AgentToolsService:
        from knowrithm_core.services.agent_tools import AgentToolsService

        return AgentToolsService(self.agents, self.chat.responder)

    def chat_worker(self) -> ChatWorker:
        from knowrithm_core.services.chat_worker import ChatWorker

        return ChatWorker(self.chat)

    def fan_out(self) -> FanOut:
        from knowrithm_core.services.fanout import FanOut

        if self.delivery_queue is None:
            raise RuntimeError("DELIVERY_QUEUE_URL is not set")
        return FanOut(self.table, self.settings, self.delivery_queue)

    @built
    def fanout_failure_queue(self) -> SqsQueue | None:
        from knowrithm_core.store.queue import SqsQueue

        url = self.settings.fanout_failure_queue_url
        return SqsQueue(url) if url else None

    @built
    def redrive(self) -> RedriveService:
        from knowrithm_core.services.redrive import RedriveService

        return RedriveService(self.settings)

    def missed_fan_outs(self) -> MissedFanOuts:
        from knowrithm_core.services.fanout_recovery import MissedFanOuts
        from knowrithm_core.store.streams import StreamReader

        return MissedFanOuts(self.fan_out(), StreamReader())

    def delivery_worker(self) -> DeliveryWorker:
        from knowrithm_core.net.http import PinnedPoster
        from knowrithm_core.services.delivery import DeliveryWorker
        from knowrithm_core.store.topic import AlarmTopic

        alarms = AlarmTopic(self.settings.alarm_topic_arn)
        return DeliveryWorker(self.table, self.settings, PinnedPoster(), vault=self.webhooks.vault, alarms=alarms)

    @built
    def slack(self) -> SlackService:
        from knowrithm_core.services.slack import SlackService

        return SlackService(self.handoff, self.webhooks.vault, self.settings.slack_api_base_url)

    def slack_relay(self) -> SlackRelay:
        from knowrithm_core.services.slack_relay import SlackRelay

        return SlackRelay(self.table, self.webhooks.vault, self.settings.slack_api_base_url)

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
