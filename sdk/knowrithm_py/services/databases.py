"""Database connections (``/database-connection``) and ``POST /search/database``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast
from urllib.parse import quote

from knowrithm_py.models.databases import (
    DatabaseConnectionDeleted,
    DatabaseConnectionEnvelope,
    DatabaseConnectionList,
    DatabaseConnectionsAnalyzed,
    DatabaseConnectionTested,
    DatabaseExported,
    DatabaseSearchResult,
    DatabaseTables,
)
from knowrithm_py.services._base import Headers, Service


def _path(connection_id: str, tail: str = "") -> str:
    return f"/database-connection/{quote(connection_id, safe='')}{tail}"


class DatabaseService(Service):
    def create_connection(
        self,
        name: str,
        url: str,
        database_type: str,
        agent_id: str,
        connection_params: Mapping[str, str] | None = None,
        *,
        headers: Headers = None,
    ) -> DatabaseConnectionEnvelope:
        """``POST /database-connection``: connect once (400 for a bad password, private or unreachable host);
        the URL is kept in Secrets Manager and shown masked."""
        body: dict[str, Any] = {"name": name, "url": url, "database_type": database_type, "agent_id": agent_id}
        if connection_params:
            body["connection_params"] = dict(connection_params)
        return cast(
            DatabaseConnectionEnvelope,
            self._core.call("POST", "/database-connection", json=body, headers=headers),
        )

    def update_connection(
        self,
        connection_id: str,
        *,
        name: str | None = None,
        url: str | None = None,
        database_type: str | None = None,
        connection_params: Mapping[str, str] | None = None,
        headers: Headers = None,
    ) -> DatabaseConnectionEnvelope:
        """``PUT /database-connection/{id}``: only the given fields change; a new ``url`` is connected first."""
        body: dict[str, Any] = {"name": name, "url": url, "database_type": database_type}
        body = {key: value for key, value in body.items() if value is not None}
        if connection_params is not None:
            body["connection_params"] = dict(connection_params)
        path = _path(connection_id)
        return cast(DatabaseConnectionEnvelope, self._core.call("PUT", path, json=body, headers=headers))

    def analyze_all_connections(self, *, headers: Headers = None) -> DatabaseConnectionsAnalyzed:
        """``POST /database-connection/analyze``: every active connection (failures listed in ``failed``)."""
        path = "/database-connection/analyze"
        return cast(DatabaseConnectionsAnalyzed, self._core.call("POST", path, headers=headers))

    def list_connections(self, agent_id: str | None = None, *, headers: Headers = None) -> DatabaseConnectionList:
        """``GET /database-connection`` (or ``/database-connection/agent/{agent_id}``)."""
        path = f"/database-connection/agent/{quote(agent_id, safe='')}" if agent_id else "/database-connection"
        return cast(DatabaseConnectionList, self._core.call("GET", path, headers=headers))

    def get_connection(self, connection_id: str, *, headers: Headers = None) -> DatabaseConnectionEnvelope:
        return cast(DatabaseConnectionEnvelope, self._core.call("GET", _path(connection_id), headers=headers))

    def test_connection(self, connection_id: str, *, headers: Headers = None) -> DatabaseConnectionTested:
        """``POST /database-connection/{id}/test``: ``{success: true}``, or a 400 with the driver's reason."""
        return cast(
            DatabaseConnectionTested,
            self._core.call("POST", _path(connection_id, "/test"), headers=headers),
        )

    def analyze_connection(self, connection_id: str, *, headers: Headers = None) -> DatabaseConnectionEnvelope:
        """``POST /database-connection/{id}/analyze``: tables, columns and row counts."""
        path = _path(connection_id, "/analyze")
        return cast(DatabaseConnectionEnvelope, self._core.call("POST", path, headers=headers))

    def get_connection_tables(self, connection_id: str, *, headers: Headers = None) -> DatabaseTables:
        return cast(DatabaseTables, self._core.call("GET", _path(connection_id, "/table"), headers=headers))

    def export_connection(
        self,
        connection_id: str,
        table_names: Sequence[str] | None = None,
        limit_per_table: int | None = None,
        *,
        headers: Headers = None,
    ) -> DatabaseExported:
        """``POST /database-connection/export``: rows become documents (each row cited as ``table/row <key>``)."""
        body: dict[str, Any] = {"connection_id": connection_id}
        if table_names is not None:
            body["table_names"] = list(table_names)
        if limit_per_table is not None:
            body["limit_per_table"] = limit_per_table
        return cast(
            DatabaseExported,
            self._core.call("POST", "/database-connection/export", json=body, headers=headers),
        )

    def delete_connection(self, connection_id: str, *, headers: Headers = None) -> DatabaseConnectionDeleted:
        return cast(DatabaseConnectionDeleted, self._core.call("DELETE", _path(connection_id), headers=headers))

    def text_to_sql(
        self, query: str, connection_id: str | None = None, limit: int | None = None, *, headers: Headers = None
    ) -> DatabaseSearchResult:
        """``POST /search/database``: a SQL query runs as one validated read-only SELECT (a write is a 400);
        other text searches the exported rows."""
        body: dict[str, Any] = {"query": query}
        if connection_id:
            body["connection_id"] = connection_id
        if limit is not None:
            body["limit"] = limit
        return cast(
            DatabaseSearchResult,
            self._core.call("POST", "/search/database", json=body, headers=headers),
        )
