"""ApiConversationsFunction: conversations, messages, chat, and task status (``/api/v1/tasks``, ``/v1/tasks``)."""

from __future__ import annotations

from rest_api.factory import create_api
from rest_api.handler import lambda_handler_for
from rest_api.routers import conversations, system

app = create_api([conversations.router, system.router], legacy=[system.router])
lambda_handler = lambda_handler_for(app)
