"""The baseline of the cold-start benchmark: the smallest FastAPI + Mangum Lambda handler."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from mangum import Mangum

app = FastAPI()


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "healthy"}


_asgi = Mangum(app, lifespan="off")


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    response: dict[str, Any] = _asgi(event, context)
    return response
