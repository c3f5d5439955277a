"""A small real website on 127.0.0.1 for crawl tests: pages, links, robots.txt, a sitemap, redirects, a loop.

``pages`` can be changed while it runs (a re-crawl sees the new content; a removed page answers 404).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

NAV = "<nav><a href='/'>Home</a> <a href='/about'>About</a> Cookie banner menu</nav>"


def page(title: str, body: str, links: str = "") -> bytes:
    html = (
        f"<html><head><title>{title}</title></head><body>{NAV}<main><h1>{title}</h1>"
        f"<p>{body}</p>{links}</main><footer>Copyright footer</footer></body></html>"
    )
    return html.encode()


def default_pages() -> dict[str, bytes]:
    return {
        "/": page(
            "Home",
            "Welcome to the pottery studio. We teach wheel throwing and glazing to adults.",
            "<a href='/pricing'>Pricing</a> <a href='/private'>Staff</a> <a href='/loop-a#top'>Loop</a>"
            " <a href='/to-metadata'>Metadata</a> <a href='mailto:x@example.com'>Mail</a>"
            " <a href='https://elsewhere.example/'>Elsewhere</a>",
        ),
        "/about": page("About", "The studio opened in 2011 and has four kilns in the back room."),
        "/pricing": page("Pricing", "The pro plan costs 40 euros a month and includes firing fees."),
        "/private": page("Staff", "The staff door code is 4711."),
        "/loop-a": page("Loop A", "Loop page A links to loop page B.", "<a href='/loop-b'>B</a>"),
        "/loop-b": page("Loop B", "Loop page B links back to loop page A.", "<a href='/loop-a'>A</a>"),
        "/hidden-from-links": page("Hidden", "Only the sitemap lists this page about glaze recipes."),
    }


@dataclass
class LocalSite:
    port: int
    pages: dict[str, bytes] = field(default_factory=default_pages)
    requested: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def robots(self) -> bytes:
        return f"User-agent: *\nDisallow: /private\nSitemap: {self.url('/sitemap.xml')}\n".encode()

    def sitemap(self) -> bytes:
        locs = "".join(f"<url><loc>{self.url(p)}</loc></url>" for p in ("/", "/about", "/hidden-from-links"))
        return f"<?xml version='1.0'?><urlset>{locs}</urlset>".encode()


def _handler(site: LocalSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            path = self.path.split("?")[0]
            site.requested.append(path)
            if path == "/robots.txt":
                self._send(200, site.robots(), "text/plain")
            elif path == "/sitemap.xml":
                self._send(200, site.sitemap(), "application/xml")
            elif path == "/to-metadata":
                self._send(302, b"", "text/plain", {"Location": "http://169.254.169.254/latest/meta-data/"})
            elif path in site.pages:
                self._send(200, site.pages[path], "text/html; charset=utf-8")
            else:
                self._send(404, b"not found", "text/plain")

        def _send(self, status: int, body: bytes, kind: str, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serve_site() -> Iterator[LocalSite]:
    site = LocalSite(port=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    site.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
