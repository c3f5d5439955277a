"""ApiLeadsFunction: leads (public widget registration and management, ``/lead``, ``/sdk/lead``)."""

from __future__ import annotations

from rest_api.factory import create_api
from rest_api.handler import lambda_handler_for
from rest_api.routers import leads

app = create_api([leads.router])
lambda_handler = lambda_handler_for(app)
