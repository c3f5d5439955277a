"""ApiAgentsFunction: agents, their LLM settings and the provider catalogue.

Routes ``/agent``, ``/settings``, ``/providers`` and the official SDK's ``/sdk/agent`` and ``/sdk/settings``.
"""

from __future__ import annotations

from rest_api.factory import create_api
from rest_api.handler import lambda_handler_for
from rest_api.routers import agents, providers, settings

# settings after providers: GET /settings/providers must not be taken for a settings id
app = create_api([agents.router, providers.router, settings.router])
lambda_handler = lambda_handler_for(app)
