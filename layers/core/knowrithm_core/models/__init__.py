"""Pydantic v2 models: resources (what the API returns and events carry) and requests (what it accepts)."""
