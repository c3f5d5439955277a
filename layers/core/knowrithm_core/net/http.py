"""The HTTP POST of a delivery: to the address the SSRF guard checked, with no redirects and a bounded read.

Connecting to the checked IP (while sending the real Host and TLS server name) closes the DNS-rebinding
gap between the check and the request. At most ``MAX_RESPONSE_BYTES`` of the response are read.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

from knowrithm_core.net.url_safety import SafeTarget

MAX_RESPONSE_BYTES = 20 * 1024


@dataclass(frozen=True)
class HttpResult:
    status: int | None
    latency_ms: float
    headers: dict[str, str] = field(default_factory=dict)
    excerpt: str = ""
    error: str | None = None


class Poster(Protocol):
    def post(self, target: SafeTarget, headers: dict[str, str], body: bytes, timeout: float) -> HttpResult: ...


def pinned_connection(
    target: SafeTarget, ssl_context: ssl.SSLContext, timeout: float
) -> tuple[http.client.HTTPConnection, str, str]:
    """An HTTP(S) connection to the address the SSRF guard checked (TLS verified against the real host name),
    plus the request path and the ``Host`` header to send. The caller closes the connection."""
    parts = urlsplit(target.url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default_port = 443 if target.scheme == "https" else 80
    host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
    connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
    try:
        sock = socket.create_connection((target.addresses[0], target.port), timeout=timeout)
        if target.scheme == "https":
            sock = ssl_context.wrap_socket(sock, server_hostname=target.host)
    except BaseException:
        connection.close()
        raise
    connection.sock = sock
    return connection, path, host_header


class PinnedPoster:
    """POSTs with the standard library (no redirects are ever followed by ``http.client``)."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self._ssl = ssl_context or ssl.create_default_context()

    def post(self, target: SafeTarget, headers: dict[str, str], body: bytes, timeout: float) -> HttpResult:
        started = time.perf_counter()
        connection: http.client.HTTPConnection | None = None
        try:
            connection, path, host_header = pinned_connection(target, self._ssl, timeout)
            connection.request("POST", path, body=body, headers={**headers, "Host": host_header})
            response = connection.getresponse()
            excerpt = response.read(MAX_RESPONSE_BYTES).decode("utf-8", errors="replace")
            return HttpResult(response.status, _ms(started), {k.lower(): v for k, v in response.getheaders()}, excerpt)
        except (OSError, http.client.HTTPException) as exc:
            kind = "timeout" if isinstance(exc, TimeoutError | socket.timeout) else type(exc).__name__
            return HttpResult(None, _ms(started), error=f"{kind}: {exc}"[:500])
        finally:
            if connection is not None:
                connection.close()


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
