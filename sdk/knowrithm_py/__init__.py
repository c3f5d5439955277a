"""Python SDK for the Knowrithm-compatible backend."""
