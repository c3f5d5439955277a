"""Unit fixtures: moto in process, resources created from template.yaml, the API over ASGI.

``client`` sends each request to the API function the template routes it to (:class:`tests.gateway.Gateway`);
every AWS call a function makes meanwhile is checked against that function's IAM policies when the test ends.
"""

from __future__ import annotations

import time
import types
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from moto import mock_aws

from knowrithm_core.config import get_settings
from knowrithm_core.container import Services, get_services
from local.resources import create_all
from local.template import Stack, functions, load_template
from tests.gateway import AwsCalls, Gateway


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return load_template()


@pytest.fixture
def stack(template: dict[str, Any]) -> Iterator[Stack]:
    with mock_aws():
        stack = Stack(template)
        create_all(stack)
        yield stack


@pytest.fixture
def aws_calls(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsCalls]:
    """Records the AWS calls of every API function; the test fails if a function's IAM policies miss one."""
    calls = AwsCalls(stack)
    calls.install(monkeypatch)
    yield calls
    assert calls.not_allowed() == {}, "a function made AWS calls its template policies do not allow"


@pytest.fixture
def services(stack: Stack, aws_calls: AwsCalls, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    # every API function has the same environment (the template's Globals)
    for key, value in functions(stack)["ApiConversationsFunction"].environment.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("API_KEY_CACHE_SECONDS", "0")
    get_settings.cache_clear()
    get_services.cache_clear()
    yield get_services()
    get_settings.cache_clear()
    get_services.cache_clear()


@pytest.fixture
def gateway(stack: Stack) -> Gateway:
    return Gateway(stack)


@pytest.fixture
def client(services: Services, gateway: Gateway) -> TestClient:
    return TestClient(gateway, raise_server_exceptions=False)


@dataclass
class Tenant:
    company_id: str
    admin_token: str
    api_key: str
    api_secret: str
    agent_id: str

    @property
    def key_headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key, "X-API-Secret": self.api_secret}

    @property
    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_token}"}


def make_tenant(client: TestClient, name: str) -> Tenant:
    """A company with an admin user, an API key (read, write; no quotas) and one agent, made through the API."""
    company = client.post("/api/v1/company", json={"name": name, "email": f"owner@{name}.example"}).json()
    client.post(
        "/api/v1/auth/register",
        json={
            "company_id": company["id"],
            "email": f"admin@{name}.example",
            "username": f"{name}-admin",
            "password": "correct horse battery",
            "first_name": "Ada",
            "last_name": "Admin",
        },
    )
    login = client.post(
        "/api/v1/auth/login", json={"email": f"admin@{name}.example", "password": "correct horse battery"}
    ).json()
    token = login["access_token"]
    # no quotas on the tests' own key (suites like the hostile one send thousands of requests with it); the quota
    # tests make keys with limits of their own
    key = client.post(
        "/api/v1/auth/api-keys",
        json={"name": "tests", "rate_limit_per_hour": 0, "rate_limit_per_day": 0},
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    agent = client.post(
        "/api/v1/agent",
        headers={"X-API-Key": key["api_key"], "X-API-Secret": key["api_secret"]},
        json={
            "name": f"{name} helper",
            "description": (
                "We sell handmade ceramic mugs. Shipping takes 3 to 5 business days. "
                "Returns are accepted within 30 days of delivery."
            ),
        },
    ).json()
    return Tenant(company["id"], token, key["api_key"], key["api_secret"], agent["agent"]["id"])


@pytest.fixture
def tenant(client: TestClient) -> Tenant:
    return make_tenant(client, "acme")


@pytest.fixture
def other_tenant(client: TestClient) -> Tenant:
    return make_tenant(client, "globex")


@contextmanager
def api_calls(client: Any, service: str) -> Iterator[list[str]]:
    """The names of the ``service`` API calls a boto3 ``client`` makes inside the block, in order."""
    calls: list[str] = []

    def record(model: Any, **_: Any) -> None:
        calls.append(model.name)

    events = client.meta.events
    events.register(f"before-call.{service}", record)
    try:
        yield calls
    finally:
        events.unregister(f"before-call.{service}", record)


def dynamodb_calls(services: Services) -> AbstractContextManager[list[str]]:
    """The names of the DynamoDB API calls the table's client makes inside the block, in order."""
    return api_calls(services.table.client, "dynamodb")


def kms_calls(services: Services) -> AbstractContextManager[list[str]]:
    """The names of the KMS API calls the webhook secret vault (API and worker share it) makes inside the block."""
    return api_calls(services.webhooks.vault.client, "kms")


@dataclass
class RateClock:
    """The clock of the rate limiters (fixed windows), under the test's control."""

    now: float

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def rate_clock(monkeypatch: pytest.MonkeyPatch) -> RateClock:
    """A rate-limit clock one second into a window that only moves when told, so a slow run never crosses a
    window boundary (a limited request's ``Retry-After`` is then 59 s for a 60 s window)."""
    import knowrithm_core.services.key_quotas as key_quotas
    import knowrithm_core.store.counters as counters
    import knowrithm_core.widget.limits as limits

    clock = RateClock(float(int(time.time()) // 60 * 60 + 1))
    fake = types.SimpleNamespace(time=lambda: clock.now)
    monkeypatch.setattr(counters, "time", fake)
    monkeypatch.setattr(limits, "time", fake)
    monkeypatch.setattr(key_quotas, "time", fake)  # API keys' hour and day windows
    return clock


# what a TransactWriteItems of our workers needs: the item-level actions of its Put and Update operations
_TRANSACTION_ACTIONS = {"dynamodb:PutItem", "dynamodb:UpdateItem"}


def allowed_actions(template: dict[str, Any], function: str) -> set[str]:
    """Every action the inline statements of ``function``'s template policies allow."""
    allowed: set[str] = set()
    for policy in template["Resources"][function]["Properties"].get("Policies", []):
        for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
            if statement.get("Effect") != "Allow":
                continue
            actions = statement.get("Action", [])
            allowed.update([actions] if isinstance(actions, str) else actions)
    return allowed


def missing_dynamodb_actions(template: dict[str, Any], function: str, calls: list[str]) -> set[str]:
    """The IAM actions the DynamoDB ``calls`` need that ``function``'s template policies do not allow
    (moto never checks IAM, so without this a new call would only fail once deployed)."""
    needed: set[str] = set()
    for call in calls:
        needed |= _TRANSACTION_ACTIONS if call == "TransactWriteItems" else {f"dynamodb:{call}"}
    return needed - allowed_actions(template, function)


def missing_kms_actions(template: dict[str, Any], function: str, calls: list[str]) -> set[str]:
    """The IAM actions the KMS ``calls`` need that ``function``'s template policies do not allow."""
    return {f"kms:{call}" for call in calls} - allowed_actions(template, function)


def new_conversation(client: TestClient, tenant: Tenant, **extra: object) -> str:
    """A conversation with the tenant's agent, made through the API; returns its id."""
    response = client.post(
        "/api/v1/conversation", json={"agent_id": tenant.agent_id, **extra}, headers=tenant.key_headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"] == body["conversation"]["id"]  # top-level id for older clients
    return str(body["id"])
