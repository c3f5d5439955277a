"""widget.js as shipped: within its size budget, and free of what a strict CSP or Trusted Types would block."""

from __future__ import annotations

import gzip
import re

from widget_api.assets import SCRIPT_PATH, load_script

BUDGET_GZIP_BYTES = 12 * 1024


def test_widget_js_is_within_the_gzip_budget() -> None:
    raw = SCRIPT_PATH.read_bytes()
    assert len(gzip.compress(raw, 9, mtime=0)) <= BUDGET_GZIP_BYTES


def test_widget_js_never_evaluates_strings_or_writes_html() -> None:
    source = SCRIPT_PATH.read_text(encoding="utf-8")
    for pattern in (
        r"\beval\(",
        r"new Function\(",
        r"\.innerHTML\b",
        r"\.outerHTML\b",
        r"insertAdjacentHTML",
        r"document\.write",
    ):
        assert not re.search(pattern, source), pattern
    assert not re.search(r"setTimeout\(\s*['\"]", source)  # no string timers
    assert "setAttribute('style'" not in source and ".style." not in source  # no inline style attributes


def test_the_etag_follows_the_content() -> None:
    script = load_script()
    assert script.etag == f'W/"{script.version}"' and len(script.version) == 16
    assert script.not_modified(script.etag) and script.not_modified(f'"{script.version}", W/"x"')
    assert not script.not_modified('W/"other"') and not script.not_modified(None)
