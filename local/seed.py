"""The demo tenant of the local stack: a company, an API key (read, write, admin) and an agent worth asking.

Created through the core services (the same code the API runs), then written to
``<LOCAL_STATE_DIR or .local>/demo.json`` for the SDK, the examples and the tests.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from local.template import ROOT

DEMO_AGENT_NAME = "Harbour Lane Support"
DEMO_DESCRIPTION = (
    "Harbour Lane Books is an independent bookshop and café at 12 Quay Street, Portmere. "
    "Opening hours are Monday to Saturday 9am to 6pm and Sunday 11am to 4pm. "
    "Shipping within the country takes 2 to 4 business days and is free on orders over 40 euros. "
    "International shipping takes 7 to 14 business days. "
    "Returns are accepted within 30 days of delivery for unread books with the receipt. "
    "Refunds are paid to the original payment method within 5 business days of receiving the return. "
    "Gift cards are available in the shop and online and never expire. "
    "You can contact us by email at hello@harbourlane.example or by phone on +44 20 7946 0000. "
    "The café serves coffee, tea and cakes until 30 minutes before closing."
)
DEMO_HOURS = {"monday-saturday": "09:00-18:00", "sunday": "11:00-16:00"}


@dataclass(frozen=True)
class Demo:
    base_url: str
    api_key: str
    api_secret: str
    company_id: str
    agent_id: str
    demo_url: str = ""  # the widget demo page (another origin than the API)
    websocket_url: str = ""  # the widget's WebSocket API (local/websocket.py)


def state_dir() -> Path:
    """Where the local stack keeps its files (``LOCAL_STATE_DIR``, default ``.local`` at the repo root)."""
    return Path(os.environ.get("LOCAL_STATE_DIR") or ROOT / ".local")


def seed(base_url: str, demo_origin: str | None = None, websocket_url: str = "") -> Demo:
    """Create the demo tenant with the services the API uses (the environment must already point at moto).

    With ``demo_origin`` the demo agent's allowed domains are that page's origin (and its localhost twin),
    so the demo page's widget works and any other site is refused."""
    from knowrithm_core.auth import Principal
    from knowrithm_core.auth.credentials import new_api_key
    from knowrithm_core.container import get_services
    from knowrithm_core.ids import iso, new_id
    from knowrithm_core.models.resources import ApiKeyDetails

    services = get_services()
    company = services.companies.create(
        {"name": "Harbour Lane Books", "email": "owner@harbourlane.example", "phone": "+44 20 7946 0000"}
    )
    api_key, api_secret = new_api_key()
    stamp = iso()
    scopes = ["read", "write", "admin"]
    details = ApiKeyDetails(
        id=new_id(),
        created_at=stamp,
        updated_at=stamp,
        company_id=company.id,
        name="local demo key",
        key_prefix=api_key[:8],
        scopes=scopes,
        # the local stack's tests, benchmarks and docs snippets all use this key within the hour: limits that
        # still send X-RateLimit-* headers but are never reached
        rate_limit_per_hour=100_000,
        rate_limit_per_day=1_000_000,
    )
    services.auth.put_api_key(details, api_key, api_secret)
    principal = Principal("api_key", company.id, details.id, frozenset(scopes), "api_key")
    widget: dict[str, object] = {"widget_config": {"title": DEMO_AGENT_NAME, "primaryColor": "#0f766e"}}
    if demo_origin:
        widget["allowed_domains"] = [demo_origin, demo_origin.replace("127.0.0.1", "localhost")]
    created = services.agents.create(
        principal,
        {
            "name": DEMO_AGENT_NAME,
            "description": DEMO_DESCRIPTION,
            "operating_hours": DEMO_HOURS,
            "languages": ["en"],
            **widget,
        },
    )
    demo_url = f"{demo_origin}/" if demo_origin else ""
    return Demo(base_url, api_key, api_secret, company.id, str(created["agent"]["id"]), demo_url, websocket_url)


def reuse(saved: dict[str, str], base_url: str, demo_origin: str | None = None, websocket_url: str = "") -> Demo:
    """The demo tenant of a restored snapshot (same company, agent, key and secret) at this run's URLs.

    If the demo page moved (its port was taken), the agent's allowed domains follow it."""
    from knowrithm_core.auth import Principal
    from knowrithm_core.container import get_services

    demo_url = f"{demo_origin}/" if demo_origin else ""
    ids = (saved["api_key"], saved["api_secret"], saved["company_id"], saved["agent_id"])
    demo = Demo(base_url, *ids, demo_url, websocket_url)
    if demo_origin and saved.get("demo_url") != demo_url:
        admin = Principal("api_key", demo.company_id, "local-seed", frozenset({"read", "write", "admin"}), "api_key")
        domains = [demo_origin, demo_origin.replace("127.0.0.1", "localhost")]
        get_services().agents.update(admin, demo.agent_id, {"allowed_domains": domains})
    return demo


def demo_values(demo: Demo) -> dict[str, str]:
    """``demo.json``'s content (and the snapshot's ``demo`` section)."""
    return {key: value for key, value in asdict(demo).items() if value or key not in ("demo_url", "websocket_url")}


def write_demo(demo: Demo, directory: Path | None = None) -> Path:
    """Write ``demo.json`` atomically (readers never see half a file)."""
    directory = directory or state_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "demo.json"
    partial = path.with_suffix(".json.tmp")
    partial.write_text(json.dumps(demo_values(demo), indent=2) + "\n", encoding="utf-8")
    partial.replace(path)
    return path
