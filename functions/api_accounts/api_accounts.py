"""ApiAccountsFunction: companies, users, sessions and API keys (``/api/v1/company*``, ``auth/*``, ``user/*``)."""

from __future__ import annotations

from rest_api.factory import create_api
from rest_api.handler import lambda_handler_for
from rest_api.routers import auth, companies, users

app = create_api([companies.router, auth.router, users.router])
lambda_handler = lambda_handler_for(app)
