"""Analytics exports and the agent extras ``POST /agent/{id}/test`` and ``/clone`` (the analytics function)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from knowrithm_core.models.bodies.base import Request


class ExportRequest(Request):
    """``POST /analytic/export`` (checked by the analytics service, which keeps Knowrithm's messages)."""

    type: Literal["conversations", "leads", "agents", "usage"] | None = None
    export_type: Literal["conversations", "leads", "agents", "usage"] | None = Field(default=None, description="alias")
    format: Literal["json", "csv"] | None = "json"
    export_format: Literal["json", "csv"] | None = Field(default=None, description="alias of format")
    start_date: str | None = None
    end_date: str | None = None


# the agent extras ``POST /agent/{id}/test`` and ``/clone`` (the analytics function); no docstrings, which would
# change the published schemas' descriptions
class AgentTest(Request):
    query: str | None = Field(default=None, max_length=20_000)


class AgentClone(Request):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    llm_settings_id: str | None = None
