"""What every service shares: the table, the settings, the outbox helper."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from knowrithm_core.config import Settings
from knowrithm_core.events import EventType
from knowrithm_core.store.expressions import Put
from knowrithm_core.store.keys import strip_keys
from knowrithm_core.store.port import Table
from knowrithm_core.store.repositories import events
from knowrithm_core.store.unit_of_work import UnitOfWork

M = TypeVar("M", bound=BaseModel)


def load(model: type[M], item: dict[str, Any]) -> M:
    return model.model_validate(strip_keys(item))


class Service:
    def __init__(self, table: Table, settings: Settings) -> None:
        self.table = table
        self.settings = settings

    def unit_of_work(self) -> UnitOfWork:
        """A new unit of work on this service's table (commit it once per use case)."""
        return UnitOfWork(self.table)

    def event_op(self, company_id: str, event: EventType, data: dict[str, Any]) -> Put:
        """A transaction operation writing one outbox event (see :mod:`knowrithm_core.store.repositories.events`)."""
        return events.record(company_id, event, data, ttl_days=self.settings.event_ttl_days)
