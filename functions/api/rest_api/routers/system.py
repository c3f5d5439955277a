"""Task status and health."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from knowrithm_core.models.responses.common import Health, TaskStatus
from rest_api.contract import ERRORS
from rest_api.deps import Caller, ServicesDep, origin_of

router = APIRouter(tags=["system"], responses=ERRORS)
UNHEALTHY: dict[int | str, dict[str, Any]] = {503: {"model": Health, "description": "A dependency is unavailable"}}


@router.get("/tasks/{task_id}/status", response_model=TaskStatus, response_model_exclude_unset=True)
def task_status(task_id: str, request: Request, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.tasks.status(caller, task_id, f"{origin_of(request)}/api/v1/tasks/{task_id}/status")


def health(svc: ServicesDep) -> JSONResponse:
    """``{status, database}``: 200 when healthy, 503 when not."""
    body = svc.health()
    return JSONResponse(body, status_code=200 if body["status"] == "healthy" else 503)
