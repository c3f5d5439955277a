"""Allowed domains: entry validation and Origin matching (pure functions)."""

from __future__ import annotations

import pytest

from knowrithm_core.errors import Forbidden
from knowrithm_core.widget.origins import (
    normalize_domain,
    origin_allowed,
    request_origin,
    require_allowed,
    require_bound_origin,
)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("Example.COM", "example.com"),
        ("https://shop.example.com/", "https://shop.example.com"),
        ("*.example.com", "*.example.com"),
        ("127.0.0.1:3001", "127.0.0.1:3001"),
        ("http://localhost:3001", "http://localhost:3001"),
        ("*", "*"),
    ],
)
def test_entries_are_normalised(entry: str, expected: str) -> None:
    assert normalize_domain(entry) == expected


@pytest.mark.parametrize(
    "entry", ["", "example.com/path", "ftp://example.com", "ex*ample.com", "a.*.example.com", "host:99999", "a b"]
)
def test_bad_entries_are_refused(entry: str) -> None:
    with pytest.raises(ValueError):
        normalize_domain(entry)


@pytest.mark.parametrize(
    ("origin", "allowed", "ok"),
    [
        ("https://evil.example", [], True),  # empty list = any origin
        ("https://evil.example", ["*"], True),
        ("https://shop.example.com", ["shop.example.com"], True),
        ("http://shop.example.com:8080", ["shop.example.com"], True),  # no port in the entry = any port
        ("https://shop.example.com", ["https://shop.example.com"], True),
        ("http://shop.example.com", ["https://shop.example.com"], False),  # scheme pinned
        ("https://a.b.example.com", ["*.example.com"], True),
        ("https://example.com", ["*.example.com"], False),  # wildcard = subdomains only
        ("https://notexample.com", ["*.example.com"], False),
        ("https://example.com.evil.io", ["example.com"], False),
        ("http://127.0.0.1:3001", ["127.0.0.1:3001"], True),
        ("http://127.0.0.1:3002", ["127.0.0.1:3001"], False),
        ("https://example.com", ["example.com:443"], True),  # default port
        ("null", ["example.com"], False),  # opaque origins (sandboxed frames, file://)
        ("javascript:alert(1)", ["example.com"], False),
        (None, ["example.com"], True),  # no Origin and no Referer: not a browser cross-site call
    ],
)
def test_origin_matching(origin: str | None, allowed: list[str], ok: bool) -> None:
    assert origin_allowed(origin, allowed) is ok


def test_request_origin_prefers_origin_then_referer() -> None:
    assert request_origin({"origin": "https://a.example"}) == "https://a.example"
    assert request_origin({"referer": "https://b.example/page?x=1"}) == "https://b.example"
    assert request_origin({"referer": "not a url"}) == "null"
    assert request_origin({}) is None


def test_refusals_are_403_with_a_clear_code() -> None:
    with pytest.raises(Forbidden) as refused:
        require_allowed("https://evil.example", ["shop.example.com"])
    assert refused.value.error_code == "origin_not_allowed" and "evil.example" in refused.value.message
    require_allowed("https://shop.example.com", ["shop.example.com"])
    require_bound_origin("https://shop.example.com", "https://SHOP.example.com")
    require_bound_origin("https://shop.example.com", None)
    with pytest.raises(Forbidden):
        require_bound_origin("https://shop.example.com", "https://evil.example")
