"""The website crawler against a real site on 127.0.0.1: robots.txt, sitemap, links, limits, the SSRF guard."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from knowrithm_core.knowledge.crawl import Crawler, CrawlPlan, path_allowed
from knowrithm_core.knowledge.fetch import PinnedFetcher
from tests.site_server import LocalSite, serve_site


@pytest.fixture
def site() -> Iterator[LocalSite]:
    with serve_site() as running:
        yield running


def crawl(site: LocalSite, **limits: int) -> tuple[Crawler, CrawlPlan]:
    crawler = Crawler(PinnedFetcher(), local_mode=True, timeout=5, max_bytes=1024 * 1024)
    return crawler, CrawlPlan(base_url=site.url("/"), **limits)  # type: ignore[arg-type]


def test_a_crawl_follows_links_and_the_sitemap_and_respects_robots_txt(site: LocalSite) -> None:
    # GIVEN a site with linked pages, a sitemap-only page, a page robots.txt disallows and a link loop
    crawler, plan = crawl(site, max_pages=20, max_depth=3)
    # WHEN it is crawled
    report = crawler.crawl(plan)
    # THEN every reachable allowed page was read once, with its main text and title
    paths = sorted(page.url.removeprefix(site.url("")) for page in report.pages)
    assert paths == ["/", "/about", "/hidden-from-links", "/loop-a", "/loop-b", "/pricing"]
    pricing = next(p for p in report.pages if p.url.endswith("/pricing"))
    assert "The pro plan costs 40 euros a month" in pricing.text and pricing.title == "Pricing"
    assert "Cookie banner menu" not in pricing.text  # navigation is not main text
    # AND robots.txt kept the private page out, and was never fetched
    assert report.blocked_by_robots == [site.url("/private")]
    assert "/private" not in site.requested
    # AND the redirect to the cloud metadata address was refused by the SSRF guard
    [refused] = report.errors
    assert refused["url"] == site.url("/to-metadata") and refused["error"].startswith("refused:")


def test_page_and_depth_limits_bound_the_crawl(site: LocalSite) -> None:
    # GIVEN limits of two pages, and then of depth zero
    crawler, two_pages = crawl(site, max_pages=2, max_depth=3)
    _, home_only = crawl(site, max_pages=20, max_depth=0)
    # WHEN crawled
    # THEN at most two pages are read, and depth zero reads only the start pages (the base URL and the sitemap's)
    assert len(crawler.crawl(two_pages).pages) == 2
    start_pages = [site.url("/"), site.url("/about"), site.url("/hidden-from-links")]
    assert [p.url for p in crawler.crawl(home_only).pages] == start_pages


def test_a_site_whose_start_page_fails_reports_it(site: LocalSite) -> None:
    # GIVEN a start URL that answers 404
    crawler = Crawler(PinnedFetcher(), local_mode=True, timeout=5, max_bytes=1024 * 1024)
    # WHEN crawled
    report = crawler.crawl(CrawlPlan(base_url=site.url("/missing"), max_depth=0))
    # THEN it is not a page and the error names the status (the sitemap's pages are still read)
    assert site.url("/missing") not in [p.url for p in report.pages]
    assert report.errors[0] == {"url": site.url("/missing"), "error": "the page answered HTTP 404"}


def test_path_filters_use_prefixes_and_globs() -> None:
    assert path_allowed("/docs/a", ("/docs",), ())
    assert not path_allowed("/blog/a", ("/docs",), ())
    assert not path_allowed("/docs/draft/x", (), ("/docs/*/x",))
    assert path_allowed("/anything", (), ())
