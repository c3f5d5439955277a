"""Task status and health."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from rest_api.deps import Caller, ServicesDep, origin_of
from rest_api.routing import DeferredAPIRoute

router = APIRouter(tags=["system"], route_class=DeferredAPIRoute)


@router.get("/tasks/{task_id}/status")
def task_status(task_id: str, request: Request, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.tasks.status(caller, task_id, f"{origin_of(request)}/api/v1/tasks/{task_id}/status")


def health(svc: ServicesDep) -> JSONResponse:
    body = svc.health()
    return JSONResponse(body, status_code=200 if body["status"] == "healthy" else 503)
