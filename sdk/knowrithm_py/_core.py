"""Request dispatch shared by every service, and polling of asynchronous (202) task answers."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from knowrithm_py._transport import Transport, parse_retry_after
from knowrithm_py.errors import KnowrithmAPIError

Headers = Mapping[str, str] | None

PENDING = frozenset({"accepted", "queued", "pending", "processing", "started", "in_progress"})
DONE = frozenset({"completed", "success", "succeeded", "finished", "done"})
FAILED = frozenset({"failed", "failure", "error", "rejected", "cancelled", "revoked", "timeout"})


def task_state(body: Mapping[str, Any]) -> str:
    return str(body.get("status") or body.get("state") or "").lower()


def is_task_ack(body: Any, status_code: int) -> bool:
    """A task acknowledgement: a 202, or a pending ``status``, naming ``status_url`` or ``task_id``.

    ``poll_url`` alone is ignored on purpose: Knowrithm points it at the messages list,
    which never reports a task status.
    """
    if not isinstance(body, dict) or not (body.get("status_url") or body.get("task_id")):
        return False
    return status_code == 202 or task_state(body) in PENDING


def status_path(ack: Mapping[str, Any] | str) -> str:
    """The status path relative to ``{base_url}/v1``, from a task ack, a task id, or a status URL.

    Absolute URLs are reduced to their path below ``/v1`` and sent to the client's own
    base URL, so credentials never go to another host.
    """
    if isinstance(ack, str):
        url = ack if "/" in ack else f"/tasks/{ack}/status"
    else:
        url = str(ack.get("status_url") or f"/tasks/{ack['task_id']}/status")
    path = urlsplit(url).path or url
    marker = path.find("/v1/")
    return path[marker + 3 :] if marker >= 0 else "/" + path.lstrip("/")


class Core:
    """Sends requests through the transport and resolves task acknowledgements by polling."""

    def __init__(
        self,
        transport: Transport,
        *,
        task_poll_timeout: float,
        task_poll_interval: float = 0.5,
        task_poll_max_interval: float = 5.0,
    ) -> None:
        self.transport = transport
        self.task_poll_timeout = task_poll_timeout
        self.task_poll_interval = task_poll_interval
        self.task_poll_max_interval = task_poll_max_interval

    def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Headers = None,
        wait: bool = True,
        data: Mapping[str, Any] | None = None,
        files: Any = None,
    ) -> Any:
        """The decoded body; a task acknowledgement is polled to its result unless ``wait`` is false."""
        response = self.transport.request(
            method, path, json=json, params=params, headers=headers, data=data, files=files
        )
        if wait and is_task_ack(response.body, response.status_code):
            return self.wait(response.body, headers=headers)
        return response.body

    def wait(self, task: Mapping[str, Any] | str, *, headers: Headers = None, timeout: float | None = None) -> Any:
        """Poll ``GET /v1/tasks/{id}/status`` until completed (returns ``result``), failed or timed out (raise).

        The interval starts at ``task_poll_interval`` and grows by half each time up to
        ``task_poll_max_interval``; a ``Retry-After`` on the status answer overrides it.
        """
        path = status_path(task)
        deadline = time.monotonic() + (self.task_poll_timeout if timeout is None else timeout)
        interval = self.task_poll_interval
        while True:
            response = self.transport.request("GET", path, headers=headers)
            body = response.body
            if not isinstance(body, dict):
                return body
            state = task_state(body)
            if state in DONE:
                for key in ("result", "data", "response"):
                    if body.get(key) is not None:
                        return body[key]
                return body
            if state in FAILED:
                raise _task_failure(body)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise KnowrithmAPIError(
                    f"Timed out waiting for task {body.get('task_id') or path} (last status '{state}').",
                    None,
                    "task_timeout",
                    body,
                )
            hint = parse_retry_after(response.headers.get("Retry-After"))
            self.transport.sleep(min(hint if hint is not None else interval, remaining))
            interval = min(self.task_poll_max_interval, interval * 1.5)


def _task_failure(body: Mapping[str, Any]) -> KnowrithmAPIError:
    error = body.get("error")
    message, code = "The asynchronous task failed.", "task_failed"
    if isinstance(error, dict):
        message = str(error.get("message") or message)
        code = str(error.get("code") or code)
    elif isinstance(error, str) and error:
        message = error
    return KnowrithmAPIError(message, None, code, dict(body))
