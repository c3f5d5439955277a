"""Every SDK method sends the method, path, query and body of its server route."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from knowrithm_py.knowrithm.client import KnowrithmClient
from knowrithm_py.models import LeadCreateRequest, LeadRegisterRequest
from tests.unit.sdk.scripted_server import MakeClient, ScriptedServer

Call = Callable[[KnowrithmClient], Any]
LEAD: LeadCreateRequest = {"first_name": "Ada", "last_name": "L", "email": "ada@example.com", "status": "new"}
VISITOR: LeadRegisterRequest = {"agent_id": "a1", "first_name": "Ada", "last_name": "L", "email": "ada@example.com"}

# (call, method, path below /api/v1, query, JSON body)
ROUTES: list[tuple[Call, str, str, dict[str, list[str]], Any]] = [
    (
        lambda c: c.agents.create_agent({"name": "Bot"}, settings={"llm_provider": "extractive"}),
        "POST",
        "/sdk/agent",
        {},
        {"name": "Bot", "settings": {"llm_provider": "extractive"}},
    ),
    (
        lambda c: c.agents.create_agent({"name": "Bot", "llm_provider_id": "p1"}),
        "POST",
        "/sdk/agent",
        {},
        {"name": "Bot", "llm_provider_id": "p1"},
    ),
    (lambda c: c.agents.list_agents(search="bot"), "GET", "/agent", {"search": ["bot"]}, None),
    (lambda c: c.agents.get_agent("a1"), "GET", "/agent/a1", {}, None),
    (lambda c: c.agents.update_agent("a1", {"description": "d"}), "PUT", "/sdk/agent/a1", {}, {"description": "d"}),
    (lambda c: c.agents.delete_agent("a1"), "DELETE", "/sdk/agent/a1", {}, None),
    (lambda c: c.agents.delete_agent("a1", force=True), "DELETE", "/sdk/agent/a1", {"force": ["true"]}, None),
    (lambda c: c.agents.restore_agent("a1"), "PATCH", "/agent/a1/restore", {}, None),
    (lambda c: c.agents.get_embed_code("a1"), "GET", "/agent/a1/embed-code", {}, None),
    (lambda c: c.agents.get_agent_stats("a1"), "GET", "/agent/a1/stats", {}, None),
    (lambda c: c.providers.list_providers(), "GET", "/providers", {}, None),
    (lambda c: c.providers.list_models("extractive"), "GET", "/providers/extractive/models", {}, None),
    (lambda c: c.providers.list_settings_providers(), "GET", "/settings/providers", {}, None),
    (lambda c: c.conversations.list_conversations(page=1), "GET", "/conversation", {"page": ["1"]}, None),
    (
        lambda c: c.conversations.list_conversations_by_agent("a1", status="active"),
        "GET",
        "/conversation/agent/a1",
        {"status": ["active"]},
        None,
    ),
    (lambda c: c.conversations.get_conversation("c1"), "GET", "/conversation/c1", {}, None),
    (
        lambda c: c.conversations.list_conversation_messages("c1", per_page=100),
        "GET",
        "/conversation/c1/messages",
        {"per_page": ["100"]},
        None,
    ),
    (lambda c: c.conversations.delete_conversation("c1"), "DELETE", "/conversation/c1", {}, None),
    (lambda c: c.conversations.restore_conversation("c1"), "PATCH", "/conversation/c1/restore", {}, None),
    (lambda c: c.conversations.delete_conversation_messages("c1"), "DELETE", "/conversation/c1/messages", {}, None),
    (lambda c: c.conversations.restore_all_messages("c1"), "PATCH", "/conversation/c1/message/restore-all", {}, None),
    (lambda c: c.conversations.list_deleted_conversations(), "GET", "/conversation/deleted", {}, None),
    (lambda c: c.messages.delete_message("m1"), "DELETE", "/message/m1", {}, None),
    (lambda c: c.messages.restore_message("m1"), "PATCH", "/message/m1/restore", {}, None),
    (lambda c: c.messages.list_deleted_messages(), "GET", "/message/deleted", {}, None),
    (lambda c: c.leads.register_lead(VISITOR), "POST", "/lead/register", {}, dict(VISITOR)),
    (lambda c: c.leads.create_lead(LEAD), "POST", "/sdk/lead", {}, dict(LEAD)),
    (lambda c: c.leads.get_lead("l1"), "GET", "/lead/l1", {}, None),
    (lambda c: c.leads.list_company_leads(status="new"), "GET", "/lead/company", {"status": ["new"]}, None),
    (lambda c: c.leads.update_lead("l1", {"status": "contacted"}), "PUT", "/sdk/lead/l1", {}, {"status": "contacted"}),
    (lambda c: c.leads.delete_lead("l1"), "DELETE", "/sdk/lead/l1", {}, None),
    (lambda c: c.auth.login("a@b.co", "pw"), "POST", "/auth/login", {}, {"email": "a@b.co", "password": "pw"}),
    (lambda c: c.auth.validate_credentials(), "GET", "/auth/validate", {}, None),
    (
        lambda c: c.api_keys.create_api_key({"name": "ci", "scopes": ["read"]}),
        "POST",
        "/auth/api-keys",
        {},
        {"name": "ci", "scopes": ["read"]},
    ),
    (lambda c: c.api_keys.delete_api_key("k1"), "DELETE", "/auth/api-keys/k1", {}, None),
    (lambda c: c.companies.get_company(), "GET", "/company", {}, None),
    (lambda c: c.tasks.get_task_status("t1"), "GET", "/tasks/t1/status", {}, None),
]


@pytest.mark.parametrize(("call", "method", "path", "query", "body"), ROUTES, ids=[r[2] + " " + r[1] for r in ROUTES])
def test_method_hits_its_route(
    server: ScriptedServer, make_client: MakeClient, call: Call, method: str, path: str, query: Any, body: Any
) -> None:
    # GIVEN a client of the scripted server
    client = make_client()
    # WHEN the SDK method is called
    call(client)
    # THEN exactly one request went to the route, with its query and body
    (seen,) = server.seen
    assert (seen.method, seen.path) == (method, "/api/v1" + path)
    assert seen.query == query
    assert seen.body == body


def test_ids_are_url_escaped(server: ScriptedServer, make_client: MakeClient) -> None:
    # GIVEN an id containing a slash / WHEN it is used in a path / THEN it cannot reach another route
    make_client().agents.get_agent("a/../b")
    assert server.seen[0].path == "/api/v1/agent/a%2F..%2Fb"
