"""Webhook endpoints (our extension: Knowrithm has no registration API), deliveries, replay."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from rest_api.deps import Body, Caller, Query, ServicesDep
from rest_api.routing import DeferredAPIRoute

router = APIRouter(prefix="/webhook", tags=["webhooks"], route_class=DeferredAPIRoute)


@router.get("/event-types")
def event_types(caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    caller.require("read")
    return svc.webhooks.event_types()


@router.post("", status_code=201)
def create_endpoint(body: Body, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.webhooks.create(caller, body)


@router.get("")
def list_endpoints(caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    return svc.webhooks.list_endpoints(caller, query)


@router.post("/deliveries/{delivery_id}/retry", status_code=202)
def retry_delivery(delivery_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.webhooks.retry(caller, delivery_id)


@router.get("/{endpoint_id}")
def get_endpoint(endpoint_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.webhooks.get(caller, endpoint_id)


@router.put("/{endpoint_id}")
@router.patch("/{endpoint_id}")
def update_endpoint(endpoint_id: str, body: Body, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.webhooks.update(caller, endpoint_id, body)


@router.delete("/{endpoint_id}")
def delete_endpoint(endpoint_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.webhooks.delete(caller, endpoint_id)


@router.post("/{endpoint_id}/rotate-secret")
def rotate_secret(endpoint_id: str, body: Body, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.webhooks.rotate_secret(caller, endpoint_id, body)


@router.post("/{endpoint_id}/test", status_code=202)
def send_test(endpoint_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.webhooks.send_test(caller, endpoint_id)


@router.get("/{endpoint_id}/deliveries")
def deliveries(endpoint_id: str, caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    return svc.webhooks.deliveries(caller, endpoint_id, query)


@router.post("/{endpoint_id}/recover", status_code=202)
def recover(endpoint_id: str, body: Body, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.webhooks.recover(caller, endpoint_id, body)


@router.post("/{endpoint_id}/enable")
def enable(endpoint_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.webhooks.enable(caller, endpoint_id)
