"""Operator routes (admin of an operator company): DLQ depths and redrive."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from knowrithm_core.models.bodies.operations import RedriveRequest
from knowrithm_core.models.responses.operations import DeadLetterQueues, DlqRedriven
from rest_api.contract import ERRORS, body_doc, body_of
from rest_api.deps import Caller, ServicesDep

router = APIRouter(prefix="/operations", tags=["operations"], responses=ERRORS)
RedriveBody = Annotated[RedriveRequest, Depends(body_of(RedriveRequest))]


@router.get("/dlq", response_model=DeadLetterQueues, response_model_exclude_unset=True)
def dead_letter_queues(caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    """The messages each dead-letter queue holds (what a redrive would move)."""
    return svc.redrive.dead_letter_queues(caller)


@router.post(
    "/dlq/{queue}/redrive",
    response_model=DlqRedriven,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(RedriveRequest),
)
def redrive(queue: str, caller: Caller, body: RedriveBody, svc: ServicesDep) -> dict[str, Any]:
    """Move a dead-letter queue's messages back to their queue: ``delivery``, ``ingest``, ``chat``,
    ``fanout-failures``."""
    return svc.redrive.redrive(caller, queue, body.model_dump(exclude_none=True))
