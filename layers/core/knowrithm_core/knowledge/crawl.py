"""Crawl one website: robots.txt, sitemap.xml and same-origin links, within page and depth limits.

Every request (robots.txt, sitemaps, pages and each redirect) goes through the :class:`Fetcher`, so the SSRF
guard checks every hop and the connection goes to the checked address. Main text comes from trafilatura
(navigation, footers and boilerplate dropped); a page whose extraction is empty falls back to its visible text.
A redirect that leaves the site's origin is not followed into the crawl. Nothing here writes anything.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import deque
from dataclasses import dataclass, field
from fnmatch import fnmatch
from urllib.parse import urldefrag, urljoin, urlsplit
from urllib.robotparser import RobotFileParser

from knowrithm_core.knowledge.fetch import USER_AGENT, Fetcher, FetchError

ROBOTS_AGENT = USER_AGENT.split("/", 1)[0]
SITEMAP_LOC = re.compile(rb"<loc>\s*([^<\s]+)\s*</loc>", re.IGNORECASE)
MAX_SITEMAPS = 5
MAX_SITEMAP_URLS = 5000
HTML_TYPES = ("text/html", "application/xhtml+xml")
TEXT_TYPES = ("text/plain", "text/markdown")


@dataclass(frozen=True)
class CrawlPlan:
    """What to crawl: the site, extra start pages, path filters (prefixes or ``*`` globs) and the limits."""

    base_url: str
    seed_urls: tuple[str, ...] = ()
    allowed_paths: tuple[str, ...] = ()
    disallowed_paths: tuple[str, ...] = ()
    max_pages: int = 50
    max_depth: int = 3


@dataclass(frozen=True)
class CrawledPage:
    url: str
    title: str
    text: str
    depth: int

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@dataclass
class CrawlReport:
    pages: list[CrawledPage] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    blocked_by_robots: list[str] = field(default_factory=list)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def normalized(url: str) -> str:
    """The URL without its fragment (``/a#x`` and ``/a`` are one page); an empty path becomes ``/``."""
    clean, _ = urldefrag(url.strip())
    parts = urlsplit(clean)
    return parts._replace(path=parts.path or "/").geturl()


def path_allowed(path: str, allowed: tuple[str, ...], disallowed: tuple[str, ...]) -> bool:
    """True when ``path`` matches no disallowed pattern and (if any are given) at least one allowed one."""

    def matches(pattern: str) -> bool:
        return fnmatch(path, pattern) if "*" in pattern else path.startswith(pattern)

    if any(matches(p) for p in disallowed):
        return False
    return not allowed or any(matches(p) for p in allowed)


class Crawler:
    """A breadth-first crawl of one origin through ``fetcher`` (which applies the SSRF guard on every hop)."""

    def __init__(
        self, fetcher: Fetcher, *, local_mode: bool, timeout: float, max_bytes: int, budget_seconds: float = 80
    ) -> None:
        self.fetcher = fetcher
        self.budget_seconds = budget_seconds  # the crawl stops (keeping what it read) once this has passed
        self.local_mode = local_mode
        self.timeout = timeout
        self.max_bytes = max_bytes

    def crawl(self, plan: CrawlPlan) -> CrawlReport:
        report = CrawlReport()
        origin = origin_of(plan.base_url)
        robots = self._robots(origin)
        queue: deque[tuple[str, int]] = deque()
        seen: set[str] = set()

        def enqueue(url: str, depth: int) -> None:
            url = normalized(url)
            if url in seen or origin_of(url) != origin:
                return
            if not path_allowed(urlsplit(url).path, plan.allowed_paths, plan.disallowed_paths):
                return
            seen.add(url)
            if not robots.can_fetch(ROBOTS_AGENT, url):
                report.blocked_by_robots.append(url)
                return
            queue.append((url, depth))

        for start in (plan.base_url, *plan.seed_urls):
            enqueue(start, 0)
        for url in self._sitemap_urls(origin, robots):
            enqueue(url, 0)  # the sitemap lists start pages
        attempts, deadline = 0, time.monotonic() + self.budget_seconds
        while queue and len(report.pages) < plan.max_pages and attempts < plan.max_pages * 3:
            if time.monotonic() > deadline:
                report.errors.append({"url": queue[0][0], "error": "the crawl's time budget ran out; crawl again"})
                break
            url, depth = queue.popleft()
            attempts += 1
            page, links = self._page(url, depth, origin, report)
            if page is not None:
                report.pages.append(page)
            if depth < plan.max_depth:
                for link in links:
                    enqueue(link, depth + 1)
        return report

    # --- steps -----------------------------------------------------------------------------
    def _get(self, url: str) -> tuple[str, str | None, bytes]:
        fetched = self.fetcher.fetch(url, max_bytes=self.max_bytes, timeout=self.timeout, local_mode=self.local_mode)
        return fetched.url, fetched.content_type, fetched.data

    def _robots(self, origin: str) -> RobotFileParser:
        """The site's robots.txt (a missing or unreadable one allows everything)."""
        parser = RobotFileParser()
        try:
            _, _, data = self._get(f"{origin}/robots.txt")
            parser.parse(data.decode("utf-8", errors="replace").splitlines())
        except FetchError:
            parser.parse([])
        return parser

    def _sitemap_urls(self, origin: str, robots: RobotFileParser) -> list[str]:
        """Page URLs of the sitemaps robots.txt names (or ``/sitemap.xml``), following sitemap indexes."""
        pending = list(robots.site_maps() or [f"{origin}/sitemap.xml"])
        found: list[str] = []
        fetched = 0
        while pending and fetched < MAX_SITEMAPS and len(found) < MAX_SITEMAP_URLS:
            sitemap = pending.pop(0)
            if origin_of(sitemap) != origin:
                continue
            fetched += 1
            try:
                _, _, data = self._get(sitemap)
            except FetchError:
                continue
            for raw in SITEMAP_LOC.findall(data)[:MAX_SITEMAP_URLS]:
                loc = raw.decode("utf-8", errors="replace").replace("&amp;", "&")
                (pending if loc.lower().endswith(".xml") else found).append(loc)
        return found

    def _page(self, url: str, depth: int, origin: str, report: CrawlReport) -> tuple[CrawledPage | None, list[str]]:
        """The page's text and its links; a failure is recorded in ``report`` (the crawl goes on)."""
        try:
            final, content_type, data = self._get(url)
        except FetchError as exc:
            report.errors.append({"url": url, "error": str(exc)})
            return None, []
        if origin_of(final) != origin:
            report.errors.append({"url": url, "error": f"redirected off the site to {final}"})
            return None, []
        kind = (content_type or "text/html").split(";")[0].strip().lower()
        if kind in TEXT_TYPES:
            text = data.decode("utf-8", errors="replace").strip()
            return (CrawledPage(final, final.rsplit("/", 1)[-1] or final, text, depth) if text else None), []
        if kind not in HTML_TYPES:
            return None, []
        html = data.decode("utf-8", errors="replace")
        title, text, links = extract_html(html, final)
        if not text:
            report.errors.append({"url": final, "error": "the page has no text"})
            return None, links
        return CrawledPage(final, title or final, text, depth), links


def extract_html(html: str, url: str) -> tuple[str, str, list[str]]:
    """(title, main text, absolute link URLs) of an HTML page."""
    import trafilatura
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    links = [urljoin(url, str(a["href"])) for a in soup.find_all("a", href=True)]
    links = [link for link in links if urlsplit(link).scheme in ("http", "https")]
    text = trafilatura.extract(html, url=url, favor_precision=True, include_comments=False) or ""
    if not text.strip():  # precision can drop everything on a sparse page: then anything trafilatura keeps
        text = trafilatura.extract(html, url=url, include_comments=False) or ""
    if not text.strip():
        for tag in soup(["script", "style", "nav", "footer", "header", "noscript"]):
            tag.decompose()
        text = soup.get_text("\n", strip=True)
    return title[:500], text.strip(), links
