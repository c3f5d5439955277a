"""The webhook fixtures of the component tier (a loopback receiver, services wired to the delivery queue)."""

from tests.component.webhooks.conftest import receiver, webhook_client, webhook_services

__all__ = ["receiver", "webhook_client", "webhook_services"]
