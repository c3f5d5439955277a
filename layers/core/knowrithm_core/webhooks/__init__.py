"""Webhooks: endpoint rules, signing, the retry schedule and URL safety."""
