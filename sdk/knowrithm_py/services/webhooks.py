"""Webhooks (``/webhook``, our extension: Knowrithm has no registration API).

Register endpoints, rotate their secrets, send test events, read the delivery log, and replay
deliveries. Verify what arrives with :func:`knowrithm_py.webhooks.verify`.

In :meth:`WebhookService.create_endpoint` and :meth:`WebhookService.update_endpoint`, ``headers``
are the endpoint's custom headers (sent with every delivery); the per-call HTTP headers every
other SDK method takes as ``headers=`` are ``request_headers=`` there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast
from urllib.parse import quote

from knowrithm_py.models.webhooks import (
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
from knowrithm_py.services._base import Headers, Service, page_params


def _id(value: str) -> str:
    return quote(value, safe="")


def _time(value: str | datetime | None) -> str | None:
    """An ISO 8601 string as the server expects it (a naive ``datetime`` is taken as UTC by the server)."""
    return value.isoformat() if isinstance(value, datetime) else value


def _fields(
    *,
    url: str | None,
    events: Sequence[str] | None,
    description: str | None,
    enabled: bool | None,
    headers: Mapping[str, str] | None,
    rate_limit_per_second: float | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "url": url,
        "events": list(events) if events is not None else None,
        "description": description,
        "enabled": enabled,
        "headers": dict(headers) if headers is not None else None,
        "rate_limit_per_second": rate_limit_per_second,
    }
    return {key: value for key, value in body.items() if value is not None}


class WebhookService(Service):
    # --- endpoints -------------------------------------------------------------------
    def create_endpoint(
        self,
        url: str,
        events: Sequence[str] | None = None,
        description: str | None = None,
        enabled: bool | None = None,
        headers: Mapping[str, str] | None = None,
        rate_limit_per_second: float | None = None,
        *,
        request_headers: Headers = None,
    ) -> WebhookEndpointCreated:
        """``POST /webhook``: register ``url`` for ``events`` (default ``["*"]``, every event).

        Returns the endpoint and its ``secret`` (``whsec_...``), shown only now: store it.
        ``headers`` are custom headers sent with every delivery; ``rate_limit_per_second``
        caps the deliveries per second to this endpoint. Outside the server's local mode the
        URL must be https and resolve to a public address."""
        body = _fields(
            url=url,
            events=events,
            description=description,
            enabled=enabled,
            headers=headers,
            rate_limit_per_second=rate_limit_per_second,
        )
        return cast(WebhookEndpointCreated, self._core.call("POST", "/webhook", json=body, headers=request_headers))

    def list_endpoints(
        self,
        *,
        page: int | None = None,
        per_page: int | None = None,
        cursor: str | None = None,
        headers: Headers = None,
    ) -> WebhookEndpointList:
        """``GET /webhook``: the company's endpoints (not deleted ones), without their secrets; ``cursor`` is the
        previous page's ``pagination["next_cursor"]``."""
        params = page_params(page, per_page, cursor=cursor)
        return cast(WebhookEndpointList, self._core.call("GET", "/webhook", params=params, headers=headers))

    def get_endpoint(self, endpoint_id: str, *, headers: Headers = None) -> WebhookEndpointDetails:
        """``GET /webhook/{id}``: the endpoint and ``active_secrets`` (2 while a rotation's grace period runs)."""
        path = f"/webhook/{_id(endpoint_id)}"
        return cast(WebhookEndpointDetails, self._core.call("GET", path, headers=headers))

    def update_endpoint(
        self,
        endpoint_id: str,
        *,
        url: str | None = None,
        events: Sequence[str] | None = None,
        description: str | None = None,
        enabled: bool | None = None,
        headers: Mapping[str, str] | None = None,
        rate_limit_per_second: float | None = None,
        request_headers: Headers = None,
    ) -> WebhookEndpointUpdated:
        """``PUT /webhook/{id}``: only the given fields change (at least one is needed).

        ``enabled=True`` also clears the endpoint's failure state, like :meth:`enable_endpoint`."""
        body = _fields(
            url=url,
            events=events,
            description=description,
            enabled=enabled,
            headers=headers,
            rate_limit_per_second=rate_limit_per_second,
        )
        path = f"/webhook/{_id(endpoint_id)}"
        return cast(WebhookEndpointUpdated, self._core.call("PUT", path, json=body, headers=request_headers))

    def delete_endpoint(self, endpoint_id: str, *, headers: Headers = None) -> WebhookEndpointDeleted:
        """``DELETE /webhook/{id}`` (soft): no more deliveries; pending ones are recorded as skipped."""
        path = f"/webhook/{_id(endpoint_id)}"
        return cast(WebhookEndpointDeleted, self._core.call("DELETE", path, headers=headers))

    def enable_endpoint(self, endpoint_id: str, *, headers: Headers = None) -> WebhookEndpointUpdated:
        """``POST /webhook/{id}/enable``: re-enable an endpoint (disabled by hand, by a 410 or by failing too long).

        Events skipped while it was disabled are not sent again by this; use :meth:`recover`."""
        path = f"/webhook/{_id(endpoint_id)}/enable"
        return cast(WebhookEndpointUpdated, self._core.call("POST", path, headers=headers))

    def rotate_secret(
        self, endpoint_id: str, grace_period_hours: float | None = None, *, headers: Headers = None
    ) -> WebhookSecretRotated:
        """``POST /webhook/{id}/rotate-secret``: a new secret, returned once.

        The previous secret keeps signing alongside it (a second ``v1,`` signature in
        ``webhook-signature``) for ``grace_period_hours`` (0 to 168; server default 24)."""
        body = {} if grace_period_hours is None else {"grace_period_hours": grace_period_hours}
        path = f"/webhook/{_id(endpoint_id)}/rotate-secret"
        return cast(WebhookSecretRotated, self._core.call("POST", path, json=body, headers=headers))

    def send_test(self, endpoint_id: str, *, headers: Headers = None) -> WebhookTestQueued:
        """``POST /webhook/{id}/test``: queue a ``webhook.test`` event for this endpoint only (202)."""
        path = f"/webhook/{_id(endpoint_id)}/test"
        return cast(WebhookTestQueued, self._core.call("POST", path, headers=headers, wait=False))

    def list_event_types(self, *, headers: Headers = None) -> WebhookEventTypes:
        """``GET /webhook/event-types``: every event's name, description and the JSON Schema of its ``data``."""
        return cast(WebhookEventTypes, self._core.call("GET", "/webhook/event-types", headers=headers))

    # --- deliveries --------------------------------------------------------------------
    def list_deliveries(
        self,
        endpoint_id: str,
        *,
        status: str | None = None,
        event_type: str | None = None,
        since: str | datetime | None = None,
        until: str | datetime | None = None,
        page: int | None = None,
        per_page: int | None = None,
        cursor: str | None = None,
        headers: Headers = None,
    ) -> WebhookDeliveryList:
        """``GET /webhook/{id}/deliveries``: the attempt log, newest event first.

        Filters: ``status`` (pending, succeeded, failed, skipped), ``event_type``, and the event
        time window ``since``/``until`` (ISO 8601 strings or datetimes), each looking at the newest 1,000 records;
        ``cursor`` (without filters) is the previous page's ``pagination["next_cursor"]``."""
        window = {"since": _time(since), "until": _time(until)}
        params = page_params(page, per_page, status=status, event_type=event_type, cursor=cursor, **window)
        path = f"/webhook/{_id(endpoint_id)}/deliveries"
        return cast(WebhookDeliveryList, self._core.call("GET", path, params=params, headers=headers))

    def retry_delivery(self, delivery_id: str, *, headers: Headers = None) -> WebhookDeliveryRetried:
        """``POST /webhook/deliveries/{id}/retry``: send one delivery again (400 if it is still pending)."""
        path = f"/webhook/deliveries/{_id(delivery_id)}/retry"
        return cast(WebhookDeliveryRetried, self._core.call("POST", path, headers=headers, wait=False))

    def recover(
        self,
        endpoint_id: str,
        since: str | datetime,
        until: str | datetime | None = None,
        *,
        headers: Headers = None,
    ) -> WebhookRecovery:
        """``POST /webhook/{id}/recover``: re-queue every failed or skipped delivery whose event happened
        in ``[since, until]`` (``until`` defaults to now), including events skipped while the endpoint
        was disabled."""
        body = {"since": _time(since)}
        if until is not None:
            body["until"] = _time(until)
        path = f"/webhook/{_id(endpoint_id)}/recover"
        return cast(WebhookRecovery, self._core.call("POST", path, json=body, headers=headers, wait=False))
