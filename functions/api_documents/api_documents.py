"""ApiDocumentsFunction: the knowledge base (``/document``: uploads, chunks), document search, website sources."""

from __future__ import annotations

from rest_api.factory import create_api
from rest_api.handler import lambda_handler_for
from rest_api.routers import databases, documents, websites

app = create_api([documents.router, websites.router, databases.router])
lambda_handler = lambda_handler_for(app)
