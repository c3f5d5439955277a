"""What every service shares: the table, the settings, the outbox helper."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from knowrithm_core.config import Settings
from knowrithm_core.events import EventType, outbox_item
from knowrithm_core.store.keys import strip_keys
from knowrithm_core.store.table import DynamoTable

M = TypeVar("M", bound=BaseModel)


def load(model: type[M], item: dict[str, Any]) -> M:
    return model.model_validate(strip_keys(item))


class Service:
    def __init__(self, table: DynamoTable, settings: Settings) -> None:
        self.table = table
        self.settings = settings

    def event_op(self, company_id: str, event: EventType, data: dict[str, Any]) -> dict[str, Any]:
        """A transaction operation writing one outbox event (see :mod:`knowrithm_core.events`)."""
        return self.table.put_op(outbox_item(company_id, event, data, ttl_days=self.settings.event_ttl_days))
