"""Webhook endpoints (our extension: Knowrithm has no registration API), deliveries, replay."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from knowrithm_core.models.bodies.webhooks import EndpointCreate, EndpointUpdate, RecoverWindow, RotateSecret
from knowrithm_core.models.responses.webhooks import (
    WebhookDeliveryList,
    WebhookDeliveryRetried,
    WebhookEndpointCreated,
    WebhookEndpointDeleted,
    WebhookEndpointDetails,
    WebhookEndpointList,
    WebhookEndpointUpdated,
    WebhookEventTypes,
    WebhookRecovery,
    WebhookSecretRotated,
    WebhookTestQueued,
)
from rest_api.contract import ERRORS, body_doc, body_of, query_doc
from rest_api.deps import Caller, Query, ServicesDep

router = APIRouter(prefix="/webhook", tags=["webhooks"], responses=ERRORS)
CreateBody = Annotated[EndpointCreate, Depends(body_of(EndpointCreate))]
UpdateBody = Annotated[EndpointUpdate, Depends(body_of(EndpointUpdate))]
RotateBody = Annotated[RotateSecret, Depends(body_of(RotateSecret))]
RecoverBody = Annotated[RecoverWindow, Depends(body_of(RecoverWindow))]


@router.get("/event-types", response_model=WebhookEventTypes, response_model_exclude_unset=True)
def event_types(caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    caller.require("read")
    return svc.webhooks.event_types()


@router.post(
    "",
    status_code=201,
    response_model=WebhookEndpointCreated,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(EndpointCreate),
)
def create_endpoint(caller: Caller, body: CreateBody, svc: ServicesDep) -> dict[str, Any]:
    return svc.webhooks.create(caller, body)


@router.get(
    "",
    response_model=WebhookEndpointList,
    response_model_exclude_unset=True,
    openapi_extra=query_doc("page", "per_page", "cursor"),
)
def list_endpoints(caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    return svc.webhooks.list_endpoints(caller, query)


@router.post(
    "/deliveries/{delivery_id}/retry",
    status_code=202,
    response_model=WebhookDeliveryRetried,
    response_model_exclude_unset=True,
)
def retry_delivery(delivery_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.webhooks.retry(caller, delivery_id)


@router.get("/{endpoint_id}", response_model=WebhookEndpointDetails, response_model_exclude_unset=True)
def get_endpoint(endpoint_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.webhooks.get(caller, endpoint_id)


@router.put(
    "/{endpoint_id}",
    response_model=WebhookEndpointUpdated,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(EndpointUpdate),
)
def update_endpoint(endpoint_id: str, caller: Caller, body: UpdateBody, svc: ServicesDep) -> dict[str, Any]:
    return svc.webhooks.update(caller, endpoint_id, body)


@router.patch(
    "/{endpoint_id}",
    response_model=WebhookEndpointUpdated,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(EndpointUpdate),
)
def patch_endpoint(endpoint_id: str, caller: Caller, body: UpdateBody, svc: ServicesDep) -> dict[str, Any]:
    """The same partial update as ``PUT``."""
    return svc.webhooks.update(caller, endpoint_id, body)


@router.delete("/{endpoint_id}", response_model=WebhookEndpointDeleted, response_model_exclude_unset=True)
def delete_endpoint(endpoint_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.webhooks.delete(caller, endpoint_id)


@router.post(
    "/{endpoint_id}/rotate-secret",
    response_model=WebhookSecretRotated,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(RotateSecret),
)
def rotate_secret(endpoint_id: str, caller: Caller, body: RotateBody, svc: ServicesDep) -> dict[str, Any]:
    return svc.webhooks.rotate_secret(caller, endpoint_id, body)


@router.post(
    "/{endpoint_id}/test", status_code=202, response_model=WebhookTestQueued, response_model_exclude_unset=True
)
def send_test(endpoint_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.webhooks.send_test(caller, endpoint_id)


@router.get(
    "/{endpoint_id}/deliveries",
    response_model=WebhookDeliveryList,
    response_model_exclude_unset=True,
    openapi_extra=query_doc("page", "per_page", "status", "event_type", "since", "until", "cursor"),
)
def deliveries(endpoint_id: str, caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    return svc.webhooks.deliveries(caller, endpoint_id, query)


@router.post(
    "/{endpoint_id}/recover",
    status_code=202,
    response_model=WebhookRecovery,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(RecoverWindow),
)
def recover(endpoint_id: str, caller: Caller, body: RecoverBody, svc: ServicesDep) -> dict[str, Any]:
    return svc.webhooks.recover(caller, endpoint_id, body)


@router.post("/{endpoint_id}/enable", response_model=WebhookEndpointUpdated, response_model_exclude_unset=True)
def enable(endpoint_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.webhooks.enable(caller, endpoint_id)
