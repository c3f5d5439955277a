"""Asynchronous task status (``/tasks``) and health (``/health``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast
from urllib.parse import quote

from knowrithm_py.models.common import Health, TaskStatus
from knowrithm_py.services._base import Headers, Service


class TaskService(Service):
    def get_task_status(self, task_id: str, *, headers: Headers = None) -> TaskStatus:
        """``GET /tasks/{id}/status`` once, without waiting."""
        path = f"/tasks/{quote(task_id, safe='')}/status"
        return cast(TaskStatus, self._core.call("GET", path, headers=headers, wait=False))

    def wait_for_task(
        self, task: Mapping[str, Any] | str, *, timeout: float | None = None, headers: Headers = None
    ) -> Any:
        """Poll a task (an acknowledgement dict, a task id or a status URL) until it completes;
        returns its ``result``. Raises :class:`~knowrithm_py.errors.KnowrithmAPIError` with
        ``error_code`` ``task_failed`` or ``task_timeout`` (``timeout`` defaults to ``task_poll_timeout``)."""
        return self._core.wait(task, headers=headers, timeout=timeout)


class HealthService(Service):
    def health_check(self, *, headers: Headers = None) -> Health:
        """``GET /health`` (public)."""
        return cast(Health, self._core.call("GET", "/health", headers=headers))
