"""The page fetcher: every hop through the SSRF guard, a hard size cap, a bounded number of redirects."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from knowrithm_core.knowledge.fetch import FetchError, PinnedFetcher

MB = 1024 * 1024


class Pages:
    def __init__(self) -> None:
        self.seen: list[dict[str, str]] = []
        pages = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                pages.seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
                if self.path.startswith("/hop/"):
                    left = int(self.path.rsplit("/", 1)[1])
                    self._send(302, b"", {"Location": f"/hop/{left - 1}" if left > 0 else "/page"})
                elif self.path == "/to-metadata":
                    self._send(302, b"", {"Location": "http://169.254.169.254/latest/meta-data/"})
                elif self.path == "/page":
                    self._send(200, b"<html><body><p>Hello</p></body></html>", {"Content-Type": "text/html"})
                elif self.path == "/big-declared":
                    self._send(200, b"x" * 100, {"Content-Length": str(20 * MB)}, declared=True)
                elif self.path == "/big-chunked":
                    self.send_response(200)
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    block = b"y" * 65536
                    for _ in range(40):  # 2.5 MB
                        self.wfile.write(b"%x\r\n" % len(block) + block + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    self._send(500, b"boom", {})

            def _send(self, status: int, body: bytes, headers: dict[str, str], *, declared: bool = False) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if not declared:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                if declared:
                    self.close_connection = True

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def pages() -> Iterator[Pages]:
    running = Pages()
    yield running
    running.server.shutdown()
    running.server.server_close()


def _fetch(url: str, *, max_bytes: int = 10 * MB, local_mode: bool = True, redirects: int = 3) -> Any:
    return PinnedFetcher(max_redirects=redirects).fetch(url, max_bytes=max_bytes, timeout=5, local_mode=local_mode)


def test_follows_redirects_and_sends_an_honest_request(pages: Pages) -> None:
    fetched = _fetch(f"{pages.origin}/hop/2")
    assert fetched.status == 200 and fetched.url == f"{pages.origin}/page" and b"Hello" in fetched.data
    assert fetched.content_type == "text/html"
    assert [s["path"] for s in pages.seen] == ["/hop/2", "/hop/1", "/hop/0", "/page"]
    assert (
        pages.seen[-1]["user-agent"].startswith("KnowrithmDocumentFetcher")
        and pages.seen[-1]["accept-encoding"] == "identity"
    )


def test_too_many_redirects_are_refused(pages: Pages) -> None:
    with pytest.raises(FetchError, match="more than 3 redirects"):
        _fetch(f"{pages.origin}/hop/5")


def test_a_redirect_to_a_private_address_is_refused(pages: Pages) -> None:
    with pytest.raises(FetchError, match="refused: .*169.254.169.254"):
        _fetch(f"{pages.origin}/to-metadata")


def test_loopback_is_refused_outside_local_mode(pages: Pages) -> None:
    with pytest.raises(FetchError, match="refused"):
        _fetch(f"{pages.origin}/page", local_mode=False)
    assert pages.seen == []  # not even connected to


@pytest.mark.parametrize("path", ["/big-declared", "/big-chunked"])
def test_bodies_over_the_cap_are_refused_not_truncated(pages: Pages, path: str) -> None:
    with pytest.raises(FetchError, match="larger than the 2 MB limit"):
        _fetch(f"{pages.origin}{path}", max_bytes=2 * MB)


def test_error_statuses_and_dead_hosts_fail_with_a_reason(pages: Pages) -> None:
    with pytest.raises(FetchError, match="HTTP 500"):
        _fetch(f"{pages.origin}/error")
    closed = pages.origin.rsplit(":", 1)[0] + ":9"  # discard port: nothing listens
    with pytest.raises(FetchError, match="could not be fetched"):
        _fetch(f"{closed}/page")
