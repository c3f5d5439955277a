"""``KnowrithmClient``: credentials, base URL, transport settings, and one attribute per service."""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import httpx

from knowrithm_py import __version__
from knowrithm_py._core import Core
from knowrithm_py._transport import Transport
from knowrithm_py.services.agents import AgentService, ProviderService
from knowrithm_py.services.analytics import AnalyticsService
from knowrithm_py.services.auth import ApiKeyService, AuthService, CompanyService
from knowrithm_py.services.conversations import ConversationService, MessageService
from knowrithm_py.services.databases import DatabaseService
from knowrithm_py.services.documents import DocumentService
from knowrithm_py.services.integrations import IntegrationService
from knowrithm_py.services.leads import LeadService
from knowrithm_py.services.operations import OperationsService
from knowrithm_py.services.settings import SettingsService
from knowrithm_py.services.system import HealthService, TaskService
from knowrithm_py.services.users import UserService
from knowrithm_py.services.webhooks import WebhookService
from knowrithm_py.services.websites import WebsiteSourceService
from knowrithm_py.services.widget import WidgetService

DEFAULT_BASE_URL = "https://app.knowrithm.org/api"
BASE_URL_ENV = "KNOWRITHM_BASE_URL"


def resolve_base_url(base_url: str | None) -> str:
    """The argument, else ``$KNOWRITHM_BASE_URL``, else the public service; without a trailing ``/v1``."""
    url = (base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).strip().rstrip("/")
    return url[: -len("/v1")] if url.endswith("/v1") else url


class KnowrithmClient:
    """Client of a Knowrithm-compatible API. Requests go to ``base_url + "/v1" + path``.

    Authenticates with ``X-API-Key``/``X-API-Secret`` and, when ``bearer_token`` is set, also
    ``Authorization: Bearer`` (the server prefers the token). Retries: see
    :mod:`knowrithm_py._transport`; ``max_retries`` counts retries after the first attempt
    and ``backoff`` is the base delay in seconds. Answers of 202 with a task are polled for
    up to ``task_poll_timeout`` seconds, first every ``task_poll_interval`` seconds, then less
    often. A ``Retry-After`` longer than ``retry_after_cap`` seconds is cut to it. ``transport``
    replaces httpx's network transport (tests, proxies).
    """

    def __init__(
        self,
        api_key: str | None = None,
        api_secret: str | None = None,
        base_url: str | None = None,
        *,
        bearer_token: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        task_poll_timeout: float = 180.0,
        transport: httpx.BaseTransport | None = None,
        task_poll_interval: float = 0.5,
        retry_after_cap: float = 30.0,
    ) -> None:
        self.api_key = api_key
        self.api_secret = api_secret
        self.base_url = resolve_base_url(base_url)
        headers = {"Accept": "application/json", "User-Agent": f"knowrithm-selfhosted-sdk/{__version__}"}
        if api_key:
            headers["X-API-Key"] = api_key
        if api_secret:
            headers["X-API-Secret"] = api_secret
        self._transport = Transport(
            f"{self.base_url}/v1",
            headers,
            timeout=timeout,
            max_retries=max_retries,
            backoff=backoff,
            retry_after_cap=retry_after_cap,
            transport=transport,
        )
        self.bearer_token = bearer_token
        core = Core(self._transport, task_poll_timeout=task_poll_timeout, task_poll_interval=task_poll_interval)
        self._core = core
        self.agents = AgentService(core)
        self.providers = ProviderService(core)
        self.conversations = ConversationService(core)
        self.messages = MessageService(core)
        self.leads = LeadService(core)
        self.auth = AuthService(core)
        self.api_keys = ApiKeyService(core)
        self.companies = CompanyService(core)
        self.tasks = TaskService(core)
        self.health = HealthService(core)
        self.webhooks = WebhookService(core)
        self.website_sources = WebsiteSourceService(core)
        self.databases = DatabaseService(core)
        self.documents = DocumentService(core)
        self.analytics = AnalyticsService(core)
        self.settings = SettingsService(core)
        self.widget = WidgetService(core)
        self.integrations = IntegrationService(core)
        self.operations = OperationsService(core)
        self.users = UserService(core)

    @property
    def bearer_token(self) -> str | None:
        """The user (or lead) access token sent as ``Authorization: Bearer``; assign to change it."""
        return self._bearer_token

    @bearer_token.setter
    def bearer_token(self, token: str | None) -> None:
        self._bearer_token = token
        if token:
            self._transport.http.headers["Authorization"] = f"Bearer {token}"
        else:
            self._transport.http.headers.pop("Authorization", None)

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        wait: bool = True,
    ) -> Any:
        """Call any route (``path`` relative to ``/v1``) with the client's auth, retries and task polling."""
        return self._core.call(method, path, json=json, params=params, headers=headers, wait=wait)

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> KnowrithmClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
