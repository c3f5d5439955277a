"""ApiOperationsFunction: operator routes (``/operations``), the DLQ redrive."""

from __future__ import annotations

from rest_api.factory import create_api
from rest_api.handler import lambda_handler_for
from rest_api.routers import operations

app = create_api([operations.router])
lambda_handler = lambda_handler_for(app)
