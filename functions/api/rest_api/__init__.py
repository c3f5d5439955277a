"""ApiFunction: the REST API (FastAPI + Mangum), one router module per resource."""
