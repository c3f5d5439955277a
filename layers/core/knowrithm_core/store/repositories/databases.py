"""Database connections: ``COMPANY#c / DBCONN#d`` (the credentials live in Secrets Manager, not here)."""

from __future__ import annotations

from typing import Any

from knowrithm_core.models.sources import DatabaseConnection
from knowrithm_core.store import keys
from knowrithm_core.store.expressions import Put
from knowrithm_core.store.port import Table


class DatabaseRepository:
    def __init__(self, table: Table) -> None:
        self.table = table

    def save(self, connection: DatabaseConnection) -> None:
        item: dict[str, Any] = {
            "PK": keys.company_pk(connection.company_id),
            "SK": keys.database_sk(connection.id),
            "GSI1PK": keys.global_id("DBCONN", connection.id),
            "GSI1SK": "DBCONN",
            **connection.model_dump(mode="json"),
        }
        self.table.write([Put(item)])

    def get(self, company_id: str, connection_id: str) -> DatabaseConnection | None:
        found = self.table.get(keys.company_pk(company_id), keys.database_sk(connection_id))
        return DatabaseConnection.model_validate(keys.strip_keys(found)) if found else None

    def all(self, company_id: str) -> list[DatabaseConnection]:
        items = self.table.query(keys.company_pk(company_id), sk_prefix=keys.database_sk(""))
        return [DatabaseConnection.model_validate(keys.strip_keys(item)) for item in items]
