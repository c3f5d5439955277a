"""Human handoff seen from the open widget in headless Chromium (issue 13 item 5): the operator's reply is pushed
within 2 s without a reload, the bot stays silent while a person has the conversation, and answers after release."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import PageServer, WidgetStack
from tests.e2e.test_widget_realtime import conversation_id, open_chat

pytestmark = pytest.mark.e2e
LOG_TEXT = "() => document.querySelector('[data-knowrithm-widget]').shadowRoot.querySelector('.log').innerText"


def post(widget_stack: WidgetStack, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    url = f"{widget_stack.origin}/api/v1{path}"
    response = httpx.post(url, json=body or {}, headers=widget_stack.key_headers, timeout=10)
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


def visible_within(page: Any, text: str, seconds: float) -> float:
    """Seconds until ``text`` is in the widget's log (fails after ``seconds``)."""
    started = time.monotonic()
    page.wait_for_function(f"() => ({LOG_TEXT})().includes({text!r})", timeout=seconds * 1000)
    return time.monotonic() - started


def send(page: Any, text: str) -> None:
    page.locator("textarea").fill(text)
    page.locator("textarea").press("Enter")


def test_handoff_reply_silence_and_release_in_the_open_widget(
    page: Any, widget_stack: WidgetStack, pages: PageServer
) -> None:
    # GIVEN a visitor chatting in the open widget (its socket up)
    agent = open_chat(page, pages, widget_stack, "/handoff", "handoff@example.com")
    conversation = conversation_id(page, agent)
    page.wait_for_timeout(300)
    # WHEN a person takes the conversation over and replies through the API
    maya = {"name": "Maya", "email": "maya@shop.example"}
    post(widget_stack, f"/conversation/{conversation}/handoff", {"reason": "billing", "assignee": maya})
    assert visible_within(page, "Maya joined the conversation", 2.0) < 2.0
    sent = time.monotonic()
    reply = {"message": "Hi, Maya here. Let me check.", "author": {"name": "Maya"}}
    post(widget_stack, f"/conversation/{conversation}/reply", reply)
    # THEN the reply shows within 2 seconds, without a reload, under the operator's name
    visible_within(page, "Hi, Maya here.", 2.0)
    assert time.monotonic() - sent < 2.0
    bubble = page.locator(".msg.assistant").last
    assert bubble.locator(".who").inner_text() == "Maya"
    assert "maya@shop.example" not in page.locator(".log").inner_text()
    # WHEN the visitor writes while the person has the conversation
    answers_before = page.locator(".msg.assistant").count()
    send(page, "When are you open on Sunday?")
    page.wait_for_function(f"() => ({LOG_TEXT})().includes('When are you open on Sunday?')")
    page.wait_for_timeout(1_500)
    # THEN the bot does not answer (no new bubble, no typing indicator left, no error)
    assert page.locator(".msg.assistant").count() == answers_before
    assert "is typing" not in page.locator(".log").inner_text()
    assert page.locator(".composer .error, [role=alert]").all_inner_texts() in ([], ["", ""], [""])
    # WHEN the person releases the conversation
    post(widget_stack, f"/conversation/{conversation}/release")
    visible_within(page, "Maya left the conversation", 2.0)
    # THEN the bot answers again
    count = page.locator(".msg.assistant").count()
    send(page, "How long does shipping take?")
    bubbles = "document.querySelector('[data-knowrithm-widget]').shadowRoot.querySelectorAll('.msg.assistant')"
    page.wait_for_function(f"() => {bubbles}.length > {count}")
    assert "3 to 5 business days" in page.locator(".msg.assistant").last.inner_text()
    # AND after a reload the conversation, the operator's message included, is restored
    page.reload()
    page.locator(".launcher").click()
    page.locator(".composer").wait_for(state="visible")
    restored = page.locator(".log").inner_text()
    assert "Hi, Maya here." in restored and "3 to 5 business days" in restored
    # AND a person who took over before a reload is named when they leave after it
    post(widget_stack, f"/conversation/{conversation}/handoff", {"assignee": maya})
    post(widget_stack, f"/conversation/{conversation}/reply", {"message": "Maya again.", "author": {"name": "Maya"}})
    visible_within(page, "Maya again.", 2.0)
    page.reload()
    page.locator(".launcher").click()
    page.locator(".composer").wait_for(state="visible")
    page.wait_for_function(f"() => ({LOG_TEXT})().includes('Maya again.')")
    page.wait_for_timeout(500)  # the socket reconnects
    post(widget_stack, f"/conversation/{conversation}/release")
    visible_within(page, "Maya left the conversation", 3.0)
    assert page.evaluate("window.__errors") == [] and page.evaluate("window.__csp") == []
