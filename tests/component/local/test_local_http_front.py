"""The HTTP front over real sockets: routing, the payload 2.0 event, responses, errors and CORS."""

from __future__ import annotations

import base64
import errno
import json
import logging
import socket
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from local.__main__ import StartupError, check_port
from local.invoker import Invoker
from local.routes import Route, find_route
from local.server import Gateway, start_server
from local.template import Stack, functions
from tests.component.local.conftest import Handlers

TEMPLATE = """
Api:
  Type: AWS::Serverless::HttpApi
  Properties:
    CorsConfiguration:
      AllowOrigins: [http://allowed.example]
      AllowHeaders: [Content-Type, X-API-Key]
      AllowMethods: [GET, POST]
      ExposeHeaders: [X-Request-Id]
      MaxAge: 300
Echo:
  Type: AWS::Serverless::Function
  Properties:
    CodeUri: {code}
    Handler: {module}.echo
    MemorySize: 256
    Timeout: 7
    Events:
      Item: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: "/items/{id}", Method: GET}}
      Files: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: "/files/{proxy+}", Method: ANY}}
      Post: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /echo, Method: POST}}
Special:
  Type: AWS::Serverless::Function
  Properties:
    CodeUri: {code}
    Handler: {module}.special
    Events:
      Special: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /items/special, Method: GET}}
Oddities:
  Type: AWS::Serverless::Function
  Properties:
    CodeUri: {code}
    Handler: {module}.binary
    Events:
      Binary: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /binary, Method: GET}}
Bare:
  Type: AWS::Serverless::Function
  Properties:
    CodeUri: {code}
    Handler: {module}.bare
    Events: {E: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /bare}}}
Malformed:
  Type: AWS::Serverless::Function
  Properties:
    CodeUri: {code}
    Handler: {module}.malformed
    Events: {E: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /malformed, Method: GET}}}
Boom:
  Type: AWS::Serverless::Function
  Properties:
    CodeUri: {code}
    Handler: {module}.boom
    Events: {E: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /boom, Method: GET}}}
"""


@pytest.fixture
def gateway(make_stack: Callable[[str], Stack], handlers: Handlers) -> Gateway:
    stack = make_stack(TEMPLATE)
    specs = functions(stack)
    return Gateway(stack, specs, Invoker(stack, specs))


@pytest.fixture
def http(gateway: Gateway) -> Iterator[httpx.Client]:
    server = start_server(gateway, port=0)
    with httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=10) as client:
        yield client
    server.shutdown()
    server.server_close()


def echoed(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    facts: dict[str, Any] = response.json()
    return facts


def test_the_most_specific_route_wins_and_path_parameters_are_filled(http: httpx.Client) -> None:
    # GIVEN /items/special, /items/{id} and /files/{proxy+}
    # WHEN each is requested / THEN the literal route beats the parameter, and the greedy one takes the rest
    assert http.get("/items/special").text == "special"
    item = echoed(http.get("/items/42"))["event"]
    assert (item["routeKey"], item["pathParameters"]) == ("GET /items/{id}", {"id": "42"})
    files = echoed(http.delete("/files/a/b%20c.txt"))["event"]
    assert files["pathParameters"] == {"proxy": "a/b c.txt"}
    assert files["rawPath"] == "/files/a/b%20c.txt"


def test_the_event_is_an_http_api_payload_2_0(http: httpx.Client) -> None:
    # GIVEN a request with a query string, repeated parameters, cookies and mixed-case headers
    response = http.get(
        "/items/7?q=tea&tag=a&tag=b&empty=",
        headers={"X-Custom-Header": "Yes", "Cookie": "session=abc; theme=dark", "User-Agent": "tests/1.0"},
    )
    facts = echoed(response)
    event = facts["event"]
    # THEN the event carries what API Gateway would put there
    assert event["version"] == "2.0" and event["rawQueryString"] == "q=tea&tag=a&tag=b&empty="
    assert event["queryStringParameters"] == {"q": "tea", "tag": "a,b", "empty": ""}
    assert event["cookies"] == ["session=abc", "theme=dark"]
    assert event["headers"]["x-custom-header"] == "Yes" and "cookie" not in event["headers"]
    assert event["headers"]["x-forwarded-proto"] == "http"
    context = event["requestContext"]
    assert context["http"] == {
        "method": "GET",
        "path": "/items/7",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "tests/1.0",
    }
    assert context["stage"] == "$default" and context["routeKey"] == "GET /items/{id}"
    assert context["requestId"] and context["timeEpoch"] > 0 and context["accountId"] and context["apiId"]
    assert context["domainName"] == response.request.headers["host"]
    assert event["isBase64Encoded"] is False and "body" not in event
    # AND the context is Lambda-like: name, memory, ARN and the remaining time from the function's Timeout
    assert facts["function_name"] == "t-Echo" and facts["memory"] == 256
    assert facts["arn"].endswith(":function:t-Echo")
    assert 0 < facts["remaining_ms"] <= 7000


def test_text_bodies_stay_text_and_binary_bodies_are_base64(http: httpx.Client) -> None:
    text = echoed(http.post("/echo", json={"message": "héllo"}))["event"]
    assert (text["body"], text["isBase64Encoded"]) == ('{"message":"héllo"}', False)
    raw = b"\x00\xffbinary"
    binary = echoed(http.post("/echo", content=raw, headers={"Content-Type": "application/octet-stream"}))["event"]
    assert binary["isBase64Encoded"] is True and base64.b64decode(binary["body"]) == raw


def test_the_result_becomes_the_response(http: httpx.Client) -> None:
    # GIVEN handlers returning cookies, a base64 body, and the inferred (bare JSON) format
    echo = http.get("/items/1")
    # THEN the status, headers and every cookie come through; binary bodies are decoded
    assert echo.status_code == 201 and echo.headers["content-type"] == "application/json"
    assert echo.headers.get_list("set-cookie") == ["a=1", "b=2; Path=/"]
    binary = http.get("/binary")
    assert binary.content == b"\x89PNG\x00\xff" and binary.headers["content-type"] == "image/png"
    bare = http.get("/bare")
    assert (bare.status_code, bare.json()) == (200, {"hello": "world"})


def test_no_route_is_a_404_with_the_error_keys(http: httpx.Client) -> None:
    for response in (http.get("/nowhere"), http.post("/items/1"), http.get("/files")):
        assert response.status_code == 404
        body = response.json()
        assert {"detail", "error", "message", "error_code"} <= body.keys()
        assert body["error_code"] == "not_found"


def test_handler_errors_are_502_without_a_trace(http: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    # GIVEN a handler that raises and one that returns a malformed result
    with caplog.at_level(logging.ERROR, logger="local.http"):
        boom = http.get("/boom")
        malformed = http.get("/malformed")
    # THEN both are API Gateway's 502 JSON, and the detail is only in the log
    for response in (boom, malformed):
        assert response.status_code == 502
        assert response.json()["message"] == "Internal Server Error"
        assert "secret internal detail" not in response.text and "Traceback" not in response.text
    assert "secret internal detail" in caplog.text


def test_preflights_are_answered_from_the_cors_configuration(http: httpx.Client) -> None:
    # GIVEN an allowed origin asking for an allowed method and headers
    ok = http.options(
        "/echo",
        headers={
            "Origin": "http://allowed.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-api-key",
        },
    )
    # THEN API Gateway answers 204 itself, with the configured CORS headers
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == "http://allowed.example"
    assert ok.headers["access-control-allow-methods"] == "GET,POST"
    assert ok.headers["access-control-allow-headers"] == "content-type,x-api-key"
    assert ok.headers["access-control-max-age"] == "300"
    # AND an unknown origin or a method outside the list gets no CORS headers
    denied = [
        http.options("/echo", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}),
        http.options("/echo", headers={"Origin": "http://allowed.example", "Access-Control-Request-Method": "PUT"}),
    ]
    for response in denied:
        assert response.status_code == 204 and "access-control-allow-origin" not in response.headers


def test_simple_requests_get_the_apis_cors_headers_not_the_handlers(http: httpx.Client) -> None:
    # GIVEN a handler that sets its own (wrong) Access-Control-Allow-Origin
    response = http.get("/items/1", headers={"Origin": "http://allowed.example"})
    # THEN API Gateway's CORS configuration replaces it
    assert response.headers["access-control-allow-origin"] == "http://allowed.example"
    assert response.headers["access-control-expose-headers"] == "X-Request-Id"
    assert "access-control-allow-origin" not in http.get("/items/1").headers


def test_route_ranking_prefers_exact_method_and_literal_segments() -> None:
    routes = sorted(
        [
            Route("Any", "ANY", "/a/{x}", "Api"),
            Route("Get", "GET", "/a/{x}", "Api"),
            Route("Greedy", "ANY", "/a/{proxy+}", "Api"),
            Route("Default", "ANY", "$default", "Api"),
        ],
        key=Route.rank,
    )

    def chosen(method: str, *segments: str) -> str:
        found = find_route(routes, method, list(segments))
        return found[0].function if found else "none"

    assert find_route(routes, "GET", ["a", "1"]) == (routes[0], {"x": "1"})
    assert chosen("GET", "a", "1") == "Get"
    assert chosen("POST", "a", "1") == "Any"
    assert chosen("POST", "a", "1", "2") == "Greedy"
    assert chosen("GET", "b") == "Default"


def test_route_precedence_follows_api_gateway() -> None:
    # GIVEN the routes of API Gateway's own example plus the overlaps the API functions rely on
    routes = sorted(
        [
            Route("Catchall", "ANY", "/{proxy+}", "Api"),
            Route("Pets", "GET", "/pets/{proxy+}", "Api"),
            Route("DogById", "GET", "/pets/dog/{id}", "Api"),
            Route("Dog1", "GET", "/pets/dog/1", "Api"),
            Route("ApiRest", "ANY", "/api/v1/{proxy+}", "Api"),
            Route("Agent", "ANY", "/api/v1/agent/{proxy+}", "Api"),
            Route("AgentTest", "ANY", "/api/v1/agent/{agent_id}/test", "Api"),
            Route("LeftLiteral", "GET", "/x/a/{v}", "Api"),
            Route("RightLiteral", "GET", "/x/{v}/b", "Api"),
        ],
        key=Route.rank,
    )

    def chosen(method: str, path: str) -> str:
        found = find_route(routes, method, [s for s in path.split("/") if s])
        return found[0].function if found else "none"

    # THEN a full match beats a path variable, which beats a greedy one; a method mismatch falls through
    assert chosen("GET", "/pets/dog/1") == "Dog1"
    assert chosen("GET", "/pets/dog/2") == "DogById"
    assert chosen("GET", "/pets/cat/1") == "Pets"
    assert chosen("POST", "/pets/dog/1") == "Catchall"
    # AND the longest greedy prefix wins, a {param} route beats any greedy one, and a greedy one needs a segment
    assert chosen("POST", "/api/v1/agent/a1/test") == "AgentTest"
    assert chosen("GET", "/api/v1/agent/a1") == "Agent"
    assert chosen("GET", "/api/v1/agent") == "ApiRest"
    assert chosen("GET", "/api/v1/nothing/here") == "ApiRest"
    # AND between equally specific routes, the literal further left wins
    assert chosen("GET", "/x/a/b") == "LeftLiteral"


def raw(client: httpx.Client, request: bytes) -> tuple[str, dict[str, str], bytes]:
    """Send bytes as they are on a new connection; the status line, headers and body of the answer."""
    with socket.create_connection(("127.0.0.1", client.base_url.port or 80), timeout=10) as connection:
        connection.sendall(request)
        data = b""
        while chunk := connection.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    return status, {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}, body


def test_unknown_and_unsupported_methods_are_a_405_json_error(http: httpx.Client) -> None:
    # GIVEN routes for GET /items/{id} and ANY /files/{proxy+}
    # WHEN methods API Gateway does not route are sent, to routed and unrouted paths
    answers = [http.request(method, path) for method in ("TRACE", "FOO") for path in ("/items/1", "/files/a", "/x")]
    status, headers, body = raw(http, b"CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    # THEN each is a 405 with the error keys and an Allow header (no handler ran: the echo handler answers 201)
    for response in answers:
        assert response.status_code == 405, response.text
        assert response.json()["error_code"] == "method_not_allowed"
        assert {"detail", "error", "message", "error_code"} <= response.json().keys()
        assert "GET" in response.headers["allow"] and "TRACE" not in response.headers["allow"]
    assert answers[0].headers["allow"] == "GET"
    assert status.split()[1] == "405" and headers["content-type"] == "application/json"
    assert json.loads(body)["error_code"] == "method_not_allowed"


@pytest.mark.parametrize(
    ("request_bytes", "status", "code"),
    [
        (b"GARBAGE\r\n\r\n", 400, "bad_request"),
        (b"GET /items/1 HTTP/1.1 extra\r\n\r\n", 400, "bad_request"),
        (b"GET /items/1 HTTP/9.9\r\n\r\n", 505, "http_version_not_supported"),
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414, "request_uri_too_long"),
    ],
)
def test_malformed_requests_get_a_json_error_and_a_closed_connection(
    http: httpx.Client, request_bytes: bytes, status: int, code: str
) -> None:
    # WHEN a request line or header the server cannot parse arrives
    line, headers, body = raw(http, request_bytes)
    # THEN the answer is an HTTP/1.1 JSON error with the error keys, and the server closes the connection
    assert line.startswith("HTTP/1.1 ") and int(line.split()[1]) == status
    assert headers["content-type"] == "application/json" and headers["connection"] == "close"
    error = json.loads(body)
    assert error["error_code"] == code and {"detail", "error", "message"} <= error.keys()


def test_the_port_of_a_stopped_front_is_free_again_at_once(gateway: Gateway) -> None:
    # GIVEN a front that answered a request (the server closed first: its side of the connection is in TIME-WAIT)
    server = start_server(gateway, port=0)
    port = server.port
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        status, _, _ = raw(client, b"GET /items/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")  # read to EOF
    assert status.split()[1] == "201"
    with pytest.raises(StartupError):
        check_port("PORT", port)  # taken while it listens
    server.shutdown()
    server.server_close()
    with socket.socket() as plain, pytest.raises(OSError) as taken:
        plain.bind(("127.0.0.1", port))  # a bind without SO_REUSEADDR still sees the TIME-WAIT socket
    assert taken.value.errno == errno.EADDRINUSE
    # WHEN the stack starts again on the same port
    check_port("PORT", port)
    again = start_server(gateway, port=port)
    # THEN it serves at once
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            assert client.get("/items/1").status_code == 201
    finally:
        again.shutdown()
        again.server_close()
