"""HTTP transport: one ``httpx.Client``, retries with exponential backoff and full jitter.

Retry rules (``max_retries`` retries after the first attempt):

* connection failures where the request was never sent (connect error or timeout, pool
  timeout): every method;
* read timeouts, resets and other failures after the request went out, and HTTP 500, 502,
  503, 504: idempotent methods only (GET, PUT, DELETE, HEAD, OPTIONS). POST and PATCH are
  not retried then, because the server may already have applied them (a duplicate chat
  message or lead); the exception is a 503 carrying ``Retry-After``, which says the request
  was not processed;
* 429: every method (a rate-limited request was not processed).

The wait is ``Retry-After`` when the server sends one (seconds or an HTTP date, capped at
``retry_after_cap``), otherwise a random delay in ``[0, min(max_backoff, backoff * 2**n)]``.

:meth:`Transport.upload_to_storage` sends a file to a pre-signed storage URL (S3) with a separate
client that carries none of the API's headers, so credentials never go to the storage host.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from knowrithm_py.errors import KnowrithmAPIError, error_from_body

IDEMPOTENT = frozenset({"GET", "PUT", "DELETE", "HEAD", "OPTIONS"})
RETRY_STATUSES = frozenset({500, 502, 503, 504})
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
MAYBE_SENT = (httpx.ReadTimeout, httpx.WriteTimeout, httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)


@dataclass(frozen=True)
class ApiResponse:
    """A successful (2xx) answer: status, decoded body (JSON, text, or ``{"success": True}`` if empty)."""

    status_code: int
    body: Any
    headers: httpx.Headers


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date); ``None`` if absent or bad."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _xml_value(text: str, tag: str) -> str | None:
    """The text of the first ``<tag>`` in an S3 XML error, if any."""
    start = text.find(f"<{tag}>")
    end = text.find(f"</{tag}>", start + 1)
    if start < 0 or end < 0:
        return None
    return text[start + len(tag) + 2 : end].strip() or None


def _decode(response: httpx.Response) -> Any:
    if not response.content:
        return {"success": True}
    try:
        return response.json()
    except ValueError:
        return response.text


class Transport:
    """Sends requests to ``base_url`` + path with the client's headers, retrying as the module doc says."""

    def __init__(
        self,
        base_url: str,
        headers: Mapping[str, str],
        *,
        timeout: float,
        max_retries: int,
        backoff: float,
        max_backoff: float = 10.0,
        retry_after_cap: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.max_retries = max(0, max_retries)
        self.backoff = max(0.0, backoff)
        self.max_backoff = max_backoff
        self.retry_after_cap = retry_after_cap
        self.sleep = sleep
        self.http = httpx.Client(headers=dict(headers), timeout=httpx.Timeout(timeout), transport=transport)
        self._timeout = timeout
        self._network = transport
        self._storage: httpx.Client | None = None

    def close(self) -> None:
        self.http.close()
        if self._storage is not None:
            self._storage.close()

    def upload_to_storage(
        self,
        method: str,
        url: str,
        *,
        data: bytes,
        filename: str,
        content_type: str,
        fields: Mapping[str, str] | None = None,
        file_field: str = "file",
        headers: Mapping[str, str] | None = None,
    ) -> int:
        """Send a file to a pre-signed URL: a multipart POST of ``fields`` then the file (an S3 POST policy), or
        a PUT of the raw bytes. No API credentials are sent. Connection failures and 5xx are retried (the
        upload is idempotent: the same key is written again); the status code is returned."""
        if self._storage is None:
            self._storage = httpx.Client(timeout=httpx.Timeout(max(self._timeout, 120.0)), transport=self._network)
        method = method.upper()
        retry = 0
        while True:
            try:
                if method == "POST":
                    response = self._storage.post(
                        url,
                        data=dict(fields or {}),
                        files={file_field: (filename, data, content_type)},
                        headers=headers,
                    )
                else:
                    sent = {"Content-Type": content_type, **(headers or {})}
                    response = self._storage.request(method, url, content=data, headers=sent)
            except httpx.TransportError as exc:
                if retry < self.max_retries:
                    self.sleep(self.backoff_delay(retry))
                    retry += 1
                    continue
                raise KnowrithmAPIError(
                    f"Upload to storage failed: {type(exc).__name__}: {exc}", None, "network_error"
                ) from exc
            if 200 <= response.status_code < 300:
                return response.status_code
            if (response.status_code >= 500 or response.status_code == 429) and retry < self.max_retries:
                self.sleep(self.backoff_delay(retry))
                retry += 1
                continue
            code = _xml_value(response.text, "Code") or "storage_error"
            message = _xml_value(response.text, "Message") or f"HTTP {response.status_code}"
            raise KnowrithmAPIError(
                f"The storage refused the upload ({code}): {message}", response.status_code, code, response.text
            )

    def backoff_delay(self, retry_number: int) -> float:
        """Full jitter: uniform in ``[0, min(max_backoff, backoff * 2**retry_number)]``."""
        return random.uniform(0.0, min(self.max_backoff, self.backoff * (2**retry_number)))  # noqa: S311 - jitter of retry delays, not a secret

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path.lstrip('/')}"

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, Any] | None = None,
        files: Any = None,
    ) -> ApiResponse:
        """One request with the retry rules above; ``data`` + ``files`` send a multipart form instead of JSON
        (file contents must be bytes, so a retry can send them again)."""
        method = method.upper()
        url = self.url(path)
        query = {k: v for k, v in (params or {}).items() if v is not None} or None
        retry = 0
        while True:
            try:
                response = self.http.request(
                    method, url, json=json, params=query, headers=headers, data=data, files=files
                )
            except httpx.TransportError as exc:
                retryable = isinstance(exc, NOT_SENT) or (method in IDEMPOTENT and isinstance(exc, MAYBE_SENT))
                if retryable and retry < self.max_retries:
                    self.sleep(self.backoff_delay(retry))
                    retry += 1
                    continue
                attempts = f" after {retry + 1} attempts" if retry else ""
                raise KnowrithmAPIError(
                    f"{method} {url} failed{attempts}: {type(exc).__name__}: {exc}", None, "network_error"
                ) from exc
            if 200 <= response.status_code < 300:
                return ApiResponse(response.status_code, _decode(response), response.headers)
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if retry < self.max_retries and self._should_retry(method, response.status_code, retry_after):
                delay = min(retry_after, self.retry_after_cap) if retry_after is not None else self.backoff_delay(retry)
                self.sleep(delay)
                retry += 1
                continue
            raise self._error(response, retry_after)

    @staticmethod
    def _should_retry(method: str, status: int, retry_after: float | None) -> bool:
        if status == 429:
            return True
        if status == 503 and retry_after is not None:
            return True
        return status in RETRY_STATUSES and method in IDEMPOTENT

    @staticmethod
    def _error(response: httpx.Response, retry_after: float | None) -> KnowrithmAPIError:
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        message, code = error_from_body(response.status_code, body, response.text)
        return KnowrithmAPIError(
            message,
            response.status_code,
            code,
            body,
            retry_after=retry_after,
            request_id=response.headers.get("X-Knowrithm-Request-Id"),
        )
