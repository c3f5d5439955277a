"""Retries of the SDK transport against a real loopback server: which failures are retried, how long it waits."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from knowrithm_py._transport import Transport, parse_retry_after
from knowrithm_py.errors import KnowrithmAPIError
from tests.unit.sdk.scripted_server import MakeClient, Reply, ScriptedServer, error_body

AGENTS = "/api/v1/agent"
CHAT = "/api/v1/conversation/c1/chat"
ANSWER = {"status": "completed", "history": [{"assistant_response": "hi"}]}


class CountingTransport(httpx.HTTPTransport):
    """The real network transport, counting attempts (for failures the server never sees)."""

    def __init__(self) -> None:
        super().__init__()
        self.attempts = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        return super().handle_request(request)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_get_is_retried_after_a_connection_reset(server: ScriptedServer, make_client: MakeClient) -> None:
    # GIVEN a server that resets the first connection, then answers
    server.script("GET", AGENTS, Reply(reset=True), Reply(200, {"agents": [], "total": 0}))
    # WHEN the SDK lists agents
    result = make_client().agents.list_agents()
    # THEN the GET was sent again and the second answer returned
    assert result == {"agents": [], "total": 0}
    assert len(server.requests_to("GET", AGENTS)) == 2


def test_post_is_not_retried_after_a_connection_reset(server: ScriptedServer, make_client: MakeClient) -> None:
    # GIVEN a chat endpoint that resets the connection after reading the request
    server.script("POST", CHAT, Reply(reset=True), Reply(200, ANSWER))
    # WHEN a message is sent
    with pytest.raises(KnowrithmAPIError) as caught:
        make_client().messages.send_message("c1", "hello")
    # THEN it fails once, as a network error, rather than risk a duplicate message
    assert caught.value.status_code is None
    assert caught.value.error_code == "network_error"
    assert len(server.requests_to("POST", CHAT)) == 1


def test_connect_errors_are_retried_for_every_method(make_client: MakeClient) -> None:
    # GIVEN nothing listening on the port
    counting = CountingTransport()
    client = make_client(base_url=f"http://127.0.0.1:{closed_port()}/api", transport=counting, max_retries=2)
    # WHEN a POST is attempted
    with pytest.raises(KnowrithmAPIError) as caught:
        client.messages.send_message("c1", "hello")
    # THEN it was tried 1 + max_retries times (never sent, so safe) and reported without a status
    assert counting.attempts == 3
    assert caught.value.status_code is None
    assert "after 3 attempts" in caught.value.message


def test_get_is_retried_on_503_until_it_succeeds(server: ScriptedServer, make_client: MakeClient) -> None:
    # GIVEN two 503s, then an answer
    unavailable = Reply(503, error_body(503, "service_unavailable", "busy"))
    server.script("GET", AGENTS, unavailable, unavailable, Reply(200, {"agents": []}))
    # WHEN the SDK lists agents
    result = make_client().agents.list_agents()
    # THEN the third attempt's answer is returned
    assert result == {"agents": []}
    assert len(server.requests_to("GET", AGENTS)) == 3


def test_retries_stop_after_max_retries(server: ScriptedServer, make_client: MakeClient) -> None:
    # GIVEN a gateway that always fails
    server.script("GET", AGENTS, Reply(502, "upstream down"))
    # WHEN the SDK lists agents with two retries allowed
    with pytest.raises(KnowrithmAPIError) as caught:
        make_client(max_retries=2).agents.list_agents()
    # THEN three attempts were made and the last status is reported
    assert len(server.requests_to("GET", AGENTS)) == 3
    assert caught.value.status_code == 502


def test_post_is_not_retried_on_500(server: ScriptedServer, make_client: MakeClient) -> None:
    # GIVEN a chat endpoint failing with 500 once
    server.script(
        "POST", CHAT, Reply(500, error_body(500, "internal_error", "Internal server error.")), Reply(200, ANSWER)
    )
    # WHEN a message is sent
    with pytest.raises(KnowrithmAPIError) as caught:
        make_client().messages.send_message("c1", "hello")
    # THEN the 500 is raised after one attempt (the message may have been stored)
    assert caught.value.status_code == 500
    assert caught.value.error_code == "internal_error"
    assert len(server.requests_to("POST", CHAT)) == 1


def test_post_is_retried_on_503_with_retry_after(server: ScriptedServer, make_client: MakeClient) -> None:
    # GIVEN a 503 that says when to come back (so the request was not processed)
    server.script("POST", CHAT, Reply(503, error_body(503, "x", "later"), {"Retry-After": "0"}), Reply(200, ANSWER))
    # WHEN a message is sent
    result = make_client().messages.send_message("c1", "hello")
    # THEN the POST was repeated once and answered
    assert result["history"][-1]["assistant_response"] == "hi"
    assert len(server.requests_to("POST", CHAT)) == 2


def test_429_waits_for_retry_after_then_retries_a_post(server: ScriptedServer, make_client: MakeClient) -> None:
    # GIVEN a rate limit asking for a one second wait
    server.script("POST", CHAT, Reply(429, error_body(429, "rate_limited", "slow down"), {"Retry-After": "1"}))
    server.script("POST", CHAT, Reply(200, ANSWER))
    # WHEN a message is sent
    started = time.monotonic()
    result = make_client(backoff=0.0).messages.send_message("c1", "hello")
    # THEN the second attempt came at least one second after the first, and succeeded
    first, second = server.requests_to("POST", CHAT)
    assert second.at - first.at >= 0.95
    assert time.monotonic() - started >= 0.95
    assert result["status"] == "completed"


def test_retry_after_is_capped(server: ScriptedServer, make_client: MakeClient) -> None:
    # GIVEN a rate limit asking for an hour, and a client capping waits at 0.2 s
    server.script("GET", AGENTS, Reply(429, error_body(429, "rate_limited", "x"), {"Retry-After": "3600"}))
    server.script("GET", AGENTS, Reply(200, {"agents": []}))
    # WHEN agents are listed
    started = time.monotonic()
    make_client(retry_after_cap=0.2).agents.list_agents()
    # THEN the client waited the cap, not the hour
    assert 0.19 <= time.monotonic() - started < 5


def test_429_after_the_last_retry_carries_retry_after(server: ScriptedServer, make_client: MakeClient) -> None:
    # GIVEN a rate limit that never lifts
    server.script("GET", AGENTS, Reply(429, error_body(429, "rate_limited", "slow down"), {"Retry-After": "0"}))
    # WHEN agents are listed with no retries
    with pytest.raises(KnowrithmAPIError) as caught:
        make_client(max_retries=0).agents.list_agents()
    # THEN the error says when to retry
    assert (caught.value.status_code, caught.value.error_code, caught.value.retry_after) == (429, "rate_limited", 0.0)


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    # GIVEN Retry-After values in both formats and some bad ones
    in_ten = format_datetime(datetime.now(UTC) + timedelta(seconds=10), usegmt=True)
    past = format_datetime(datetime.now(UTC) - timedelta(seconds=10), usegmt=True)
    # WHEN they are parsed / THEN dates become seconds from now, bad values None
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after("1.5") == 1.5
    assert 8.0 <= (parse_retry_after(in_ten) or 0) <= 10.0
    assert parse_retry_after(past) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_backoff_is_full_jitter_and_bounded() -> None:
    # GIVEN a transport with a 0.5 s base and a 2 s cap
    transport = Transport("http://127.0.0.1:1", {}, timeout=1, max_retries=3, backoff=0.5, max_backoff=2.0)
    # WHEN delays are drawn for successive retries
    delays = {n: [transport.backoff_delay(n) for _ in range(200)] for n in range(5)}
    transport.close()
    # THEN each lies in [0, min(cap, base * 2**n)] and they vary (jitter)
    for n, values in delays.items():
        assert all(0 <= v <= min(2.0, 0.5 * 2**n) for v in values)
        assert len(set(values)) > 100
