"""Database connections: the connection (URL masked), its tables, exports and read-only search."""

from __future__ import annotations

from typing import Any, TypedDict


class DatabaseConnection(TypedDict, total=False):
    id: str
    company_id: str
    agent_id: str
    name: str
    database_type: str
    url: str  # masked: the password is never returned
    connection_params: dict[str, Any]
    status: str
    is_active: bool
    last_error: str | None
    tables: list[dict[str, Any]]
    last_analyzed_at: str | None
    last_exported_at: str | None
    created_at: str
    updated_at: str
    deleted_at: str | None


class DatabaseConnectionEnvelope(TypedDict, total=False):
    connection: DatabaseConnection
    message: str
    tables: list[dict[str, Any]]


class DatabaseConnectionList(TypedDict, total=False):
    connections: list[DatabaseConnection]
    total: int


class DatabaseConnectionTested(TypedDict, total=False):
    success: bool
    message: str
    connection_id: str


class DatabaseTables(TypedDict, total=False):
    connection_id: str
    tables: list[dict[str, Any]]
    total: int


class DatabaseConnectionDeleted(TypedDict, total=False):
    message: str
    connection_id: str
    deleted_documents: int


class DatabaseExported(TypedDict, total=False):
    message: str
    connection_id: str
    status: str
    tables: list[str]
    documents: list[dict[str, Any]]
    task_ids: list[str]


class DatabaseSearchResult(TypedDict, total=False):
    """``mode`` ``sql`` (rows of the validated SELECT, ``sql`` as run) or ``exported_rows``."""

    query: str
    mode: str
    sql: str | None
    results: dict[str, list[dict[str, Any]]]
    total_results: int
    execution_time: float


class DatabaseConnectionsAnalyzed(TypedDict, total=False):
    connections: list[DatabaseConnection]
    failed: list[dict[str, str]]
    message: str
