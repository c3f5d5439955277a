"""The widget's WebSocket in real headless Chromium against the local stack's WebSocket API (make dev's).

Answers and operator messages arrive over the socket; an idle open widget makes (almost) no HTTP requests. Without
a socket the widget falls back to polling (tests/e2e/test_widget.py, the queued answer through its task).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import boto3
import pytest

from tests.e2e.conftest import PageServer, WidgetStack
from tests.e2e.test_widget import SHADOW, ask, fill_lead_form

pytestmark = pytest.mark.e2e


def socket_frames(page: Any) -> list[str]:
    """Every text frame the page's WebSockets receive, from now on (also proves a socket was opened)."""
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
    return frames


def wait_until(check: Any, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return bool(check())


def open_chat(page: Any, pages: PageServer, widget_stack: WidgetStack, path: str, email: str) -> str:
    """A page with its own agent; the visitor registers and starts a conversation. Returns the agent id."""
    agent = widget_stack.create_agent(f"Realtime {path}", "Shipping takes 3 to 5 business days.")
    page.goto(pages.add(path, agent))
    page.locator(".launcher").click()
    fill_lead_form(page, email=email)
    return agent


def conversation_id(page: Any, agent: str) -> str:
    return str(page.evaluate("(k) => JSON.parse(localStorage.getItem(k)).conversationId", f"knowrithm-widget::{agent}"))


def put_items(widget_stack: WidgetStack, *items: dict[str, Any]) -> None:
    """Write items straight into the stack's table (what the handoff API stores), so its stream pushes them."""
    client = boto3.resource("dynamodb", endpoint_url=widget_stack.aws_endpoint_url, region_name="us-east-1")
    names = [t.name for t in client.tables.all() if "AppTable" in t.name]
    table = client.Table(names[0])
    for item in items:
        table.put_item(Item=item)


def test_a_queued_answer_arrives_over_the_socket_without_polling(
    page: Any, widget_stack: WidgetStack, pages: PageServer
) -> None:
    # GIVEN a widget whose answers are queued (as a slow model's would be) and whose socket is open
    assert widget_stack.websocket_url.startswith("ws://127.0.0.1:")
    frames = socket_frames(page)
    polled: list[str] = []
    page.route(
        "**/conversation/*/chat", lambda r: r.continue_(headers={**r.request.headers, "prefer": "respond-async"})
    )
    page.on("request", lambda r: polled.append(r.url) if "/tasks/" in r.url or "/messages" in r.url else None)
    open_chat(page, pages, widget_stack, "/rt-queued", "rt-queued@example.com")
    page.wait_for_timeout(300)  # the socket opens right after the conversation starts
    # WHEN the visitor asks
    answer = ask(page, "How long does shipping take?")
    # THEN the answer came over the socket (a pushed frame carries it) and nothing was polled
    assert "3 to 5 business days" in answer
    assert any('"type":"message"' in f and "3 to 5 business days" in f for f in frames), frames
    assert polled == []
    assert page.evaluate("window.__errors") == [] and page.evaluate("window.__csp") == []


def test_an_idle_open_widget_makes_at_most_two_http_requests_in_10_seconds(
    page: Any, widget_stack: WidgetStack, pages: PageServer
) -> None:
    # GIVEN an open widget with a conversation and its socket
    frames = socket_frames(page)
    open_chat(page, pages, widget_stack, "/rt-idle", "rt-idle@example.com")
    assert "How long" not in str(frames)
    page.wait_for_timeout(500)
    # WHEN nobody does anything for 10 seconds
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.wait_for_timeout(10_000)
    # THEN the widget made at most 2 HTTP requests (it makes none while the socket is up)
    assert len(requests) <= 2, requests


def test_an_operator_message_and_handoff_notice_are_pushed_into_the_open_widget(
    page: Any, widget_stack: WidgetStack, pages: PageServer
) -> None:
    # GIVEN an open widget in a conversation
    agent = open_chat(page, pages, widget_stack, "/rt-operator", "rt-operator@example.com")
    conversation = conversation_id(page, agent)
    page.wait_for_timeout(300)
    # WHEN a person takes over and writes (the items the handoff API stores; their stream records are pushed)
    pk = f"COMPANY#{widget_stack.company_id}#CONV#{conversation}"
    message_id, event_id = str(uuid.uuid4()), str(uuid.uuid4())
    started = time.monotonic()
    put_items(
        widget_stack,
        {
            "PK": f"COMPANY#{widget_stack.company_id}#EVENTS",
            "SK": f"EVENT#{event_id}",
            "_type": "event",
            "id": event_id,
            "event": "conversation.handoff",
            "company_id": widget_stack.company_id,
            "data": {"conversation": {"id": conversation}, "assignee": {"name": "Maya", "email": "maya@x.example"}},
        },
        {
            "PK": pk,
            "SK": f"MSG#{message_id}",
            "id": message_id,
            "company_id": widget_stack.company_id,
            "conversation_id": conversation,
            "agent_id": agent,
            "role": "operator",
            "content": "Hi, Maya here <b>from support</b>.",
            "author": {"name": "Maya"},
            "created_at": "2026-12-04T18:00:00.000Z",
        },
    )
    log = page.locator(".log")
    # THEN within 2 seconds, without a reload, the notice and the message show, with the operator's name
    page.wait_for_function(
        f"() => document.querySelector('{SHADOW}').shadowRoot.querySelector('.log').innerText.includes('Maya here')",
        timeout=2_000,
    )
    assert time.monotonic() - started < 2.0
    assert "Maya joined the conversation" in log.inner_text()
    bubble = page.locator(".msg.assistant").last
    assert bubble.locator(".who").inner_text() == "Maya"
    assert "<b>from support</b>" in bubble.inner_text() and bubble.locator("b").count() == 0  # text, never HTML
    assert "maya@x.example" not in log.inner_text()
