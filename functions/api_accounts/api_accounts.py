"""ApiAccountsFunction: companies, users, sessions and API keys (``/api/v1/company``, ``/api/v1/auth/*``)."""

from __future__ import annotations

from rest_api.factory import create_api
from rest_api.handler import lambda_handler_for
from rest_api.routers import auth, companies

app = create_api([companies.router, auth.router])
lambda_handler = lambda_handler_for(app)
