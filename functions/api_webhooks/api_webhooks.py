"""ApiWebhooksFunction: webhook endpoints, deliveries, replay (``/webhook``), and connectors (``/integrations``)."""

from __future__ import annotations

from rest_api.factory import create_api
from rest_api.handler import lambda_handler_for
from rest_api.routers import integrations, webhooks

app = create_api([webhooks.router, integrations.router])
lambda_handler = lambda_handler_for(app)
