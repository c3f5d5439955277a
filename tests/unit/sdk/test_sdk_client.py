"""The SDK client: base URL, credentials, error mapping and body handling, over a real loopback server."""

from __future__ import annotations

import pytest

from knowrithm_py.errors import KnowrithmAPIError
from knowrithm_py.knowrithm.client import DEFAULT_BASE_URL, KnowrithmClient
from tests.unit.sdk.scripted_server import MakeClient, Reply, ScriptedServer, error_body

HEALTH = "/api/v1/health"


def test_base_url_comes_from_the_environment(server: ScriptedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN KNOWRITHM_BASE_URL pointing at the server and no base_url argument
    monkeypatch.setenv("KNOWRITHM_BASE_URL", server.base_url)
    server.script("GET", HEALTH, Reply(200, {"status": "healthy", "database": "connected"}))
    # WHEN the client checks health
    with KnowrithmClient(api_key="ak", api_secret="as") as client:
        health = client.health.health_check()
    # THEN the request went to $KNOWRITHM_BASE_URL + /v1/health
    assert health["status"] == "healthy"
    assert client.base_url == server.base_url
    assert len(server.requests_to("GET", HEALTH)) == 1


def test_base_url_argument_wins_then_default(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN an environment variable
    monkeypatch.setenv("KNOWRITHM_BASE_URL", "http://env.example/api")
    # WHEN a base_url is passed / THEN it wins, and a trailing /v1 is dropped (added per request)
    assert KnowrithmClient(base_url="http://arg.example/api/v1/").base_url == "http://arg.example/api"
    assert KnowrithmClient().base_url == "http://env.example/api"
    # WHEN the variable is unset / THEN the public service is the default
    monkeypatch.delenv("KNOWRITHM_BASE_URL")
    assert KnowrithmClient().base_url == DEFAULT_BASE_URL == "https://app.knowrithm.org/api"


def test_api_key_and_secret_are_sent(server: ScriptedServer, make_client: MakeClient) -> None:
    # GIVEN a client with a key and a secret
    client = make_client(api_key="ak_123", api_secret="as_456")
    # WHEN it calls the API
    client.agents.list_agents(page=2, per_page=5, status="active")
    # THEN both headers (and no Authorization) were sent, with the query
    (seen,) = server.requests_to("GET", "/api/v1/agent")
    assert (seen.headers["X-API-Key"], seen.headers["X-API-Secret"]) == ("ak_123", "as_456")
    assert "Authorization" not in seen.headers
    assert seen.query == {"page": ["2"], "per_page": ["5"], "status": ["active"]}


def test_bearer_token_is_sent_and_can_change(server: ScriptedServer, make_client: MakeClient) -> None:
    # GIVEN a client with only a bearer token
    client = make_client(api_key=None, api_secret=None, bearer_token="jwt-1")
    # WHEN it calls the API, then switches token, then drops it
    client.api_keys.list_api_keys()
    client.bearer_token = "jwt-2"
    client.api_keys.list_api_keys()
    client.bearer_token = None
    client.api_keys.list_api_keys()
    # THEN each call carried the token current at the time, and never the key headers
    calls = server.requests_to("GET", "/api/v1/auth/api-keys")
    assert [c.headers.get("Authorization") for c in calls] == ["Bearer jwt-1", "Bearer jwt-2", None]
    assert all("X-API-Key" not in c.headers for c in calls)


def test_key_and_bearer_together_and_per_call_override(server: ScriptedServer, make_client: MakeClient) -> None:
    # GIVEN a client with a key pair and a bearer token
    client = make_client(bearer_token="access-jwt")
    # WHEN it refreshes (the refresh token must be the Bearer) and reads the user
    client.auth.refresh_access_token("refresh-jwt")
    client.auth.get_current_user()
    # THEN the refresh call overrode the Bearer; the other sent the client's token plus the key headers
    (refresh,) = server.requests_to("POST", "/api/v1/auth/refresh")
    (me,) = server.requests_to("GET", "/api/v1/auth/user/me")
    assert refresh.headers["Authorization"] == "Bearer refresh-jwt"
    assert me.headers["Authorization"] == "Bearer access-jwt"
    assert me.headers["X-API-Key"] == "ak_test"


def test_error_maps_status_code_and_message(server: ScriptedServer, make_client: MakeClient) -> None:
    # GIVEN a 404 in the server's error shape, with a request id
    body = error_body(404, "not_found", "Agent not found.")
    server.script("GET", "/api/v1/agent/a1", Reply(404, body, {"X-Knowrithm-Request-Id": "req-1"}))
    # WHEN the agent is fetched
    with pytest.raises(KnowrithmAPIError) as caught:
        make_client().agents.get_agent("a1")
    # THEN the error carries status, code, message, body and request id
    error = caught.value
    assert (error.status_code, error.error_code, error.message) == (404, "not_found", "Agent not found.")
    assert error.response_data == body
    assert error.request_id == "req-1"
    assert str(error) == "KnowrithmAPIError(status=404, code=not_found): Agent not found."


def test_error_message_falls_back_through_detail_message_error(server: ScriptedServer, make_client: MakeClient) -> None:
    # GIVEN errors carrying only "message", only "error" (with "code"), or nothing usable
    server.script("POST", "/api/v1/sdk/lead", Reply(403, {"message": "Not allowed"}))
    server.script("POST", "/api/v1/lead/register", Reply(400, {"error": "Bad email", "code": "AUTH_001"}))
    server.script("POST", "/api/v1/company", Reply(409, {"success": False}))
    client = make_client()
    # WHEN each is called / THEN the message is picked in the order detail, message, error, "HTTP n"
    with pytest.raises(KnowrithmAPIError) as forbidden:
        client.leads.create_lead({"first_name": "A", "last_name": "B", "email": "a@b.co"})
    with pytest.raises(KnowrithmAPIError) as invalid:
        client.leads.register_lead({"agent_id": "x", "first_name": "A", "last_name": "B", "email": "bad"})
    with pytest.raises(KnowrithmAPIError) as conflict:
        client.companies.create_company({"name": "A", "email": "a@b.co"})
    assert (forbidden.value.message, forbidden.value.error_code) == ("Not allowed", None)
    assert (invalid.value.message, invalid.value.error_code) == ("Bad email", "AUTH_001")
    assert (conflict.value.status_code, conflict.value.message) == (409, "HTTP 409")


def test_non_json_error_body_is_kept_as_text(server: ScriptedServer, make_client: MakeClient) -> None:
    # GIVEN a proxy answering a POST with an HTML 502 page
    server.script("POST", "/api/v1/conversation", Reply(502, "<html>Bad Gateway</html>"))
    # WHEN a conversation is created
    with pytest.raises(KnowrithmAPIError) as caught:
        make_client().conversations.create_conversation("agent-1")
    # THEN the text is the message and the response data; the POST was not retried
    assert caught.value.status_code == 502
    assert caught.value.message == caught.value.response_data == "<html>Bad Gateway</html>"
    assert len(server.requests_to("POST", "/api/v1/conversation")) == 1


def test_create_conversation_returns_the_conversation_itself(server: ScriptedServer, make_client: MakeClient) -> None:
    # GIVEN the server's create answer (the object under "conversation", plus top-level ids)
    conversation = {"id": "c1", "agent_id": "a1", "title": "Support"}
    answer = {"message": "ok", "id": "c1", "conversation_id": "c1", "conversation": conversation}
    server.script("POST", "/api/v1/conversation", Reply(201, answer))
    # WHEN a conversation is created with a title
    created = make_client().conversations.create_conversation("a1", title="Support", max_context_length=2000)
    # THEN the object itself is returned and only the given fields were sent
    assert created == conversation
    assert created["id"] == "c1"
    (seen,) = server.requests_to("POST", "/api/v1/conversation")
    assert seen.body == {"agent_id": "a1", "title": "Support", "max_context_length": 2000}


def test_empty_and_text_success_bodies(server: ScriptedServer, make_client: MakeClient) -> None:
    # GIVEN a 204 and a plain-text 200
    server.script("DELETE", "/api/v1/message/m1", Reply(204, None))
    server.script("GET", "/api/v1/widget.js", Reply(200, "console.log(1)"))
    client = make_client()
    # WHEN they are called / THEN empty becomes {"success": True} and text stays text
    assert dict(client.messages.delete_message("m1")) == {"success": True}
    assert client.request("GET", "/widget.js") == "console.log(1)"


def test_context_manager_closes_the_http_client(server: ScriptedServer) -> None:
    # GIVEN a client used as a context manager
    with KnowrithmClient("ak", "as", server.base_url) as client:
        client.health.health_check()
    # WHEN the block has ended / THEN further calls fail instead of leaking connections
    with pytest.raises(RuntimeError):
        client.health.health_check()
