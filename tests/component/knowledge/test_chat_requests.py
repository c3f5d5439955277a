"""What one inline chat turn costs DynamoDB: the agent's query also brings its knowledge index manifest, so an
API-key turn is four requests (conversation query, agent query, the key's quota write, the turn's transaction)
and a turn never reads the manifest on its own."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from knowrithm_core.container import Services
from knowrithm_core.store import keys
from knowrithm_core.store.backfill import backfill
from knowrithm_core.store.expressions import Delete, Put
from tests.component.knowledge.conftest import Pump, upload
from tests.stack import Tenant, dynamodb_calls, missing_dynamodb_actions, new_conversation

QUESTION = {"message": "When is kiln day?"}


@pytest.fixture
def keys_cached(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """API keys cached per container as deployed (30 s; the component stack turns the cache off): asked for
    before ``kb_services``, which reads the settings again."""
    monkeypatch.setenv("API_KEY_CACHE_SECONDS", "30")


def test_an_api_key_chat_turn_costs_four_requests_and_answers_from_the_manifest_read_with_the_agent(
    keys_cached: None,
    kb_client: TestClient,
    kb_services: Services,
    tenant: Tenant,
    pump_ingest: Pump,
    template: dict[str, Any],
) -> None:
    # GIVEN an agent with one processed document, a conversation and a warm key cache (one turn already sent)
    assert kb_services.settings.api_key_cache_seconds == 30
    upload(kb_client, tenant.key_headers, tenant.agent_id, ("kiln.txt", b"Kiln day is Thursday.", "text/plain"))
    pump_ingest()
    conversation_id = new_conversation(kb_client, tenant)
    path = f"/api/v1/conversation/{conversation_id}/chat"
    assert kb_client.post(path, json=QUESTION, headers=tenant.key_headers).status_code == 200
    # WHEN the next turn is sent with the API key
    with dynamodb_calls(kb_services) as calls:
        response = kb_client.post(path, json=QUESTION, headers=tenant.key_headers)
    # THEN it answers from the document, in four requests and no GetItem of the manifest
    assert response.status_code == 200, response.text
    assert "Thursday" in response.json()["response"]
    assert sorted(calls) == ["Query", "Query", "TransactWriteItems", "UpdateItem"]
    assert missing_dynamodb_actions(template, "ApiConversationsFunction", calls) == set()


def test_the_backfill_moves_a_manifest_from_its_old_key_beside_its_agent(
    kb_client: TestClient, kb_services: Services, tenant: Tenant, pump_ingest: Pump
) -> None:
    # GIVEN an agent whose manifest was stored under the key it had before (COMPANY#c / KINDEX#a)
    upload(kb_client, tenant.key_headers, tenant.agent_id, ("kiln.txt", b"Kiln day is Thursday.", "text/plain"))
    pump_ingest()
    table = kb_services.table
    pk, new_sk = keys.company_pk(tenant.company_id), keys.knowledge_index_sk(tenant.agent_id)
    current = table.get(pk, new_sk)
    assert current is not None
    legacy_sk = f"{keys.LEGACY_KINDEX_PREFIX}{tenant.agent_id}"
    table.write([Put({**current, "SK": legacy_sk}), Delete((pk, new_sk))])
    # WHEN the backfill runs, twice
    first, second = backfill(table), backfill(table)
    # THEN the manifest is beside its agent, the old item is gone, the agent answers again, and a rerun moves nothing
    moved = table.get(pk, new_sk)
    assert moved is not None and moved["version"] == current["version"] and table.get(pk, legacy_sk) is None
    assert first.items_updated >= 1 and second.items_updated == 0
    conversation_id = new_conversation(kb_client, tenant)
    answer = kb_client.post(f"/api/v1/conversation/{conversation_id}/chat", json=QUESTION, headers=tenant.key_headers)
    assert "Thursday" in answer.json()["response"]
