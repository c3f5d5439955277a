"""The widget in real headless Chromium: one script tag on another origin, under a strict CSP."""

from __future__ import annotations

import gzip
import json
import re
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ARTIFACTS, PageServer, WidgetStack

pytestmark = pytest.mark.e2e
SHADOW = "[data-knowrithm-widget]"


def events(page: Any) -> list[str]:
    return [e["name"] for e in page.evaluate("window.__events")]


def event_detail(page: Any, name: str) -> dict[str, Any]:
    found = [e["detail"] for e in page.evaluate("window.__events") if e["name"] == name]
    assert found, f"no knowrithm:{name} event; got {events(page)}"
    detail: dict[str, Any] = found[-1]
    return detail


def shadow_active(page: Any) -> str:
    """A description of the focused element inside the widget's shadow root ('' if focus is elsewhere)."""
    return str(
        page.evaluate(
            """() => { const h = document.querySelector('[data-knowrithm-widget]');
            const a = h && h.shadowRoot.activeElement; return a ? (a.className || a.name || a.tagName) : ''; }"""
        )
    )


def fill_lead_form(page: Any, first: str = "Vera", email: str = "vera@example.com") -> None:
    page.locator("input[name=first_name]").fill(first)
    page.locator("input[name=last_name]").fill("Visitor")
    page.locator("input[name=email]").fill(email)
    page.locator(".lead button[type=submit]").click()
    page.locator(".composer").wait_for(state="visible")


def ask(page: Any, question: str) -> str:
    count = page.locator(".msg.assistant").count()
    page.locator("textarea").fill(question)
    page.locator("textarea").press("Enter")
    page.wait_for_function(
        f"""() => document.querySelector('{SHADOW}').shadowRoot.querySelectorAll('.msg.assistant').length > {count}"""
    )
    return str(page.locator(".msg.assistant").last.inner_text())


def axe_violations(page: Any) -> list[str]:
    """axe-core's violations on the page (the widget's open shadow root included), one line per node."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']}: {node['target']} {node.get('failureSummary', '')}"
        for v in results.response["violations"]
        for node in v["nodes"]
    ]


def test_visitor_on_the_demo_page_gets_an_answer_and_resumes_after_reload(page: Any, widget_stack: WidgetStack) -> None:
    # GIVEN the demo page of `make dev` (another origin, strict CSP, only the script tag)
    page.goto(widget_stack.demo_url)
    launcher = page.locator(".launcher")
    launcher.wait_for()
    assert launcher.get_attribute("aria-label") == "Open chat with Harbour Lane Support"
    assert "ready" in events(page)
    # WHEN the visitor opens the widget, fills the lead form and asks a question
    launcher.click()
    assert page.locator("[role=dialog]").is_visible() and shadow_active(page) == "first_name"
    page.screenshot(path=str(ARTIFACTS / "demo-lead-form.png"))
    assert axe_violations(page) == []  # the open widget, lead form showing
    fill_lead_form(page)
    answer = ask(page, "When are you open on Sunday?")
    # THEN the demo agent's answer appears, and every event fired
    assert "Sunday 11am to 4pm" in answer
    assert {"ready", "widget.opened", "conversation.started", "message.received"} <= set(events(page))
    conversation_id = event_detail(page, "conversation.started")["conversationId"]
    assert event_detail(page, "message.received")["message"]["content"] in answer
    assert page.evaluate("window.__csp") == [] and page.evaluate("window.__errors") == []
    assert axe_violations(page) == []  # the open widget, chatting
    page.screenshot(path=str(ARTIFACTS / "demo-answer.png"))
    # AND lead.registered and conversation.started are in the outbox
    outbox = widget_stack.outbox_events()
    assert {"lead.registered", "conversation.started"} <= {e["event"] for e in outbox}
    assert any(e["event"] == "conversation.started" and e["data"]["id"]["S"] == conversation_id for e in outbox)
    # WHEN the page reloads THEN the conversation resumes from localStorage, without the form
    page.reload()
    page.locator(".launcher").click()
    page.locator(".composer").wait_for(state="visible")
    assert page.locator(".lead").is_hidden()
    assert "When are you open on Sunday?" in page.locator(".log").inner_text()
    assert "Saturday 9am to 6pm" in ask(page, "What are your opening hours on Saturday?")
    page.screenshot(path=str(ARTIFACTS / "demo-resumed.png"))
    assert "conversation.started" not in events(page)  # resumed, not started again


def test_data_attributes_override_the_server_settings(page: Any, widget_stack: WidgetStack, pages: PageServer) -> None:
    # GIVEN server settings and a tag whose attributes override some of them
    agent = widget_stack.create_agent(
        "Mug helper",
        "We sell mugs.",
        widget_config={"primaryColor": "#00ff00", "title": "Server title", "theme": "light", "zIndex": 5},
    )
    url = pages.add(
        "/attributes",
        agent,
        'data-color="#ff0000" data-position="top-left" data-title="Mug Helper" data-z-index="12345" '
        'data-theme="dark" data-button-text="Chat with us" data-show-branding="false"',
    )
    page.goto(url)
    launcher = page.locator(".launcher")
    launcher.wait_for()
    # THEN colour, position, z-index, button text, title, theme and branding follow the attributes
    style = page.evaluate(
        """() => { const host = document.querySelector('[data-knowrithm-widget]');
        const b = host.shadowRoot.querySelector('.launcher');
        return {z: getComputedStyle(host).zIndex, bg: getComputedStyle(b).backgroundColor,
                box: b.getBoundingClientRect().toJSON()}; }"""
    )
    assert style["z"] == "12345" and style["bg"] == "rgb(255, 0, 0)"
    assert style["box"]["x"] < 40 and style["box"]["y"] < 40  # top-left
    assert launcher.inner_text().strip() == "Chat with us"
    launcher.click()
    assert page.locator("#kw-title").inner_text() == "Mug Helper"
    assert page.locator(".brand").count() == 0
    panel_bg = page.evaluate(
        "() => getComputedStyle(document.querySelector('[data-knowrithm-widget]')"
        ".shadowRoot.querySelector('.panel')).backgroundColor"
    )
    assert panel_bg == "rgb(17, 24, 39)"  # dark theme
    assert axe_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "attributes.png"))


def test_javascript_api_keyboard_and_focus(page: Any, widget_stack: WidgetStack, pages: PageServer) -> None:
    agent = widget_stack.create_agent("Keyboard helper", "We answer questions about keyboards.")
    page.goto(pages.add("/api", agent))
    page.locator(".launcher").wait_for()
    # WHEN a page button has focus and the page calls KnowrithmWidget.open()
    page.locator("#page-button").focus()
    page.evaluate("window.KnowrithmWidget.open()")
    # THEN the dialog is open, labelled, and focus moved into it
    dialog = page.locator("[role=dialog]")
    assert dialog.is_visible() and dialog.get_attribute("aria-labelledby") == "kw-title"
    assert page.locator(".launcher").get_attribute("aria-expanded") == "true"
    assert shadow_active(page) == "first_name"
    assert page.locator("[role=log]").count() == 1
    # AND Escape closes it and gives focus back to the page button
    page.keyboard.press("Escape")
    assert dialog.is_hidden()
    assert page.evaluate("document.activeElement.id") == "page-button"
    # AND Tab leaves the open widget and reaches the page again (no keyboard trap)
    page.locator(".launcher").click()
    left = False
    for _ in range(15):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "page-button":
            left = True
            break
    assert left and dialog.is_visible()
    page.evaluate("window.KnowrithmWidget.toggle()")
    assert dialog.is_hidden() and shadow_active(page) == "launcher"
    page.evaluate("window.KnowrithmWidget.toggle()")
    assert dialog.is_visible()
    page.evaluate("window.KnowrithmWidget.close()")
    assert events(page).count("widget.opened") == 3 and events(page).count("widget.closed") == 3


def test_auto_open_after_a_delay_and_metadata_updates(page: Any, widget_stack: WidgetStack, pages: PageServer) -> None:
    agent = widget_stack.create_agent("Auto helper", "Shipping takes 3 days.")
    page.goto(pages.add("/auto", agent, 'data-auto-open="true" data-initial-delay="300"'))
    page.locator("[role=dialog]").wait_for(state="visible")
    assert events(page)[-1] == "widget.opened"
    # WHEN metadata is set before and after the conversation starts
    queued = page.evaluate("window.KnowrithmWidget.updateMetadata({plan: 'free', cart: 2})")
    assert queued["queued"] is True
    fill_lead_form(page, email="meta@example.com")
    merged = page.evaluate("window.KnowrithmWidget.updateMetadata({plan: 'pro'})")
    # THEN the server merged both into the conversation's metadata
    assert merged["plan"] == "pro" and merged["cart"] == 2 and merged["source"] == "widget"
    conversation_id = event_detail(page, "conversation.started")["conversationId"]
    stored = httpx.get(
        f"{widget_stack.origin}/api/v1/conversation/{conversation_id}", headers=widget_stack.key_headers
    ).json()["conversation"]["metadata"]
    assert stored["plan"] == "pro" and stored["cart"] == 2 and stored["page_url"].endswith("/auto")


def test_a_page_on_a_disallowed_origin_is_refused_and_gets_no_chat(
    page: Any, widget_stack: WidgetStack, pages: PageServer
) -> None:
    # GIVEN the demo agent, whose allowed domains are only the demo page's origin, on another site
    requests: list[str] = []
    page.on("request", lambda r: requests.append(f"{r.method} {r.url}"))
    page.goto(pages.add("/copycat", widget_stack.agent_id))
    page.wait_for_function("() => window.__events.some((e) => e.name === 'error')")
    # THEN the widget reports the refusal and renders nothing
    refusal = event_detail(page, "error")
    assert refusal["status"] == 403 and "not enabled on" in refusal["message"]
    assert page.locator(".launcher").count() == 0
    # AND no lead was registered and no chat was attempted; a direct attempt from this page is refused too
    assert not [r for r in requests if "/lead/register" in r or "/chat" in r or "/conversation" in r]
    direct = page.evaluate(
        """async ([api, agentId]) => { const r = await fetch(api + '/api/v1/lead/register', {method: 'POST',
        headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({agent_id: agentId, first_name: 'A', last_name: 'B', email: 'a@b.example'})});
        return {status: r.status, body: await r.json()}; }""",
        [widget_stack.origin, widget_stack.agent_id],
    )
    assert direct["status"] == 403 and direct["body"]["error_code"] == "origin_not_allowed"


def test_hostile_content_stays_inert(page: Any, widget_stack: WidgetStack, pages: PageServer) -> None:
    # GIVEN an agent whose knowledge holds markup, and a visitor whose name is markup
    agent = widget_stack.create_agent(
        "Hostile helper",
        "The discount code is <img src=x onerror=\"window.__pwned='img'\"> today. "
        "The coupon word is <script>window.__pwned='script'</script> for members. "
        "Our sale page is https://mugs.example/sale and javascript:alert(1) is not a link.",
    )
    page.goto(pages.add("/hostile", agent))
    page.locator(".launcher").click()
    fill_lead_form(page, first="<img src=x onerror=\"window.__pwned='name'\">", email="hostile@example.com")
    answer = ask(page, "What is the discount code and the coupon word?")
    answer += ask(page, "Where is the sale page?")
    # THEN the markup is shown as text, never run, and only http(s) URLs became links
    assert "<img src=x onerror" in answer and "<script>" in answer
    log = page.locator(".log")
    assert "Thanks, <img src=x" in log.inner_text()
    assert log.locator("img, script").count() == 0
    assert page.evaluate("window.__pwned") is None
    links = log.locator("a")
    assert links.count() >= 1
    for index in range(links.count()):
        assert re.match(r"^https?://", links.nth(index).get_attribute("href") or "")
        assert links.nth(index).get_attribute("rel") == "noopener noreferrer nofollow"


def test_an_expired_or_bad_token_re_registers_silently(page: Any, widget_stack: WidgetStack, pages: PageServer) -> None:
    agent = widget_stack.create_agent("Token helper", "Returns are accepted within 30 days.")
    page.goto(pages.add("/token", agent))
    page.locator(".launcher").click()
    fill_lead_form(page, email="token@example.com")
    # WHEN the stored lead token stops working (expired, or the signing key rotated)
    key = f"knowrithm-widget::{agent}"
    page.evaluate(
        "(k) => { const s = JSON.parse(localStorage.getItem(k)); s.accessToken = 'bad.token.value'; "
        "localStorage.setItem(k, JSON.stringify(s)); }",
        key,
    )
    page.reload()
    page.locator(".launcher").click()
    # THEN the widget re-registered silently, resumed and keeps chatting with the same lead
    page.locator(".composer").wait_for(state="visible")
    assert "30 days" in ask(page, "Can I return a mug?")
    stored = json.loads(page.evaluate("(k) => localStorage.getItem(k)", key))
    assert stored["accessToken"] != "bad.token.value"


def test_a_queued_answer_reaches_the_visitor_through_its_task(
    page: Any, widget_stack: WidgetStack, pages: PageServer
) -> None:
    # GIVEN a widget whose chat requests ask the server to answer asynchronously (as a slow model would), and
    # whose WebSocket is cut at once (with one, the answer is pushed: tests/e2e/test_widget_realtime.py)
    page.route_web_socket(re.compile(".*"), lambda ws: ws.close())
    agent = widget_stack.create_agent("Queue helper", "Shipping takes 3 to 5 business days.")
    chats: list[int] = []
    polled: list[str] = []

    def prefer_async(route: Any) -> None:
        route.continue_(headers={**route.request.headers, "prefer": "respond-async"})

    page.route("**/conversation/*/chat", prefer_async)
    page.on("response", lambda r: chats.append(r.status) if r.url.endswith("/chat") else None)
    page.on("response", lambda r: polled.append(r.url) if "/tasks/" in r.url else None)
    page.goto(pages.add("/queued", agent))
    page.locator(".launcher").click()
    fill_lead_form(page, email="queued@example.com")
    # WHEN the visitor asks and the server answers 202 with a task (ChatWorkerFunction answers from the queue)
    answer = ask(page, "How long does shipping take?")
    # THEN the widget polled the task and shows the answer, with no errors
    assert chats == [202]
    assert polled and all(url.endswith("/status") for url in polled)
    assert "3 to 5 business days" in answer
    assert page.evaluate("window.__errors") == [] and page.evaluate("window.__csp") == []


def test_widget_js_is_small_cached_and_gzipped(widget_stack: WidgetStack) -> None:
    response = httpx.get(f"{widget_stack.origin}/widget.js", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.headers["content-encoding"] == "gzip"
    assert response.headers["content-type"].startswith("application/javascript")
    assert len(gzip.compress(response.content, 9)) <= 12 * 1024
    again = httpx.get(f"{widget_stack.origin}/api/widget.js", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304
