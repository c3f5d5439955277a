"""Connected databases (PostgreSQL, MySQL, SQLite through SQLAlchemy): URL vetting, test, analyze, rows, and
read-only SQL.

- URLs: only ``postgresql`` (psycopg 3), ``mysql`` (PyMySQL) and ``sqlite`` (files; local mode only, as a file
  path on a Lambda is no tenant's). The host must resolve to a public address, like a webhook's (the SSRF policy
  of :mod:`knowrithm_core.net.url_safety`); loopback in local mode and hosts in ``DATABASE_ALLOWED_HOSTS`` pass.
  PostgreSQL connects to the checked address (``hostaddr``), which closes the DNS-rebinding gap.
- SQL: :func:`read_only_select` parses with sqlglot: exactly one SELECT (or UNION of SELECTs), no write or DDL
  node anywhere (CTEs included), only the allowed tables, a LIMIT clamped to ``max_rows``. It then runs in a
  read-only transaction with a statement timeout (PostgreSQL, MySQL) or ``PRAGMA query_only`` (SQLite).
  The real boundary is still a SELECT-only database role: the docs say so.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from typing import Any

from knowrithm_core.errors import ValidationFailed
from knowrithm_core.net.url_safety import UnsafeUrl, is_public, system_resolver

DRIVERS = {"postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql", "sqlite": "sqlite"}
DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}
CONNECT_TIMEOUT = 5
STATEMENT_TIMEOUT_MS = 5000


class DatabaseError(ValidationFailed):
    """The database could not be reached or refused us: a 400 naming why (never the password)."""

    error_code = "database_connection_failed"


class UnsafeQuery(ValidationFailed):
    error_code = "query_not_allowed"


@dataclass(frozen=True)
class DatabaseUrl:
    """A vetted URL: its SQLAlchemy form, the masked one to show, its kind and the checked address."""

    url: str
    masked: str
    database_type: str
    address: str | None


def vet_url(raw: str, *, local_mode: bool, database_type: str | None = None) -> DatabaseUrl:
    """Parse and check a database URL; raise a 400 for a bad, unsupported or private one."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(raw.strip())
    except (ArgumentError, ValueError) as exc:
        raise ValidationFailed("The database URL is not valid.") from exc
    kind = url.get_backend_name()
    if kind not in DRIVERS or (database_type and database_type != kind):
        raise ValidationFailed(f"Unsupported database type '{database_type or kind}': use postgresql, mysql or sqlite.")
    url = url.set(drivername=DRIVERS[kind])
    masked = url.render_as_string(hide_password=True)
    if kind == "sqlite":
        if not local_mode:
            raise ValidationFailed("SQLite files can be connected only in local mode.")
        return DatabaseUrl(url.render_as_string(hide_password=False), masked, kind, None)
    if not url.host:
        raise ValidationFailed("The database URL has no host.")
    address = _checked_address(url.host, url.port or DEFAULT_PORTS[kind], local_mode)
    return DatabaseUrl(url.render_as_string(hide_password=False), masked, kind, address)


def _checked_address(host: str, port: int, local_mode: bool) -> str:
    allowed = {h.strip().lower() for h in os.environ.get("DATABASE_ALLOWED_HOSTS", "").split(",") if h.strip()}
    try:
        addresses = system_resolver(host, port)
    except UnsafeUrl as exc:
        raise DatabaseError(exc.message) from exc
    for raw in addresses:
        address = ipaddress.ip_address(raw.split("%")[0])
        if host.lower() not in allowed and raw not in allowed and not is_public(address, allow_loopback=local_mode):
            raise ValidationFailed(f"The database host '{host}' resolves to a private or reserved address; refused.")
    return addresses[0]


def engine_for(db: DatabaseUrl) -> Any:
    """A pool-less engine with connect and statement timeouts (PostgreSQL pinned to the checked address)."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    args: dict[str, Any] = {}
    if db.database_type == "postgresql":
        args = {"connect_timeout": CONNECT_TIMEOUT, "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"}
        if db.address:
            args["hostaddr"] = db.address
    elif db.database_type == "mysql":
        args = {"connect_timeout": CONNECT_TIMEOUT, "read_timeout": STATEMENT_TIMEOUT_MS // 1000}
    else:
        args = {"timeout": CONNECT_TIMEOUT}
    return create_engine(db.url, poolclass=NullPool, connect_args=args)


def describe_failure(exc: Exception) -> str:
    """The driver's reason without the URL or password (first line only)."""
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
    return text[:300]


def test_connection(db: DatabaseUrl) -> None:
    """``SELECT 1``; a :class:`DatabaseError` (400) with the driver's reason otherwise."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    engine = engine_for(db)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise DatabaseError(f"The database refused the connection: {describe_failure(exc)}") from exc
    finally:
        engine.dispose()


def analyze(db: DatabaseUrl, max_tables: int = 100) -> list[dict[str, Any]]:
    """Every table's name, columns (name, type, nullable, primary key) and row count."""
    from sqlalchemy import func, inspect, select, table
    from sqlalchemy.exc import SQLAlchemyError

    engine = engine_for(db)
    try:
        with engine.connect() as connection:
            inspector = inspect(connection)
            tables = []
            for name in inspector.get_table_names()[:max_tables]:
                keys = set(inspector.get_pk_constraint(name).get("constrained_columns") or [])
                columns = [
                    {
                        "name": c["name"],
                        "type": str(c["type"]),
                        "nullable": bool(c.get("nullable", True)),
                        "primary_key": c["name"] in keys,
                    }
                    for c in inspector.get_columns(name)
                ]
                count = connection.execute(select(func.count()).select_from(table(name))).scalar_one()
                tables.append({"name": name, "columns": columns, "row_count": int(count)})
            return tables
    except SQLAlchemyError as exc:
        raise DatabaseError(f"The database could not be analyzed: {describe_failure(exc)}") from exc
    finally:
        engine.dispose()


def rows(db: DatabaseUrl, table_name: str, columns: list[str], limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` rows of one (analyzed) table, in a read-only transaction."""
    from sqlalchemy import column, select, table

    query: Any = select(*[column(c) for c in columns]).select_from(table(table_name)).limit(limit)
    return _read_only(db, query)


def read_only_select(sql: str, dialect: str, allowed_tables: set[str], max_rows: int) -> str:
    """The validated statement (a LIMIT of at most ``max_rows`` added or clamped); :class:`UnsafeQuery` if not."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError

    read = {"postgresql": "postgres", "mysql": "mysql", "sqlite": "sqlite"}[dialect]
    try:
        statements = [s for s in sqlglot.parse(sql, read=read) if s is not None]
    except ParseError as exc:
        raise UnsafeQuery("The query is not valid SQL.") from exc
    if len(statements) != 1:
        raise UnsafeQuery("Send exactly one SELECT statement.")
    [tree] = statements
    if not isinstance(tree, exp.Select | exp.Union):
        raise UnsafeQuery("Only SELECT queries are allowed; this database is read-only here.")
    writes = (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Drop, exp.Alter, exp.Command, exp.Into)
    if any(True for _ in tree.find_all(*writes)):
        raise UnsafeQuery("Only SELECT queries are allowed; this database is read-only here.")
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    used = {t.name.lower() for t in tree.find_all(exp.Table)} - ctes
    refused = used - {t.lower() for t in allowed_tables}
    if refused:
        raise UnsafeQuery(f"The query reads tables that are not allowed: {', '.join(sorted(refused))}.")
    limit = tree.args.get("limit")
    current = limit.expression if limit is not None else None
    if not (isinstance(current, exp.Literal) and current.is_int and int(current.this) <= max_rows):
        tree = tree.limit(max_rows)
    return str(tree.sql(dialect=read))


def run_select(db: DatabaseUrl, sql: str) -> list[dict[str, Any]]:
    """Run a statement :func:`read_only_select` returned, read-only and with a timeout."""
    from sqlalchemy import text

    return _read_only(db, text(sql))


def _read_only(db: DatabaseUrl, statement: Any) -> list[dict[str, Any]]:
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    engine = engine_for(db)
    try:
        with engine.connect() as connection:
            if db.database_type == "postgresql":
                connection.execute(text("SET TRANSACTION READ ONLY"))
                connection.execute(text(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}"))
            elif db.database_type == "mysql":
                connection.execute(text(f"SET SESSION MAX_EXECUTION_TIME = {STATEMENT_TIMEOUT_MS}"))
                connection.execute(text("SET SESSION TRANSACTION READ ONLY"))
            else:
                connection.execute(text("PRAGMA query_only = ON"))
            result = connection.execute(statement)
            found = [dict(row._mapping) for row in result.fetchmany(1000)]
            connection.rollback()
            return [{k: _plain(v) for k, v in row.items()} for row in found]
    except SQLAlchemyError as exc:
        raise DatabaseError(f"The query failed: {describe_failure(exc)}") from exc
    finally:
        engine.dispose()


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)
