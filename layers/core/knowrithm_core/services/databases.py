"""Database connections (Knowrithm's ``/database-connection`` routes) and ``POST /search/database``.

Creating one vets the URL (:func:`knowrithm_core.knowledge.databases.vet_url`) and connects once: a bad password
or an unreachable host is a 400 and nothing is stored. The URL (with its password) goes to Secrets Manager; the
API only ever shows it masked. Export turns rows into documents (25 rows each, every row cited as
``table/row <key>``); search runs one validated read-only SELECT, or searches the exported rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.errors import NotFound, ValidationFailed
from knowrithm_core.ids import is_uuid, iso, new_id
from knowrithm_core.knowledge import databases as db
from knowrithm_core.knowledge.text_to_sql import SqlWriter
from knowrithm_core.models.bodies.sources import (
    DatabaseConnectionCreate,
    DatabaseConnectionUpdate,
    DatabaseExport,
    DatabaseSearch,
)
from knowrithm_core.models.sources import DatabaseConnection
from knowrithm_core.services.base import Service
from knowrithm_core.services.documents import DocumentService, SourcedText
from knowrithm_core.store.repositories.databases import DatabaseRepository
from knowrithm_core.store.secrets import SecretStore

ROWS_PER_DOCUMENT = 25
SQL_VERBS = (
    "select",
    "with",
    "insert",
    "update",
    "delete",
    "drop",
    "create",
    "alter",
    "truncate",
    "merge",
    "grant",
    "revoke",
    "copy",
    "call",
    "exec",
    "replace",
    "pragma",
    "attach",
    "set",
    "begin",
    "vacuum",
)


class DatabaseService(Service):
    def __init__(
        self, documents: DocumentService, secrets: SecretStore, sql_writer: Callable[[str], SqlWriter] = SqlWriter
    ) -> None:
        super().__init__(documents.table, documents.settings)
        self.sql_writer = sql_writer  # a model id -> the Bedrock SQL writer
        self.documents = documents
        self.secrets = secrets
        self.repository = DatabaseRepository(self.table)

    # --- connections ----------------------------------------------------------------------------------
    def create(self, principal: Principal, body: DatabaseConnectionCreate) -> dict[str, Any]:
        """201 ``{connection}``: vetted, connected once, its URL in Secrets Manager; a 400 stores nothing."""
        principal.require("write")
        agent = self.documents.agents.read(principal.company_id, body.agent_id)[1]
        vetted = db.vet_url(body.url, local_mode=self.settings.local_mode, database_type=body.database_type.lower())
        db.test_connection(vetted)
        connection_id, stamp = new_id(), iso()
        secret_name = self.secrets.name(principal.company_id, connection_id)
        self.secrets.put(secret_name, vetted.url)
        connection = DatabaseConnection(
            id=connection_id,
            company_id=principal.company_id,
            agent_id=agent.id,
            name=body.name,
            database_type=vetted.database_type,
            url=vetted.masked,
            secret_name=secret_name,
            connection_params=body.connection_params,
            created_at=stamp,
            updated_at=stamp,
        )
        self.repository.save(connection)
        return {"connection": connection.public(), "message": "Database connection created."}

    def update(self, principal: Principal, connection_id: str, body: DatabaseConnectionUpdate) -> dict[str, Any]:
        """Change the name, parameters or URL (a new URL is vetted and connected first; a 400 changes nothing)."""
        principal.require("write", "PUT")
        connection = self._connection(principal.company_id, connection_id)
        changes: dict[str, Any] = body.model_dump(exclude_none=True, exclude={"url", "database_type"})
        if body.url is not None:
            kind = (body.database_type or connection.database_type).lower()
            vetted = db.vet_url(body.url, local_mode=self.settings.local_mode, database_type=kind)
            db.test_connection(vetted)
            self.secrets.put(connection.secret_name, vetted.url)
            changes |= {"url": vetted.masked, "database_type": vetted.database_type, "status": "connected"}
            changes |= {"last_error": None, "tables": [], "last_analyzed_at": None}
        updated = self._save(connection, **changes)
        return {"connection": updated.public(), "message": "Database connection updated."}

    def analyze_all(self, principal: Principal, agent_id: str | None = None) -> dict[str, Any]:
        """Analyze every live connection of the company (or of one of its agents); one that fails is reported,
        not raised."""
        principal.require("write")
        if agent_id is not None:
            self.documents.agents.read(principal.company_id, agent_id)  # 404 for an unknown or another tenant's agent
        analyzed, failed = [], []
        for connection in self.repository.all(principal.company_id):
            if connection.deleted_at or (agent_id is not None and connection.agent_id != agent_id):
                continue
            try:
                tables = db.analyze(self._url(connection))
            except ValidationFailed as exc:
                self._save(connection, status="failed", last_error=exc.message)
                failed.append({"connection_id": connection.id, "error": exc.message})
                continue
            analyzed.append(self._save(connection, tables=tables, last_analyzed_at=iso(), status="connected").public())
        return {"connections": analyzed, "failed": failed, "message": f"Analyzed {len(analyzed)} connection(s)."}

    def list_connections(self, principal: Principal, agent_id: str | None = None) -> dict[str, Any]:
        principal.require("read")
        if agent_id is not None:
            self.documents.agents.read(principal.company_id, agent_id)  # 404 for an unknown or another tenant's agent
        found = [
            c.public()
            for c in self.repository.all(principal.company_id)
            if not c.deleted_at and (agent_id is None or c.agent_id == agent_id)
        ]
        return {"connections": found, "total": len(found)}

    def get(self, principal: Principal, connection_id: str) -> dict[str, Any]:
        principal.require("read")
        return {"connection": self._connection(principal.company_id, connection_id).public()}

    def test(self, principal: Principal, connection_id: str) -> dict[str, Any]:
        """``{success, message}``; a failed test is a 400 and marks the connection ``failed``."""
        principal.require("write")
        connection = self._connection(principal.company_id, connection_id)
        try:
            db.test_connection(self._url(connection))
        except db.DatabaseError as exc:
            self._save(connection, status="failed", last_error=exc.message)
            raise
        self._save(connection, status="connected", last_error=None)
        return {"success": True, "message": "Connection successful.", "connection_id": connection.id}

    def analyze(self, principal: Principal, connection_id: str) -> dict[str, Any]:
        """Tables, columns and row counts, stored on the connection."""
        principal.require("write")
        connection = self._connection(principal.company_id, connection_id)
        tables = db.analyze(self._url(connection))
        updated = self._save(connection, tables=tables, last_analyzed_at=iso(), status="connected")
        return {"connection": updated.public(), "tables": tables, "message": f"Analyzed {len(tables)} table(s)."}

    def tables(self, principal: Principal, connection_id: str) -> dict[str, Any]:
        principal.require("read")
        connection = self._connection(principal.company_id, connection_id)
        return {"connection_id": connection.id, "tables": connection.tables, "total": len(connection.tables)}

    def delete(self, principal: Principal, connection_id: str) -> dict[str, Any]:
        """Soft delete; the secret is deleted and the exported documents leave search."""
        principal.require("write", "DELETE")
        connection = self._connection(principal.company_id, connection_id)
        removed = self.documents.remove_quietly(principal, connection.exported_document_ids)
        self.secrets.delete(connection.secret_name)
        self._save(connection, deleted_at=iso(), is_active=False, exported_document_ids=[])
        return {"message": "Database connection deleted.", "connection_id": connection.id, "deleted_documents": removed}

    # --- export and search ----------------------------------------------------------------------------
    def export(self, principal: Principal, body: DatabaseExport) -> dict[str, Any]:
        """202: the chosen (default: every analyzed) table's rows become documents, queued for ingest; a new export
        replaces the previous one's documents."""
        principal.require("write")
        connection = self._connection(principal.company_id, body.connection_id)
        vetted = self._url(connection)
        if not connection.tables:
            connection = self._save(connection, tables=db.analyze(vetted), last_analyzed_at=iso())
        known = {t["name"]: t for t in connection.tables}
        chosen = body.table_names or list(known)
        unknown = [name for name in chosen if name not in known]
        if unknown:
            raise ValidationFailed(
                f"Unknown table(s): {', '.join(unknown)}.", details={"errors": {"table_names": unknown}}
            )
        texts = []
        for name in chosen:
            texts += _row_texts(
                connection, known[name], db.rows(vetted, name, _columns(known[name]), body.limit_per_table)
            )
        made = self.documents.add_texts(exporter(connection), connection.agent_id, texts) if texts else []
        self.documents.remove_quietly(principal, connection.exported_document_ids)
        self._save(connection, exported_document_ids=[d.id for d in made], last_exported_at=iso())
        return {
            "message": f"Exporting {len(chosen)} table(s) as {len(made)} document(s).",
            "connection_id": connection.id,
            "tables": chosen,
            "documents": [d.public() for d in made],
            "task_ids": [d.task_id for d in made],
            "status": "queued",
        }

    def search(self, principal: Principal, body: DatabaseSearch) -> dict[str, Any]:
        """SQL runs validated and read-only on one connection; a question becomes that SQL when the connection's
        agent answers with Bedrock, and otherwise searches the exported rows."""
        principal.require("read")
        started = time.perf_counter()
        target: DatabaseConnection | None
        if _looks_like_sql(body.query):
            target, mode = self._one(principal.company_id, body.connection_id), "sql"
            sql: str | None = self._run(target, body.query, body.limit)
        else:
            target, model = self._bedrock_connection(principal.company_id, body.connection_id)
            mode, sql = "exported_rows", None
            if target is not None and model:
                written = self.sql_writer(model).write(body.query, target.database_type, target.tables, body.limit)
                mode, sql = "text_to_sql", self._run(target, written, body.limit)
        if target is not None and sql is not None:
            results = {target.name: db.run_select(self._url(target), sql)}
        else:
            results = self._search_rows(principal, body)
        return {
            "query": body.query,
            "mode": mode,
            "sql": sql,
            "results": results,
            "total_results": sum(len(v) for v in results.values()),
            "execution_time": round(time.perf_counter() - started, 4),
        }

    def _run(self, connection: DatabaseConnection, sql: str, limit: int) -> str:
        """The validated statement (the gate every query passes, the client's or the model's)."""
        return db.read_only_select(sql, connection.database_type, {t["name"] for t in connection.tables}, limit)

    def _bedrock_connection(
        self, company_id: str, connection_id: str | None
    ) -> tuple[DatabaseConnection | None, str | None]:
        """The connection a question goes to as SQL, and the model: one whose agent answers with Bedrock."""
        live = [c for c in self.repository.all(company_id) if not c.deleted_at and c.tables]
        if connection_id:
            live = [c for c in live if c.id == connection_id]
        for connection in live:
            model = self._model(connection)
            if model:
                return connection, model
        return None, None

    def _model(self, connection: DatabaseConnection) -> str | None:
        from knowrithm_core.responder.bedrock import uses_bedrock

        agent = self.documents.agents.read(connection.company_id, connection.agent_id, include_deleted=True)[1]
        if uses_bedrock(agent) and agent.settings is not None and agent.settings.llm_model_name:
            return agent.settings.llm_model_name
        return self.settings.bedrock_model_id if self.settings.responder == "bedrock" else None

    def _search_rows(self, principal: Principal, body: DatabaseSearch) -> dict[str, list[dict[str, Any]]]:
        connections = [c for c in self.repository.all(principal.company_id) if not c.deleted_at]
        if body.connection_id:
            connections = [self._connection(principal.company_id, body.connection_id)]
        results: dict[str, list[dict[str, Any]]] = {}
        for connection in connections:
            exported = set(connection.exported_document_ids)
            found = self.documents.search(
                principal, {"query": body.query, "agent_id": connection.agent_id, "limit": 50}
            )
            hits = [
                {
                    "document_id": h["document_id"],
                    "document_name": h["document_name"],
                    "content": h.get("content"),
                    "score": h.get("score"),
                }
                for h in found["results"]
                if h["document_id"] in exported
            ]
            if hits:
                results[connection.name] = hits[: body.limit]
        return results

    # --- helpers --------------------------------------------------------------------------------------
    def _connection(self, company_id: str, connection_id: str) -> DatabaseConnection:
        found = self.repository.get(company_id, connection_id) if is_uuid(connection_id) else None
        if found is None or found.deleted_at:
            raise NotFound("Database connection not found.")
        return found

    def _one(self, company_id: str, connection_id: str | None) -> DatabaseConnection:
        if connection_id:
            connection = self._connection(company_id, connection_id)
        else:
            live = [c for c in self.repository.all(company_id) if not c.deleted_at]
            if len(live) != 1:
                raise ValidationFailed("Name the connection_id to run SQL on.")
            connection = live[0]
        if not connection.tables:
            raise ValidationFailed("Analyze the connection first (POST /database-connection/{id}/analyze).")
        return connection

    def _url(self, connection: DatabaseConnection) -> db.DatabaseUrl:
        """The stored URL, vetted again (the host may resolve elsewhere now)."""
        return db.vet_url(self.secrets.get(connection.secret_name), local_mode=self.settings.local_mode)

    def _save(self, connection: DatabaseConnection, **changes: Any) -> DatabaseConnection:
        updated = connection.model_copy(update={**changes, "updated_at": iso()})
        self.repository.save(updated)
        return updated


def exporter(connection: DatabaseConnection) -> Principal:
    """Who an export's documents are made by: the connection's company, with the write scope."""
    return Principal("api_key", connection.company_id, "database-export", frozenset({"read", "write"}), "user")


def _looks_like_sql(query: str) -> bool:
    first = query.strip().split(None, 1)[0].lower().lstrip("(") if query.strip() else ""
    return first in SQL_VERBS


def _columns(table: dict[str, Any]) -> list[str]:
    return [str(c["name"]) for c in table["columns"]]


def _row_texts(connection: DatabaseConnection, table: dict[str, Any], rows: list[dict[str, Any]]) -> list[SourcedText]:
    """Documents of 25 rows each; every row is one paragraph starting ``table/row <key>:``."""
    name = str(table["name"])
    keys = [str(c["name"]) for c in table["columns"] if c.get("primary_key")]
    texts = []
    for start in range(0, len(rows), ROWS_PER_DOCUMENT):
        group = rows[start : start + ROWS_PER_DOCUMENT]
        lines = []
        for offset, row in enumerate(group, start=start + 1):
            key = ",".join(str(row.get(k)) for k in keys) if keys else str(offset)
            values = "; ".join(f"{column}: {value}" for column, value in row.items())
            lines.append(f"{name}/row {key}: {values}")
        label = f"{name} rows {start + 1}-{start + len(group)}"
        source = f"database://{connection.id}/{name}?rows={start + 1}-{start + len(group)}"
        meta = {"database_connection_id": connection.id, "table": name}
        texts.append(SourcedText(label, f"# {connection.name}: {label}\n\n" + "\n\n".join(lines), source, meta))
    return texts
