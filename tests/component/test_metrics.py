"""The system's own metrics, as the real handlers write them: CloudWatch EMF documents on stdout.

Metrics are disabled test-wide (``POWERTOOLS_METRICS_DISABLED``); these tests enable them and read what the
handlers printed at the end of their invocation. A request that records nothing prints nothing, and never
Powertools' "No application metrics to publish" warning (pytest turns that warning into an error).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from knowrithm_core.container import Services
from knowrithm_core.observability import SERVICE_NAME
from tests.component.test_handler import Context, _event
from tests.emf import named
from tests.stack import Tenant, new_conversation


def _chat(tenant: Tenant, conversation_id: str, message: str) -> dict[str, Any]:
    from api_conversations import lambda_handler

    headers = {**tenant.key_headers, "content-type": "application/json"}
    path = f"/api/v1/conversation/{conversation_id}/chat"
    response: dict[str, Any] = lambda_handler(
        _event("POST", path, headers, json.dumps({"message": message})), Context()
    )
    assert response["statusCode"] == 200, response["body"]
    return response


def test_a_chat_turn_counts_its_turn_latency_unanswered_answer_and_escalation(
    client: TestClient, services: Services, tenant: Tenant, emf: Any
) -> None:
    # GIVEN a conversation with an agent that has no documents (the extractive responder answers inline)
    conversation_id = new_conversation(client, tenant)
    emf()
    # WHEN the conversations function answers a question it cannot answer
    _chat(tenant, conversation_id, "What is the warranty on the blue kettle?")
    metrics = emf()
    # THEN one turn, its answer latency in ms and one "don't know", each per responder, in the service's namespace
    responder = {"service": SERVICE_NAME, "responder": "extractive"}
    assert named(metrics, "ChatTurns") == [("Count", responder, [1.0])]
    ((unit, dimensions, (latency,)),) = named(metrics, "AnswerLatency")
    assert unit == "Milliseconds" and dimensions == responder and 0 <= latency < 60_000
    assert named(metrics, "UnansweredAnswers") == [("Count", responder, [1.0])]
    assert named(metrics, "Escalations") == []
    # WHEN the visitor then asks for a person
    _chat(tenant, conversation_id, "Can I talk to a human please?")
    # THEN the escalation is counted by its reason (never by tenant), with the turn
    metrics = emf()
    assert named(metrics, "Escalations") == [
        ("Count", {"service": SERVICE_NAME, "reason": "visitor_requested_human"}, [1.0])
    ]
    assert named(metrics, "ChatTurns") == [("Count", responder, [1.0])]
    assert not any("company" in d or "tenant" in d for _, _, d, _ in metrics)


def test_a_request_that_records_nothing_prints_no_metrics(services: Services, emf: Any) -> None:
    # GIVEN metrics enabled WHEN the system function answers a health check (nothing to count)
    from api_system import lambda_handler

    health = lambda_handler(_event("GET", "/health"), Context())  # type: ignore[arg-type]
    # THEN it answered, printed no EMF document and raised no "No application metrics" warning
    assert health["statusCode"] == 200
    assert emf() == []
