"""Endpoint edits vs the delivery worker's health updates: neither may overwrite the other's fields.

Each test reproduces the race deterministically: the API reads the endpoint, the worker records a health
change (its real code path, in between), then the API writes its edit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from knowrithm_core.auth import Principal
from knowrithm_core.container import Services
from knowrithm_core.ids import now
from knowrithm_core.models.webhooks import WebhookEndpoint
from knowrithm_core.services.webhooks import WebhookService
from knowrithm_core.store import keys
from tests.stack import Tenant

Between = Callable[[WebhookService, WebhookEndpoint], None]


def _between_read_and_write(monkeypatch: pytest.MonkeyPatch, action: Between) -> list[WebhookEndpoint]:
    """Run ``action`` once, right after the API's next read of an endpoint (before it writes)."""
    original = WebhookService._load
    seen: list[WebhookEndpoint] = []

    def load_then_race(
        self: WebhookService, principal: Principal, endpoint_id: str
    ) -> tuple[WebhookEndpoint, list[dict[str, Any]]]:
        endpoint, secrets = original(self, principal, endpoint_id)
        if not seen:
            seen.append(endpoint)
            action(self, endpoint)
        return endpoint, secrets

    monkeypatch.setattr(WebhookService, "_load", load_then_race)
    return seen


def _stored(services: Services, tenant: Tenant, endpoint_id: str) -> dict[str, Any]:
    item = services.table.get(keys.company_pk(tenant.company_id), f"WEBHOOK#{endpoint_id}")
    assert item is not None
    return item


def _register(client: TestClient, tenant: Tenant) -> dict[str, Any]:
    response = client.post(
        "/api/v1/webhook", json={"url": "http://127.0.0.1:9/hooks", "description": "crm"}, headers=tenant.key_headers
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_an_edit_keeps_a_failure_the_worker_recorded_after_the_api_read_the_endpoint(
    webhook_client: TestClient, webhook_services: Services, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a healthy endpoint, and a delivery failure the worker records after the API has read it
    endpoint_id = _register(webhook_client, tenant)["webhook"]["id"]
    worker = webhook_services.delivery_worker()
    seen = _between_read_and_write(
        monkeypatch, lambda _, endpoint: worker._update_health(endpoint, succeeded=False, gone=False, moment=now())
    )
    # WHEN the user edits the endpoint
    response = webhook_client.put(
        f"/api/v1/webhook/{endpoint_id}",
        json={"description": "billing", "headers": {"X-Team": "finance"}},
        headers=tenant.key_headers,
    )
    # THEN the edit succeeds (health updates do not bump the version) and both the edit and the failure survive
    assert response.status_code == 200, response.text
    assert seen and seen[0].consecutive_failures == 0  # the API really read the endpoint before the failure
    stored = _stored(webhook_services, tenant, endpoint_id)
    assert stored["description"] == "billing" and stored["headers"] == {"X-Team": "finance"}
    assert stored["consecutive_failures"] == 1 and stored["failing_since"]
    assert stored["version"] == 2 and stored["_secrets"]
    # AND the response shows the endpoint as stored, failure included
    webhook = response.json()["webhook"]
    assert webhook["description"] == "billing" and webhook["consecutive_failures"] == 1


def test_an_edit_does_not_re_enable_an_endpoint_the_worker_disabled_meanwhile(
    webhook_client: TestClient, webhook_services: Services, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an endpoint the worker disables (410 Gone) after the API has read it as enabled
    endpoint_id = _register(webhook_client, tenant)["webhook"]["id"]
    worker = webhook_services.delivery_worker()
    _between_read_and_write(
        monkeypatch, lambda _, endpoint: worker._update_health(endpoint, succeeded=False, gone=True, moment=now())
    )
    # WHEN the user changes only the description
    response = webhook_client.patch(
        f"/api/v1/webhook/{endpoint_id}", json={"description": "renamed"}, headers=tenant.key_headers
    )
    # THEN the description changes and the endpoint stays disabled, with the worker's reason
    assert response.status_code == 200, response.text
    stored = _stored(webhook_services, tenant, endpoint_id)
    assert stored["description"] == "renamed"
    assert stored["enabled"] is False and "410" in stored["disabled_reason"] and stored["disabled_at"]


def test_a_secret_rotation_keeps_a_success_the_worker_recorded_meanwhile(
    webhook_client: TestClient, webhook_services: Services, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a failing endpoint that recovers (the worker records a success) after the API has read it
    created = _register(webhook_client, tenant)
    endpoint_id = created["webhook"]["id"]
    worker = webhook_services.delivery_worker()
    failing = WebhookEndpoint.model_validate(created["webhook"])
    worker._update_health(failing, succeeded=False, gone=False, moment=now())
    _between_read_and_write(
        monkeypatch, lambda _, endpoint: worker._update_health(endpoint, succeeded=True, gone=False, moment=now())
    )
    # WHEN the user rotates the secret
    response = webhook_client.post(
        f"/api/v1/webhook/{endpoint_id}/rotate-secret", json={"grace_period_hours": 1}, headers=tenant.key_headers
    )
    # THEN the new secret is stored next to the old one and the recovery survives
    assert response.status_code == 200, response.text
    stored = _stored(webhook_services, tenant, endpoint_id)
    opened = webhook_services.webhooks.vault.open_all(tenant.company_id, endpoint_id, stored["_secrets"])
    assert opened == [response.json()["secret"], created["secret"]]
    assert stored["consecutive_failures"] == 0 and stored["last_success_at"] and "failing_since" not in stored


def test_a_concurrent_api_edit_still_conflicts(
    webhook_client: TestClient, webhook_services: Services, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN another API edit of the endpoint lands after this request read it
    endpoint_id = _register(webhook_client, tenant)["webhook"]["id"]
    _between_read_and_write(monkeypatch, lambda service, endpoint: service._change(endpoint, {"description": "a"}))
    # WHEN this request writes its own edit
    response = webhook_client.put(
        f"/api/v1/webhook/{endpoint_id}", json={"description": "b"}, headers=tenant.key_headers
    )
    # THEN it is refused with 409 and the first edit stands
    assert response.status_code == 409, response.text
    assert _stored(webhook_services, tenant, endpoint_id)["description"] == "a"
