"""WidgetFunction through its Lambda entry point (payload 2.0 events): widget.js, config, handshake, preflights."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from knowrithm_core.container import Services
from tests.stack import Tenant
from widget_api import handler


class Context:
    function_name = "WidgetFunction"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:WidgetFunction"
    aws_request_id = "req-1"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 5_000


@pytest.fixture(autouse=True)
def fresh_widget(services: Services) -> Iterator[None]:
    handler.public.cache_clear()
    yield
    handler.public.cache_clear()


def invoke(
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: Any = None,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": "&".join(f"{k}={v}" for k, v in (query or {}).items()),
        "headers": {"host": "api.example.com", **(headers or {})},
        "requestContext": {
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "10.0.0.1", "userAgent": "t"},
            "requestId": "abc",
            "routeKey": f"{method} {path}",
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = query
    if body is not None:
        event["body"] = body if isinstance(body, str) else json.dumps(body)
    result: dict[str, Any] = handler.lambda_handler(event, Context())
    return result


def _json(result: dict[str, Any]) -> Any:
    return json.loads(result["body"])


def _allow(client: TestClient, tenant: Tenant, domains: list[str], widget_config: dict[str, Any] | None = None) -> None:
    body: dict[str, Any] = {"allowed_domains": domains, "widget_config": widget_config or {}}
    settings_id = client.get(f"/api/v1/settings/agent/{tenant.agent_id}", headers=tenant.key_headers).json()["id"]
    assert client.put(f"/api/v1/settings/{settings_id}", json=body, headers=tenant.key_headers).status_code == 200


@pytest.mark.parametrize("path", ["/widget.js", "/api/widget.js", "/api/v1/widget.js"])
def test_widget_js_is_served_with_etag_long_cache_and_304(path: str) -> None:
    first = invoke("GET", path)
    assert first["statusCode"] == 200
    assert first["headers"]["Content-Type"].startswith("application/javascript")
    assert "max-age=86400" in first["headers"]["Cache-Control"]
    etag = first["headers"]["ETag"]
    assert etag.startswith('W/"') and "KnowrithmWidget" in first["body"]
    # WHEN the browser revalidates THEN 304 with no body
    again = invoke("GET", path, headers={"if-none-match": etag})
    assert again["statusCode"] == 304 and not again.get("body")
    # AND a stale tag gets the script again; a versioned URL is immutable
    assert invoke("GET", path, headers={"if-none-match": 'W/"old"'})["statusCode"] == 200
    version = etag[3:-1]
    assert "immutable" in invoke("GET", path, query={"v": version})["headers"]["Cache-Control"]


def test_widget_js_is_gzipped_when_the_client_accepts_it() -> None:
    result = invoke("GET", "/widget.js", headers={"accept-encoding": "gzip, br"})
    assert result["isBase64Encoded"] is True and result["headers"]["Content-Encoding"] == "gzip"
    assert b"KnowrithmWidget" in gzip.decompress(base64.b64decode(result["body"]))


def test_config_returns_the_agents_widget_settings(client: TestClient, tenant: Tenant) -> None:
    _allow(client, tenant, [], {"primaryColor": "#112233", "title": "Mugs"})
    result = invoke("GET", f"/api/v1/widget/config/{tenant.agent_id}", headers={"origin": "https://any.example"})
    assert result["statusCode"] == 200
    body = _json(result)
    assert body["widget_config"] == {"primaryColor": "#112233", "title": "Mugs"} and body["available"] is True
    assert body["agent"]["name"] == "acme helper" and body["agent"]["company_id"] == tenant.company_id
    assert "allowed_domains" not in json.dumps(body)  # the list is not published
    assert result["headers"]["Access-Control-Allow-Origin"] == "*"


def test_config_is_404_for_unknown_malformed_and_deleted_agents(client: TestClient, tenant: Tenant) -> None:
    for agent_id in ("0190f1c2-0000-7000-8000-000000000000", "nope"):
        result = invoke("GET", f"/api/v1/widget/config/{agent_id}")
        assert result["statusCode"] == 404 and _json(result)["error_code"] == "not_found"
    assert client.delete(f"/api/v1/agent/{tenant.agent_id}", headers=tenant.key_headers).status_code == 200
    assert invoke("GET", f"/api/v1/widget/config/{tenant.agent_id}")["statusCode"] == 404


def test_config_and_handshake_refuse_origins_outside_the_allowed_domains(client: TestClient, tenant: Tenant) -> None:
    _allow(client, tenant, ["shop.example.com", "*.mugs.example"])
    path = f"/api/v1/widget/config/{tenant.agent_id}"
    assert invoke("GET", path, headers={"origin": "https://shop.example.com"})["statusCode"] == 200
    assert invoke("GET", path, headers={"origin": "https://eu.mugs.example"})["statusCode"] == 200
    refused = invoke("GET", path, headers={"origin": "https://copycat.example"})
    body = _json(refused)
    assert refused["statusCode"] == 403 and body["error_code"] == "origin_not_allowed"
    assert "copycat.example" in body["detail"] and body["error"] == body["message"] == body["detail"]
    assert refused["headers"]["Access-Control-Allow-Origin"] == "*"  # the refused page can read why
    page = {"agent_id": tenant.agent_id, "url": "https://copycat.example/x", "title": "x"}
    assert invoke("POST", "/api/v1/website/handshake", {"origin": "https://copycat.example"}, page)["statusCode"] == 403
    # a Referer is used when there is no Origin
    assert invoke("GET", path, headers={"referer": "https://copycat.example/page"})["statusCode"] == 403


def test_handshake_describes_the_page_with_stable_ids(tenant: Tenant) -> None:
    page = {
        "agent_id": tenant.agent_id,
        "url": "https://shop.example.com/mugs?x=1",
        "title": "Mugs",
        "trigger_crawl": True,
    }
    first = invoke("POST", "/api/v1/website/handshake", {"origin": "https://shop.example.com"}, page)
    assert first["statusCode"] == 200
    body = _json(first)
    assert body["crawl_task_id"] is None
    assert body["website_source"]["base_url"] == "https://shop.example.com"
    assert body["website_page"]["url"] == page["url"] and body["website_page"]["title"] == "Mugs"
    again = _json(invoke("POST", "/api/v1/website/handshake", {"origin": "https://shop.example.com"}, page))
    assert again["website_page"]["id"] == body["website_page"]["id"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("{not json", 400),
        ([1, 2], 400),
        ({"url": "https://a.example"}, 400),
        ({"agent_id": "x", "url": "javascript:alert(1)"}, 400),
        ({"agent_id": 5, "url": "https://a.example"}, 400),
        ({"agent_id": "0190f1c2-0000-7000-8000-000000000000", "url": "https://a.example"}, 404),
    ],
)
def test_bad_handshakes_are_4xx_json(body: Any, status: int) -> None:
    result = invoke("POST", "/api/v1/website/handshake", body=body)
    assert result["statusCode"] == status and "error_code" in _json(result)


def test_preflights_of_the_config_route_are_answered_per_agent(client: TestClient, tenant: Tenant) -> None:
    _allow(client, tenant, ["shop.example.com"])
    path = f"/api/v1/widget/config/{tenant.agent_id}"
    preflight = {"access-control-request-method": "GET", "access-control-request-headers": "content-type"}
    ok = invoke("OPTIONS", path, {**preflight, "origin": "https://shop.example.com"})
    assert ok["statusCode"] == 204 and ok["headers"]["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert ok["headers"]["Vary"] == "Origin"
    refused = invoke("OPTIONS", path, {**preflight, "origin": "https://copycat.example"})
    assert refused["statusCode"] == 204 and "Access-Control-Allow-Origin" not in refused["headers"]
    unknown = invoke("OPTIONS", "/api/v1/widget/config/nope", {**preflight, "origin": "https://shop.example.com"})
    assert "Access-Control-Allow-Origin" not in unknown["headers"]
    # the handshake names its agent in the body: its preflight is open, the POST itself is checked
    open_ = invoke("OPTIONS", "/api/v1/website/handshake", {**preflight, "origin": "https://copycat.example"})
    assert open_["headers"]["Access-Control-Allow-Origin"] == "*"


def test_unknown_routes_are_a_json_404() -> None:
    result = invoke("GET", "/api/v1/widget/nothing")
    assert result["statusCode"] == 404 and _json(result)["error_code"] == "not_found"
