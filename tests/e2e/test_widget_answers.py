"""Answers in the widget, in real headless Chromium: safe Markdown, citations linked to a source list, typing."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ARTIFACTS, PageServer, WidgetStack
from tests.e2e.test_widget import SHADOW, ask, axe_violations, fill_lead_form

pytestmark = pytest.mark.e2e

RETURNS = (
    "Zanzibar store returns. Returns are accepted within **47 days** of purchase at the Zanzibar store.\n"
    "Refunds for returns go back to the original card within 5 business days."
)
SHIPPING = (
    "Zanzibar shipping. Orders from the Zanzibar store ship with *tracked* courier delivery.\n"
    "Courier delivery takes 3 business days within Zanzibar."
)
HOSTILE = (
    "The pinecone coupon is <img src=x onerror=\"window.__pwned='img'\"> this week.\n"
    "Pinecone coupon terms are at [terms](javascript:window.__pwned='md') and javascript:alert(1) for members.\n"
    "Pinecone coupon help is at [help](https://mugs.example/help) or [mail](mailto:help@mugs.example)."
)


def upload(stack: WidgetStack, agent_id: str, name: str, text: str) -> str:
    """Upload ``text`` as a document of ``agent_id`` and wait until the ingest function has indexed it."""
    api = f"{stack.origin}/api/v1"
    files = {"files": (name, text.encode(), "text/plain")}
    response = httpx.post(
        f"{api}/document/upload", data={"agent_id": agent_id}, files=files, headers=stack.key_headers, timeout=10
    )
    assert response.status_code == 200, response.text
    document_id = str(response.json()["documents"][0]["id"])
    deadline, status = time.monotonic() + 30, "pending"
    while status not in {"completed", "failed"} and time.monotonic() < deadline:
        time.sleep(0.2)
        got = httpx.get(f"{api}/document/{document_id}", headers=stack.key_headers, timeout=10)
        status = got.json()["document"]["status"]
    assert status == "completed"
    return document_id


def last_answer(page: Any) -> dict[str, Any]:
    """The last assistant bubble: its text, its citation links and its numbered source list."""
    result: dict[str, Any] = page.evaluate(
        f"""() => {{
        const root = document.querySelector('{SHADOW}').shadowRoot;
        const bubbles = root.querySelectorAll('.msg.assistant');
        const b = bubbles[bubbles.length - 1];
        const sources = [...b.querySelectorAll('ol.sources > li')];
        return {{
          text: b.innerText,
          strong: [...b.querySelectorAll('strong')].map((e) => e.textContent),
          em: [...b.querySelectorAll('em')].map((e) => e.textContent),
          cites: [...b.querySelectorAll('sup > a')].map((a) => ({{
            text: a.textContent, target: a.getAttribute('href').slice(1),
            entry: (root.getElementById(a.getAttribute('href').slice(1)) || {{}}).textContent || null }})),
          sources: sources.map((li) => ({{ id: li.id, value: li.value, text: li.textContent }})),
          links: [...b.querySelectorAll('a:not(sup a)')].map((a) => ({{ href: a.getAttribute('href'),
            rel: a.getAttribute('rel'), target: a.getAttribute('target'), text: a.textContent }})),
          elements: [...b.querySelectorAll('*')].map((e) => e.tagName.toLowerCase()),
          cited: [...b.querySelectorAll('p')].flatMap((p) => {{ const out = []; let said = '';
            for (const n of p.childNodes) {{ if (n.tagName === 'SUP') {{ out.push(said); said = ''; }}
              else said += n.textContent; }} return out; }}),
        }}; }}"""
    )
    return result


def test_a_cited_answer_links_its_superscripts_to_the_named_sources(
    page: Any, widget_stack: WidgetStack, pages: PageServer
) -> None:
    # GIVEN an agent with two documents, one with **bold** and one with *italic* text
    agent = widget_stack.create_agent("Zanzibar helper", "We help with the Zanzibar store.")
    upload(widget_stack, agent, "zanzibar-returns.txt", RETURNS)
    upload(widget_stack, agent, "zanzibar-shipping.txt", SHIPPING)
    page.goto(pages.add("/cited", agent))
    page.locator(".launcher").click()
    fill_lead_form(page, email="cited@example.com")
    # WHEN the visitor asks a question both documents answer
    ask(page, "How many days do I have for returns, and how long does courier delivery take?")
    answer = last_answer(page)
    # THEN the Markdown renders as elements and the [Source n] markers became superscript links
    assert "**" not in answer["text"] and "[Source" not in answer["text"], answer["text"]
    assert answer["strong"] == ["47 days"] and answer["em"] == ["tracked"]
    names = {s["value"]: s["text"] for s in answer["sources"]}
    assert sorted(names.values()) == ["zanzibar-returns.txt", "zanzibar-shipping.txt"]
    assert [c["text"] for c in answer["cites"]] == ["1", "2"]
    # AND each superscript points to the list entry of the document it cites
    for cite, said in zip(answer["cites"], answer["cited"], strict=True):
        assert cite["entry"] == names[int(cite["text"])]
        expected = "zanzibar-returns.txt" if "47 days" in said else "zanzibar-shipping.txt"
        assert cite["entry"] == expected, said
    # WHEN the visitor follows a citation THEN its source entry gets focus and the page URL is unchanged
    url = page.url
    page.locator("sup a").first.click()
    focused = page.evaluate(f"() => document.querySelector('{SHADOW}').shadowRoot.activeElement.id")
    assert focused == answer["cites"][0]["target"] and page.url == url
    assert axe_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "answers-cited.png"))


def test_markdown_lists_and_code_render_as_elements(page: Any, widget_stack: WidgetStack, pages: PageServer) -> None:
    # GIVEN an answer in the Markdown a Bedrock model writes (the real chat response, with its content
    # replaced in the browser: the extractive responder joins sentences and so never writes lists)
    agent = widget_stack.create_agent("List helper", "We sell mugs.")
    content = (
        "Our mugs:\n\n- **Blue** mug\n- *Red* mug\n\nTo order:\n1. Pick a mug\n2. Pay with `card`\n\n"
        "```\nlet x = '<b>not bold</b>';\n```\nSee https://mugs.example/order\nfor details."
    )

    def markdown_answer(route: Any) -> None:
        response = route.fetch()
        body = response.json()
        body["assistant_message"]["content"] = content
        route.fulfill(response=response, body=json.dumps(body))

    page.route("**/conversation/*/chat", markdown_answer)
    page.goto(pages.add("/markdown", agent))
    page.locator(".launcher").click()
    fill_lead_form(page, email="markdown@example.com")
    ask(page, "Which mugs do you sell?")
    answer = last_answer(page)
    # THEN lists, emphasis, code and the line break render as elements, the code's markup as text
    bubble = page.locator(".msg.assistant").last
    assert bubble.locator("ul > li").all_inner_texts() == ["Blue mug", "Red mug"]
    assert bubble.locator("ol > li").all_inner_texts() == ["Pick a mug", "Pay with card"]
    assert answer["strong"] == ["Blue"] and answer["em"] == ["Red"]
    assert bubble.locator("pre > code").inner_text() == "let x = '<b>not bold</b>';"
    assert bubble.locator("p br").count() == 1 and "b" not in answer["elements"]
    assert answer["links"] == [
        {
            "href": "https://mugs.example/order",
            "rel": "noopener noreferrer nofollow",
            "target": "_blank",
            "text": "https://mugs.example/order",
        }
    ]
    assert axe_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "answers-markdown.png"))


def test_a_hostile_answer_renders_as_text(page: Any, widget_stack: WidgetStack, pages: PageServer) -> None:
    # GIVEN a document holding markup, a javascript: Markdown link, a bare javascript: URL and safe links
    agent = widget_stack.create_agent("Pinecone helper", "We sell pinecones.")
    upload(widget_stack, agent, "pinecone-coupons.txt", HOSTILE)
    page.goto(pages.add("/hostile-answer", agent))
    page.locator(".launcher").click()
    fill_lead_form(page, email="pinecone@example.com")
    # WHEN the visitor asks, and the answer quotes the document
    ask(page, "What is the pinecone coupon this week?")
    first = last_answer(page)
    ask(page, "Where are the pinecone coupon terms and the coupon help?")
    answer = last_answer(page)
    # THEN the markup and the javascript: link are shown as text, and nothing ran
    assert "<img src=x onerror=\"window.__pwned='img'\">" in first["text"], first["text"]
    assert "img" not in first["elements"] and "script" not in first["elements"]
    assert "[terms](javascript:window.__pwned='md')" in answer["text"]
    assert "img" not in answer["elements"] and "script" not in answer["elements"]
    assert page.evaluate("window.__pwned") is None and page.evaluate("window.__errors") == []
    # AND only the https and mailto links became links, opened in a new tab without access to the page
    assert [(link["href"], link["text"]) for link in answer["links"]] == [
        ("https://mugs.example/help", "help"),
        ("mailto:help@mugs.example", "mail"),
    ]
    assert all(link["rel"] == "noopener noreferrer nofollow" and link["target"] == "_blank" for link in answer["links"])
    page.locator(".msg.assistant a[href^='mailto']").evaluate("(a) => a.click()")  # a click runs nothing either
    assert page.evaluate("window.__pwned") is None


def test_a_typing_indicator_shows_while_the_answer_is_on_its_way(
    page: Any, widget_stack: WidgetStack, pages: PageServer
) -> None:
    # GIVEN a chat request held back until the test has looked at the log
    agent = widget_stack.create_agent("Slow helper", "Shipping takes 3 days.")
    held: list[Any] = []
    page.route("**/conversation/*/chat", lambda route: held.append(route))
    page.goto(pages.add("/typing", agent))
    page.locator(".launcher").click()
    fill_lead_form(page, email="typing@example.com")
    page.locator("textarea").fill("How long does shipping take?")
    page.locator("textarea").press("Enter")
    # WHEN the answer has not arrived THEN three dots show, announced politely, and they move
    typing = page.locator(".typing")
    typing.wait_for(state="visible")
    assert typing.get_attribute("aria-live") == "polite" and typing.get_attribute("role") == "status"
    assert typing.locator("i").count() == 3 and "is typing" in typing.inner_text()
    animation = "(e) => getComputedStyle(e).animationName"
    assert typing.locator("i").first.evaluate(animation) == "kwd"
    page.emulate_media(reduced_motion="reduce")
    assert typing.locator("i").first.evaluate(animation) == "none"  # still, for visitors who ask for less motion
    page.screenshot(path=str(ARTIFACTS / "answers-typing.png"))
    # AND once the answer arrives, the indicator is gone
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(20)
    held[0].continue_()
    page.locator(".msg.assistant").last.wait_for()
    typing.wait_for(state="detached")
    assert "3 days" in page.locator(".msg.assistant").last.inner_text()
