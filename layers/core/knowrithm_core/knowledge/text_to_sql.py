"""A question about a connected database -> one SQL SELECT, written by a Bedrock model (Converse).

The model sees the analyzed schema (tables, columns, row counts) and is asked for a single read-only SELECT.
What it writes is never trusted: the caller passes it through
:func:`knowrithm_core.knowledge.databases.read_only_select` like any query a client sends.
"""

from __future__ import annotations

import re
from typing import Any

from knowrithm_core.errors import ServiceUnavailable
from knowrithm_core.responder.bedrock import converse_text

FENCE = re.compile(r"```(?:sql)?\s*(.*?)```", re.IGNORECASE | re.DOTALL)
MAX_SCHEMA_CHARS = 12000


def schema_text(tables: list[dict[str, Any]]) -> str:
    lines = []
    for table in tables:
        columns = ", ".join(f"{c['name']} {c['type']}" for c in table.get("columns", []))
        lines.append(f"{table['name']}({columns})  -- {table.get('row_count', '?')} rows")
    return "\n".join(lines)[:MAX_SCHEMA_CHARS]


def prompt(dialect: str, tables: list[dict[str, Any]], max_rows: int) -> str:
    return (
        f"You write one read-only {dialect} SELECT statement answering the user's question about this schema:\n"
        f"{schema_text(tables)}\n"
        f"Rules: a single SELECT (no INSERT, UPDATE, DELETE, DDL or several statements), only these tables, "
        f"LIMIT {max_rows} or less. Answer with the SQL only."
    )


def extract_sql(text: str) -> str:
    """The SQL in a model's answer (inside a code fence if there is one)."""
    fenced = FENCE.search(text)
    return (fenced.group(1) if fenced else text).strip().rstrip(";").strip()


class SqlWriter:
    """Asks a Bedrock model (``model_id``) for the SELECT answering a question."""

    def __init__(self, model_id: str, client: Any = None) -> None:
        self.model_id = model_id
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("bedrock-runtime")
        return self._client

    def write(self, question: str, dialect: str, tables: list[dict[str, Any]], max_rows: int) -> str:
        request = {
            "modelId": self.model_id,
            "system": [{"text": prompt(dialect, tables, max_rows)}],
            "messages": [{"role": "user", "content": [{"text": question}]}],
            "inferenceConfig": {"maxTokens": 500, "temperature": 0},
        }
        try:
            response = self.client.converse(**request)
        except Exception as exc:  # noqa: BLE001 - throttling, access, network: a 503 naming the cause
            raise ServiceUnavailable(f"The model could not write the query ({type(exc).__name__}).") from exc
        sql = extract_sql(converse_text(response))
        if not sql:
            raise ServiceUnavailable("The model wrote no query.")
        return sql
