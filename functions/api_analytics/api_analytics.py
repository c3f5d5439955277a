"""ApiAnalyticsFunction: analytics (``/analytic/*``) and the agent extras ``POST /agent/{id}/test`` and ``/clone``."""

from __future__ import annotations

from rest_api.factory import create_api
from rest_api.handler import lambda_handler_for
from rest_api.routers import analytics

app = create_api([analytics.router])
lambda_handler = lambda_handler_for(app)
