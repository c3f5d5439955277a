"""The full application: every REST route under ``/api/v1`` plus ``/health`` (the OpenAPI document, tests).

Deployed, each resource group runs in its own function (``functions/api_*/``); this app is what they add up to.
"""

from __future__ import annotations

from fastapi import FastAPI

from rest_api.factory import add_health, create_api
from rest_api.routers import (
    agents,
    analytics,
    auth,
    companies,
    conversations,
    databases,
    documents,
    integrations,
    leads,
    operations,
    providers,
    settings,
    system,
    users,
    webhooks,
    websites,
)


def create_app() -> FastAPI:
    # settings after providers: GET /settings/providers must not be taken for a settings id
    routers = (
        companies,
        auth,
        users,
        agents,
        providers,
        conversations,
        leads,
        system,
        webhooks,
        integrations,
        settings,
        analytics,
    )
    sources = (documents, websites, databases)
    app = create_api([m.router for m in (*routers, *sources, operations)], legacy=[system.router], documented=True)
    add_health(app)
    return app
