"""GET of a web page for ingestion: SSRF-guarded, pinned to the checked address, size-capped.

Every hop (the URL and each redirect, at most ``max_redirects``) goes through
:func:`knowrithm_core.net.url_safety.check_url`, and the connection goes to the address that
check resolved (the real Host header and TLS server name are still sent), which closes the
DNS-rebinding gap. At most ``max_bytes`` are read; a larger body is refused, not truncated.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urljoin

from knowrithm_core.net.http import pinned_connection
from knowrithm_core.net.url_safety import SafeTarget, UnsafeUrl, check_url

REDIRECTS = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "KnowrithmDocumentFetcher/1.0 (+self-hosted)"


class FetchError(ValueError):
    """The page could not be fetched; the message says why (it becomes the document's processing error)."""


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    status: int
    content_type: str | None
    data: bytes


class Fetcher(Protocol):
    def fetch(self, url: str, *, max_bytes: int, timeout: float, local_mode: bool) -> Fetched: ...


Checker = Callable[[str, bool], SafeTarget]


def _check(url: str, local_mode: bool) -> SafeTarget:
    return check_url(url, local_mode=local_mode)


class PinnedFetcher:
    def __init__(
        self, ssl_context: ssl.SSLContext | None = None, max_redirects: int = 3, checker: Checker = _check
    ) -> None:
        self._ssl = ssl_context or ssl.create_default_context()
        self.max_redirects = max_redirects
        self._checker = checker

    def fetch(self, url: str, *, max_bytes: int, timeout: float, local_mode: bool) -> Fetched:
        current = url
        for _ in range(self.max_redirects + 1):
            try:
                target = self._checker(current, local_mode)
            except UnsafeUrl as exc:
                raise FetchError(f"refused: {exc.message}") from exc
            status, headers, data = self._get(target, max_bytes, timeout)
            if status in REDIRECTS and headers.get("location"):
                current = urljoin(current, headers["location"])
                continue
            if status >= 400:
                raise FetchError(f"the page answered HTTP {status}")
            if status >= 300:
                raise FetchError(f"the page answered HTTP {status} without a usable Location")
            return Fetched(current, status, headers.get("content-type"), data)
        raise FetchError(f"more than {self.max_redirects} redirects")

    def _get(self, target: SafeTarget, max_bytes: int, timeout: float) -> tuple[int, dict[str, str], bytes]:
        connection: http.client.HTTPConnection | None = None
        try:
            connection, path, host_header = pinned_connection(target, self._ssl, timeout)
            headers = {
                "Host": host_header,
                "User-Agent": USER_AGENT,
                "Accept": "text/html,application/xhtml+xml,text/plain,text/markdown,application/pdf,"
                "text/csv,application/json;q=0.9,*/*;q=0.5",
                "Accept-Encoding": "identity",
            }
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            received = {k.lower(): v for k, v in response.getheaders()}
            if response.status in REDIRECTS:
                return response.status, received, b""
            declared = received.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"the page is larger than the {max_bytes // (1024 * 1024)} MB limit")
            data = response.read(max_bytes + 1)
            if len(data) > max_bytes:
                raise FetchError(f"the page is larger than the {max_bytes // (1024 * 1024)} MB limit")
            return response.status, received, data
        except FetchError:
            raise
        except (OSError, http.client.HTTPException) as exc:
            kind = "timed out" if isinstance(exc, TimeoutError | socket.timeout) else type(exc).__name__
            raise FetchError(f"the page could not be fetched ({kind}: {str(exc)[:200]})") from exc
        finally:
            if connection is not None:
                connection.close()
