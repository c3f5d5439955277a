"""Analytics: counters kept on write report exactly what happened; dates, exports, scopes and tenancy."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from knowrithm_core.container import Services
from knowrithm_core.domain.stats import bucket_attribute, bucket_of
from knowrithm_core.ids import new_id
from knowrithm_core.models.resources import Message
from knowrithm_core.services.analytics import DateRange, response_times
from knowrithm_core.store.repositories.stats import chat_turn_ops
from tests.stack import Tenant, dynamodb_calls, new_conversation

ANSWERABLE = "How long does shipping take?"
UNANSWERABLE = "What is the capital of Mongolia?"


def _chat(client: TestClient, tenant: Tenant, conversation_id: str, message: str) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/conversation/{conversation_id}/chat", json={"message": message}, headers=tenant.key_headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _get(client: TestClient, tenant: Tenant, path: str, **params: str) -> dict[str, Any]:
    response = client.get(f"/api/v1{path}", params=params, headers=tenant.key_headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def activity(client: TestClient, tenant: Tenant) -> dict[str, Any]:
    """2 conversations, 3 chat turns (one unanswerable), 2 leads: a widget visitor who gave marketing
    consent and an API-created lead who did not."""
    first, second = new_conversation(client, tenant), new_conversation(client, tenant)
    _chat(client, tenant, first, ANSWERABLE)
    _chat(client, tenant, first, "Can I return a mug after two weeks?")
    _chat(client, tenant, second, UNANSWERABLE)
    visitor = client.post(
        "/api/v1/lead/register",
        json={
            "agent_id": tenant.agent_id,
            "first_name": "Vera",
            "last_name": "Visitor",
            "email": "vera@example.com",
            "consent_marketing": True,
        },
    )
    assert visitor.status_code == 201, visitor.text
    api_lead = client.post(
        "/api/v1/sdk/lead",
        json={"first_name": "Al", "last_name": "Api", "email": "al@example.com"},
        headers=tenant.key_headers,
    )
    assert api_lead.status_code == 201, api_lead.text
    return {"conversations": [first, second], "leads": [visitor.json()["lead"]["id"], api_lead.json()["lead"]["id"]]}


def test_dashboard_reports_exactly_what_happened(client: TestClient, tenant: Tenant, activity: dict[str, Any]) -> None:
    # GIVEN 2 conversations, 3 chat turns and 2 leads (1 with marketing consent)
    # WHEN the dashboard is read
    dashboard = _get(client, tenant, "/analytic/dashboard")
    # THEN every count matches, under Knowrithm's keys
    core = dashboard["core_metrics"]
    assert core["conversation_count"] == 2 and core["lead_count"] == 2 and core["message_count"] == 6
    assert core["total_users"] == 1 and core["document_count"] == 0 and core["scope"] == "company"
    conversations = dashboard["conversation_analytics"]
    assert conversations["conversations_last_30_days"] == 2 and conversations["messages_last_30_days"] == 6
    assert conversations["active_conversations"] == 2 and conversations["avg_messages_per_conversation"] == 3.0
    leads = dashboard["lead_analytics"]
    assert leads["total_leads"] == 2 and leads["new_leads_last_30_days"] == 2
    assert leads["marketing_consent_count"] == 1 and leads["data_consent_count"] == 2
    assert leads["status_distribution"] == {"new": 2, "contacted": 0, "qualified": 0, "converted": 0, "lost": 0}
    agents = dashboard["agent_analytics"]
    assert agents["total_agents"] == agents["active_agents"] == 1
    assert agents["top_agents"][0]["id"] == tenant.agent_id and agents["top_agents"][0]["total_messages"] == 6
    today = dashboard["activity_analytics"]["daily_activity"][-1]
    assert (today["conversations"], today["messages"], today["leads"]) == (2, 6, 2)
    assert dashboard["performance_analytics"]["total_responses"] == 3
    assert dashboard["performance_analytics"]["unanswered_responses"] == 1
    assert dashboard["security_analytics"]["active_api_keys"] == 1
    expected = {
        "core_metrics",
        "agent_analytics",
        "conversation_analytics",
        "lead_analytics",
        "document_analytics",
        "database_analytics",
        "activity_analytics",
        "company_analytics",
        "performance_analytics",
        "security_analytics",
        "system_metrics",
        "user_context",
        "user_management",
        "generated_at",
    }
    assert expected <= set(dashboard)


def test_agent_analytics_report_exactly_what_happened(
    client: TestClient, tenant: Tenant, activity: dict[str, Any]
) -> None:
    # WHEN the agent's analytics are read for the default range (the last 30 days)
    report = _get(client, tenant, f"/analytic/agent/{tenant.agent_id}")
    # THEN conversations, messages, answers and conversions match what the test did
    assert report["agent_info"]["id"] == tenant.agent_id and report["date_range"]["days"] == 30
    assert report["conversation_metrics"]["total_conversations"] == 2
    assert report["conversation_metrics"]["active_conversations"] == 2
    assert report["conversation_metrics"]["avg_messages_per_conversation"] == 3.0
    assert (report["message_metrics"]["total"], report["message_metrics"]["user"]) == (6, 3)
    assert report["message_metrics"]["assistant"] == 3
    assert report["quality_metrics"]["unanswered"] == 1 and report["quality_metrics"]["answered"] == 2
    performance = report["performance_metrics"]
    assert performance["total_responses"] == 3 and performance["avg_response_time_seconds"] is not None
    assert (
        performance["min_response_time_seconds"]
        <= performance["avg_response_time_seconds"]
        <= performance["max_response_time_seconds"]
    )
    assert sum(bucket["count"] for bucket in performance["response_time_histogram"]) == 3
    assert (
        report["token_usage"]["total_tokens"]
        == report["token_usage"]["user_tokens"] + (report["token_usage"]["assistant_tokens"])
    )
    # only the widget visitor registered through this agent; the API lead has no agent
    assert (
        report["conversion_metrics"]["leads"] == 1 and report["conversion_metrics"]["conversion_rate_percent"] == 50.0
    )
    assert len(report["activity_trend"]) == 30 and report["activity_trend"][-1]["messages"] == 6
    assert report["top_sources"] == []


def test_lead_analytics_report_sources_consent_and_status(
    client: TestClient, tenant: Tenant, activity: dict[str, Any]
) -> None:
    report = _get(client, tenant, "/analytic/leads")
    assert report["new_leads"] == 2 and report["total_leads"] == 2
    assert report["lead_sources"] == [{"source": "api", "count": 1}, {"source": "website_chatbot", "count": 1}]
    assert report["daily_new_leads"][-1]["count"] == 2 and sum(d["count"] for d in report["daily_new_leads"]) == 2
    consent = report["consent_analytics"]
    assert consent == {
        "total_leads": 2,
        "data_consent_count": 2,
        "marketing_consent_count": 1,
        "data_consent_rate": 100.0,
        "marketing_consent_rate": 50.0,
    }
    assert report["registration_channels"] == {"widget": 1, "api": 1}
    # WHEN one lead is qualified and the other deleted
    visitor, api_lead = activity["leads"]
    h = tenant.key_headers
    assert client.put(f"/api/v1/sdk/lead/{visitor}", json={"status": "qualified"}, headers=h).status_code == 200
    assert client.delete(f"/api/v1/sdk/lead/{api_lead}", headers=h).status_code == 200
    # THEN the current status distribution follows; leads created in the range stay counted
    after = _get(client, tenant, "/analytic/leads")
    assert after["lead_status_distribution"] == {"new": 0, "contacted": 0, "qualified": 1, "converted": 0, "lost": 0}
    assert after["total_leads"] == 1 and after["new_leads"] == 2
    assert _get(client, tenant, "/analytic/dashboard")["core_metrics"]["lead_count"] == 1


def test_a_change_that_fails_counts_nothing(client: TestClient, tenant: Tenant) -> None:
    # GIVEN a lead, WHEN a second lead with the same email is refused (409)
    body = {"first_name": "A", "last_name": "B", "email": "dup@example.com"}
    assert client.post("/api/v1/sdk/lead", json=body, headers=tenant.key_headers).status_code == 201
    assert client.post("/api/v1/sdk/lead", json=body, headers=tenant.key_headers).status_code == 409
    # THEN only the first one is counted
    assert _get(client, tenant, "/analytic/leads")["new_leads"] == 1


def test_conversation_analytics(client: TestClient, tenant: Tenant, activity: dict[str, Any]) -> None:
    first, second = activity["conversations"]
    report = _get(client, tenant, f"/analytic/conversation/{first}")
    assert report["conversation_id"] == first
    assert report["message_roles"] == {"user": 2, "assistant": 2, "system": 0}
    messages = report["message_analytics"]
    assert messages["total_messages"] == 4 and messages["unanswered"] == 0
    assert messages["total_tokens"] == report["conversation"]["total_tokens"] > 0
    assert messages["min_response_time_seconds"] <= messages["max_response_time_seconds"]
    assert report["activity_timeline"][0]["messages"] == 4
    assert report["lead_engagement"]["is_lead"] is False
    assert [c["id"] for c in report["top_conversations"]] == [first, second]
    unanswered = _get(client, tenant, f"/analytic/conversation/{second}")["message_analytics"]
    assert unanswered["unanswered"] == 1


def test_usage_counts_the_counted_writes(client: TestClient, tenant: Tenant, activity: dict[str, Any]) -> None:
    report = _get(client, tenant, "/analytic/usage")
    endpoints = {e["endpoint"]: e["count"] for e in report["endpoint_usage"]}
    assert endpoints["/api/v1/conversation/{id}/chat"] == 3 and endpoints["/api/v1/conversation"] == 2
    assert endpoints["/api/v1/lead/register"] == 1 and endpoints["/api/v1/sdk/lead"] == 1
    assert report["api_usage"]["total_api_calls"] == 7 and report["api_usage"]["active_api_keys"] == 1
    (agent,) = report["agent_usage"]
    assert agent["agent_id"] == tenant.agent_id and agent["messages"] == 6 and agent["chat_turns"] == 3
    assert report["storage_usage"] == {"documents": 0, "conversations": 2, "messages": 6, "leads": 2}
    assert report["daily_usage_trend"][-1]["api_calls"] == 7 and report["top_client_ips"] == []


def test_date_filtering_uses_the_day_of_each_change(
    client: TestClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN activity on 5 January (1 conversation, 1 turn) and on 7 January (1 conversation, 2 turns)
    def on(day: str) -> Callable[[], str]:
        return lambda: f"2026-01-{day}T10:00:00.000Z"

    for day, turns in (("05", 1), ("07", 2)):
        monkeypatch.setattr("knowrithm_core.services.conversations.iso", on(day))
        monkeypatch.setattr("knowrithm_core.services.chat.iso", on(day))
        conversation = new_conversation(client, tenant)
        for _ in range(turns):
            _chat(client, tenant, conversation, ANSWERABLE)
    monkeypatch.undo()
    path = f"/analytic/agent/{tenant.agent_id}"
    # WHEN ranges are asked for as dates or ISO timestamps
    fifth = _get(client, tenant, path, start_date="2026-01-05", end_date="2026-01-05")
    later = _get(client, tenant, path, start_date="2026-01-06T00:00:00Z", end_date="2026-01-07T23:59:59+00:00")
    both = _get(client, tenant, path, start_date="2026-01-01", end_date="2026-01-31")
    before = _get(client, tenant, path, start_date="2025-12-01", end_date="2025-12-31")
    # THEN each counts only its days
    assert (fifth["conversation_metrics"]["total_conversations"], fifth["message_metrics"]["total"]) == (1, 2)
    assert (later["conversation_metrics"]["total_conversations"], later["message_metrics"]["total"]) == (1, 4)
    assert later["date_range"] == {"start_date": "2026-01-06", "end_date": "2026-01-07", "days": 2}
    assert both["message_metrics"]["total"] == 6 and len(both["activity_trend"]) == 31
    assert [d["messages"] for d in both["activity_trend"] if d["messages"]] == [2, 4]
    assert before["message_metrics"]["total"] == 0
    # a timestamp with an offset counts on its UTC day (00:30 at +02:00 is the 6th in UTC)
    shifted = _get(client, tenant, path, start_date="2026-01-07T00:30:00+02:00", end_date="2026-01-07")
    assert shifted["date_range"]["start_date"] == "2026-01-06"
    usage = _get(client, tenant, "/analytic/usage", start_date="2026-01-07", end_date="2026-01-07")
    assert usage["api_usage"]["total_api_calls"] == 3  # 1 conversation + 2 turns


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2026-13-01"}, "end_date"),
        ({"start_date": "2026-02-30"}, "start_date"),
        ({"start_date": "2026-03-02", "end_date": "2026-03-01"}, None),
        ({"start_date": "2020-01-01", "end_date": "2026-01-01"}, None),
    ],
)
def test_bad_dates_are_400(client: TestClient, tenant: Tenant, params: dict[str, str], field: str | None) -> None:
    for path in (f"/api/v1/analytic/agent/{tenant.agent_id}", "/api/v1/analytic/leads", "/api/v1/analytic/usage"):
        response = client.get(path, params=params, headers=tenant.key_headers)
        assert response.status_code == 400, response.text
        assert response.json()["error_code"] == "validation_error"
        if field:
            assert field in response.json()["detail"]


def _export(client: TestClient, tenant: Tenant, **body: Any) -> Any:
    return client.post("/api/v1/analytic/export", json=body, headers=tenant.key_headers)


def _rows(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(response.text)))


def test_csv_exports_parse_with_the_csv_module(client: TestClient, tenant: Tenant, activity: dict[str, Any]) -> None:
    conversations = _rows(_export(client, tenant, type="conversations", format="csv"))
    assert sorted(r["id"] for r in conversations) == sorted(activity["conversations"])
    assert sorted(r["message_count"] for r in conversations) == ["2", "4"]
    leads = _rows(_export(client, tenant, type="leads", format="csv"))
    assert sorted(r["email"] for r in leads) == ["al@example.com", "vera@example.com"]
    assert {r["email"]: r["consent_marketing"] for r in leads} == {
        "al@example.com": "false",
        "vera@example.com": "true",
    }
    (agent,) = _rows(_export(client, tenant, type="agents", format="csv"))
    assert (agent["id"], agent["conversations_in_range"], agent["messages_in_range"]) == (tenant.agent_id, "2", "6")
    usage = _rows(_export(client, tenant, type="usage", format="CSV"))
    assert len(usage) == 30 and sum(int(r["chat_turns"]) for r in usage) == 3
    assert list(usage[0]) == [
        "date",
        "api_calls",
        "chat_turns",
        "conversations",
        "messages",
        "user_messages",
        "assistant_messages",
        "tokens",
        "unanswered",
        "leads",
        "agent_tests",
        "avg_response_time_ms",
    ]


def test_csv_cells_never_start_a_spreadsheet_formula(client: TestClient, tenant: Tenant) -> None:
    body = {"first_name": "=HYPERLINK(1)", "last_name": "@x", "email": "f@example.com"}
    assert client.post("/api/v1/sdk/lead", json=body, headers=tenant.key_headers).status_code == 201
    (row,) = _rows(_export(client, tenant, type="leads", format="csv"))
    assert row["first_name"] == "'=HYPERLINK(1)" and row["last_name"] == "'@x"


def test_json_export_shape_and_date_range(client: TestClient, tenant: Tenant, activity: dict[str, Any]) -> None:
    response = _export(client, tenant, type="leads", format="json", start_date="2020-01-01", end_date="2099-12-31")
    # a range reaching far into the future is refused (at most 731 days)
    assert response.status_code == 400
    exported = _export(client, tenant, type="leads", format="json").json()
    assert exported["count"] == 2 and len(exported["leads"]) == 2
    metadata = exported["metadata"]
    assert metadata["company_id"] == tenant.company_id and metadata["export_type"] == "leads"
    assert metadata["format"] == "json" and metadata["exported_at"] and metadata["date_range"]["days"] == 30
    old = _export(client, tenant, type="conversations", format="json", start_date="2024-01-01", end_date="2024-12-31")
    assert old.json()["count"] == 0 and old.json()["conversations"] == []
    usage = _export(client, tenant, type="usage", format="json").json()
    assert usage["usage_logs"] == usage["usage"] and usage["count"] == 30
    agents = _export(client, tenant, type="agents", format="json").json()
    assert agents["count"] == 1 and agents["agents"][0]["active_conversations"] == 2


@pytest.mark.parametrize(
    "body",
    [
        {"format": "json"},
        {"type": "documents", "format": "json"},
        {"type": "leads", "format": "xml"},
        {"type": "leads", "format": 3},
        {"type": "leads", "format": "json", "start_date": 20260101},
        {"type": "leads", "format": "json", "start_date": "not a date"},
    ],
)
def test_bad_export_requests_are_400(client: TestClient, tenant: Tenant, body: dict[str, Any]) -> None:
    response = _export(client, tenant, **body)
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "validation_error"


def test_export_body_must_be_a_json_object(client: TestClient, tenant: Tenant) -> None:
    headers = {**tenant.key_headers, "Content-Type": "application/json"}
    assert client.post("/api/v1/analytic/export", content="[1]", headers=headers).status_code == 400
    assert client.post("/api/v1/analytic/export", content="{nope", headers=headers).status_code == 400


def test_scopes(client: TestClient, tenant: Tenant) -> None:
    def key(scopes: list[str]) -> dict[str, str]:
        made = client.post("/api/v1/auth/api-keys", json={"scopes": scopes}, headers=tenant.admin_headers).json()
        return {"X-API-Key": made["api_key"], "X-API-Secret": made["api_secret"]}

    write_only, read_only = key(["write"]), key(["read"])
    lead = client.post(
        "/api/v1/lead/register",
        json={"agent_id": tenant.agent_id, "first_name": "L", "last_name": "T", "email": "lt@example.com"},
    ).json()
    lead_headers = {"Authorization": f"Bearer {lead['access_token']}"}
    export = {"type": "usage", "format": "json"}
    for path in ("/analytic/dashboard", "/analytic/leads", "/analytic/usage", f"/analytic/agent/{tenant.agent_id}"):
        assert client.get(f"/api/v1{path}", headers=write_only).status_code == 403
        assert client.get(f"/api/v1{path}", headers=lead_headers).status_code == 403
        assert client.get(f"/api/v1{path}", headers=read_only).status_code == 200
        assert client.get(f"/api/v1{path}").status_code == 401
    assert client.post("/api/v1/analytic/export", json=export, headers=read_only).status_code == 200
    assert client.post("/api/v1/analytic/export", json=export, headers=write_only).status_code == 403
    # agent test needs read (as Knowrithm documents); clone writes
    test_path, clone_path = f"/api/v1/agent/{tenant.agent_id}/test", f"/api/v1/agent/{tenant.agent_id}/clone"
    assert client.post(test_path, json={}, headers=read_only).status_code == 200
    assert client.post(test_path, json={}, headers=lead_headers).status_code == 403
    assert client.post(clone_path, json={}, headers=read_only).status_code == 403
    assert client.post(clone_path, json={}, headers=write_only).status_code == 201


def _snapshot(services: Services) -> list[dict[str, Any]]:
    """Every item except API keys (their usage counters move on each authenticated call)."""
    raw = services.table.client.scan(TableName=services.table.table_name)["Items"]
    return sorted(
        (i for i in raw if not i["SK"]["S"].startswith("APIKEY#")), key=lambda i: (i["PK"]["S"], i["SK"]["S"])
    )


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/analytic/agent/{agent}", None),
        ("GET", "/api/v1/analytic/agent/{agent}?start_date=2026-01-01", None),
        ("GET", "/api/v1/analytic/conversation/{conversation}", None),
        ("POST", "/api/v1/agent/{agent}/test", {"query": "leak?"}),
        ("POST", "/api/v1/agent/{agent}/clone", {"name": "stolen"}),
        ("POST", "/api/v1/sdk/agent/{agent}/clone", {}),
    ],
)
def test_another_tenants_ids_are_404_and_change_nothing(
    client: TestClient,
    services: Services,
    tenant: Tenant,
    other_tenant: Tenant,
    activity: dict[str, Any],
    method: str,
    path: str,
    body: dict[str, str] | None,
) -> None:
    # GIVEN tenant A's ids and tenant B (an admin: scopes are never the reason for a refusal)
    ids = {"agent": tenant.agent_id, "conversation": activity["conversations"][0]}
    before = _snapshot(services)
    # WHEN B uses A's ids
    response = client.request(method, path.format(**ids), json=body, headers=other_tenant.admin_headers)
    # THEN they look missing, and nothing changed
    assert response.status_code == 404, response.text
    assert response.json()["error_code"] == "not_found"
    assert _snapshot(services) == before


def test_another_tenants_activity_is_never_counted(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, activity: dict[str, Any]
) -> None:
    dashboard = _get(client, other_tenant, "/analytic/dashboard")
    assert dashboard["core_metrics"]["conversation_count"] == 0 and dashboard["core_metrics"]["lead_count"] == 0
    assert _get(client, other_tenant, "/analytic/usage")["api_usage"]["total_api_calls"] == 0
    exported = client.post(
        "/api/v1/analytic/export", json={"type": "leads", "format": "json"}, headers=other_tenant.key_headers
    ).json()
    assert exported["count"] == 0 and exported["metadata"]["company_id"] == other_tenant.company_id


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "00000000-0000-7000-8000-000000000000"])
def test_unknown_ids_are_404(client: TestClient, tenant: Tenant, bad_id: str) -> None:
    for path in (f"/api/v1/analytic/agent/{bad_id}", f"/api/v1/analytic/conversation/{bad_id}"):
        assert client.get(path, headers=tenant.key_headers).status_code == 404


def test_chat_turn_stays_within_four_dynamodb_requests(client: TestClient, services: Services, tenant: Tenant) -> None:
    # GIVEN a conversation, and a caller whose credentials need no look-up (a user's JWT)
    conversation = new_conversation(client, tenant)
    with dynamodb_calls(services) as calls:
        # WHEN one chat turn is answered
        response = client.post(
            f"/api/v1/conversation/{conversation}/chat", json={"message": ANSWERABLE}, headers=tenant.admin_headers
        )
    # THEN the counters rode in the turn's one transaction: at most 4 requests in all
    assert response.status_code == 200
    assert calls.count("TransactWriteItems") == 1 and len(calls) <= 4, calls
    assert _get(client, tenant, f"/analytic/agent/{tenant.agent_id}")["message_metrics"]["total"] == 2


def test_cited_documents_become_the_agents_top_sources(client: TestClient, services: Services, tenant: Tenant) -> None:
    # GIVEN answers citing documents (written by the chat turn's counter operations)
    stamp = "2026-11-20T09:00:00.000Z"
    common = {"created_at": stamp, "updated_at": stamp, "company_id": tenant.company_id, "agent_id": tenant.agent_id}
    common |= {"conversation_id": "c1"}
    user = Message.model_validate({**common, "id": "u1", "role": "user", "content": "q", "tokens_used": 1})

    def answer(*names: str) -> Message:
        sources = [{"source_number": i + 1, "document_name": n, "document_id": f"id-{n}"} for i, n in enumerate(names)]
        body = {"id": "a1", "role": "assistant", "content": "a", "tokens_used": 2, "processing_time": 0.3}
        return Message.model_validate({**common, **body, "sources": sources, "metadata": {"answered": True}})

    for cited in (("faq.md", "prices.pdf"), ("faq.md",), ("faq.md", "faq.md")):
        services.table.transact(chat_turn_ops(user, answer(*cited)))
    # WHEN the agent's analytics for that day are read
    report = _get(client, tenant, f"/analytic/agent/{tenant.agent_id}", start_date="2026-11-20", end_date="2026-11-20")
    # THEN documents are ranked by the answers citing them (a document cited twice in one answer counts once)
    assert report["top_sources"] == [
        {"document_id": "id-faq.md", "document_name": "faq.md", "citations": 3},
        {"document_id": "id-prices.pdf", "document_name": "prices.pdf", "citations": 1},
    ]
    assert report["quality_metrics"]["cited_answers"] == 3
    performance = report["performance_metrics"]
    assert performance["avg_response_time_seconds"] == 0.3
    assert (performance["min_response_time_seconds"], performance["max_response_time_seconds"]) == (0.25, 0.5)


def test_response_time_summary_from_the_histogram() -> None:
    # GIVEN 10 answers: 9 in the 50-100 ms bucket and 1 in the 1-2.5 s bucket (average 0.3 s)
    day = {"rt_count": 10, "rt_sum": 3.0, bucket_attribute(bucket_of(0.07)): 9, bucket_attribute(bucket_of(2.0)): 1}
    summary = response_times([day])
    assert summary["avg_response_time_seconds"] == 0.3
    assert summary["min_response_time_seconds"] == 0.05 and summary["max_response_time_seconds"] == 2.5
    assert summary["p50_response_time_seconds"] == 0.1 and summary["p95_response_time_seconds"] == 2.5
    assert response_times([])["avg_response_time_seconds"] is None


def test_id_bounds_enclose_the_ids_made_in_the_range() -> None:
    low, high = DateRange.parse(None, None).id_bounds()  # the last 30 days, today included
    assert low < new_id() < high
    assert DateRange.parse("2020-01-01", "2020-01-02").id_bounds()[1] < new_id()
