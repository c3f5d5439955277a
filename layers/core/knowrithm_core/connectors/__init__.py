"""Connectors to other products (Slack first), each behind a small class the services use."""
