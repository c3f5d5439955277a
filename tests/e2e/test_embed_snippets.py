"""Every embed snippet of ``GET /agent/{id}/embed-code``, pasted as is into a page on another origin, gives a
widget that opens and answers (under the pages' strict Content-Security-Policy)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.conftest import PageServer, WidgetStack
from tests.e2e.test_widget import ask, fill_lead_form

pytestmark = pytest.mark.e2e


def _paste(pages: PageServer, path: str, snippet: str) -> str:
    """A page whose body ends with ``snippet`` exactly as the API returned it."""
    pages.pages[path] = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Pasted snippet</title></head>'
        f"<body><main><h1>Pasted snippet</h1><p>Some page content.</p></main>\n{snippet}\n</body></html>"
    )
    return pages.origin + path


@pytest.mark.parametrize("variant", ["simple", "advanced", "script"])
def test_a_pasted_embed_snippet_opens_and_answers(
    page: Any, widget_stack: WidgetStack, pages: PageServer, variant: str
) -> None:
    # GIVEN an agent with saved widget options, and its embed code from the API
    agent = widget_stack.create_agent(
        f"Snippet helper {variant}",
        "We sell tea. Orders ship within 2 days.",
        widget_config={"title": "Tea help", "primaryColor": "#0f766e", "position": "bottom-left"},
    )
    embed = httpx.get(f"{widget_stack.origin}/api/v1/agent/{agent}/embed-code", headers=widget_stack.key_headers)
    assert embed.status_code == 200, embed.text
    snippet = str(embed.json()[variant])
    # WHEN it is pasted into a page on another origin
    page.goto(_paste(pages, f"/embed-{variant}", snippet))
    launcher = page.locator(".launcher")
    launcher.wait_for()
    # THEN the widget opens with the saved title, and answers a visitor's question
    launcher.click()
    assert page.locator("#kw-title").inner_text() == "Tea help"
    fill_lead_form(page, email=f"{variant}@example.com")
    assert "2 days" in ask(page, "How fast do orders ship?")
    # AND nothing was blocked by the page's policy, and no script failed
    assert page.evaluate("window.__csp") == [] and page.evaluate("window.__errors") == []
