"""README.md's relative links point at files that exist (the docs site's own links are checked by
``mkdocs build --strict``)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def relative_links(markdown: str) -> list[str]:
    """Link targets that are neither absolute URLs nor in-page anchors, outside code blocks."""
    prose = re.sub(r"^```.*?^```", "", markdown, flags=re.MULTILINE | re.DOTALL)
    targets = [match.group(1) for match in LINK.finditer(prose)]
    return [target for target in targets if not re.match(r"^([a-z][a-z0-9+.-]*:|#)", target)]


def test_the_link_finder_skips_urls_anchors_and_code() -> None:
    # GIVEN Markdown with a relative link, a URL, an anchor and a link inside a code block
    text = "[a](docs/a.md#x) [b](https://example.com) [c](#top)\n```text\n[d](missing.md)\n```\n"
    # WHEN its relative links are collected THEN only the relative one is
    assert relative_links(text) == ["docs/a.md#x"]


def test_every_relative_link_of_the_readme_resolves() -> None:
    # GIVEN the README
    links = relative_links((ROOT / "README.md").read_text(encoding="utf-8"))
    # WHEN each relative link is resolved against the repository root
    missing = [link for link in links if not (ROOT / link.split("#", 1)[0]).exists()]
    # THEN it links into the docs and every target exists
    assert any(link.startswith("docs/") for link in links)
    assert missing == []
