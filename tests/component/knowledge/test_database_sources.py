"""Database sources through the API against a real PostgreSQL (started here, in a temp dir) and a SQLite file.

MySQL has no server on this machine: its URLs are covered by the vetting tests in tests/unit/knowledge.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from fastapi.testclient import TestClient

from knowrithm_core.container import Services
from knowrithm_core.knowledge.text_to_sql import SqlWriter
from tests.component.knowledge.conftest import Pump
from tests.postgres_server import PASSWORD, Postgres, binaries, running_postgres
from tests.stack import Tenant

SEED = """
CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, plan text NOT NULL);
INSERT INTO customers (name, plan) VALUES ('Ada Lovelace', 'pro'), ('Bob Kiln', 'free'), ('Cleo Glaze', 'pro');
CREATE TABLE orders (id serial PRIMARY KEY, customer_id int, total numeric(8, 2));
INSERT INTO orders (customer_id, total) VALUES (1, 120.50), (3, 42.00);
"""


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    found = binaries()
    if found is None:
        pytest.skip("no PostgreSQL binaries (make postgres installs them)")
    import psycopg

    with running_postgres(found) as server:
        with psycopg.connect(server.url()) as connection:
            connection.execute(SEED)  # type: ignore[call-overload]  # a literal script
        yield server


def _create(client: TestClient, tenant: Tenant, url: str, database_type: str = "postgresql") -> Any:
    body = {"name": "Shop", "database_type": database_type, "url": url, "agent_id": tenant.agent_id}
    return client.post("/api/v1/database-connection", headers=tenant.key_headers, json=body)


def _connections(client: TestClient, tenant: Tenant) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.get("/api/v1/database-connection", headers=tenant.key_headers).json()[
        "connections"
    ]
    return found


def _search(client: TestClient, tenant: Tenant, query: str, **extra: Any) -> Any:
    body = {"query": query, **extra}
    return client.post("/api/v1/search/database", headers=tenant.key_headers, json=body)


def _count_customers(postgres: Postgres) -> int:
    import psycopg

    with psycopg.connect(postgres.url()) as connection:
        row = connection.execute("SELECT count(*) FROM customers").fetchone()
        return int(row[0]) if row else -1


def test_a_connection_is_analyzed_searched_read_only_and_its_password_never_returned(
    kb_client: TestClient, kb_services: Services, tenant: Tenant, postgres: Postgres
) -> None:
    # GIVEN a PostgreSQL connection made through the API
    response = _create(kb_client, tenant, postgres.url())
    assert response.status_code == 201, response.text
    connection = response.json()["connection"]
    # THEN the API shows the URL masked, and the password sits only in Secrets Manager
    assert PASSWORD not in response.text and connection["url"].endswith(f"***@127.0.0.1:{postgres.port}/shop")
    secret = boto3.client("secretsmanager").list_secrets()["SecretList"]
    assert any(connection["id"] in s["Name"] for s in secret)
    assert PASSWORD not in kb_client.get("/api/v1/database-connection", headers=tenant.key_headers).text
    # WHEN it is tested and analyzed
    base = f"/api/v1/database-connection/{connection['id']}"
    assert kb_client.post(f"{base}/test", headers=tenant.key_headers).json()["success"] is True
    analyzed = kb_client.post(f"{base}/analyze", headers=tenant.key_headers).json()
    # THEN the tables, their columns and row counts are known
    tables = {t["name"]: t for t in analyzed["tables"]}
    assert tables["customers"]["row_count"] == 3 and tables["orders"]["row_count"] == 2
    assert [c["name"] for c in tables["customers"]["columns"]] == ["id", "name", "plan"]
    # WHEN a SELECT is sent THEN it runs with a LIMIT enforced
    found = _search(kb_client, tenant, "SELECT name FROM customers WHERE plan = 'pro' ORDER BY id", limit=1).json()
    assert found["mode"] == "sql" and found["results"]["Shop"] == [{"name": "Ada Lovelace"}]
    assert found["sql"].endswith("LIMIT 1")
    # WHEN writes, other tables or several statements are sent THEN each is a 400 and nothing changed
    for sql in (
        "DELETE FROM customers",
        "WITH gone AS (DELETE FROM customers RETURNING *) SELECT * FROM gone",
        "SELECT * FROM pg_catalog.pg_authid",
        "SELECT 1; DROP TABLE customers",
        "UPDATE customers SET plan = 'free'",
    ):
        refused = _search(kb_client, tenant, sql, connection_id=connection["id"])
        assert refused.status_code == 400, sql
        assert refused.json()["error_code"] == "query_not_allowed"
    assert _count_customers(postgres) == 3


def _reply(text: str) -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15},
        "metrics": {"latencyMs": 12},
    }


def test_with_bedrock_a_question_becomes_one_validated_select(
    kb_client: TestClient, kb_services: Services, tenant: Tenant, postgres: Postgres
) -> None:
    # GIVEN an analyzed connection, Bedrock as the responder, and a model (botocore's Stubber) that answers with SQL
    connection = _create(kb_client, tenant, postgres.url()).json()["connection"]
    kb_client.post(f"/api/v1/database-connection/{connection['id']}/analyze", headers=tenant.key_headers)
    service = kb_services.databases
    service.settings = replace(service.settings, responder="bedrock", bedrock_model_id="amazon.nova-lite-v1:0")
    client = boto3.client("bedrock-runtime", region_name="us-east-1")
    stub = Stubber(client)
    stub.add_response("converse", _reply("```sql\nSELECT name FROM customers WHERE plan = 'pro' ORDER BY id;\n```"))
    stub.add_response("converse", _reply("DELETE FROM customers"))
    service.sql_writer = lambda model: SqlWriter(model, client=client)
    with stub:
        # WHEN a question is searched
        found = _search(kb_client, tenant, "Who is on the pro plan?", limit=10).json()
        # THEN the model's SELECT ran through the gate (a LIMIT added) and answered
        assert found["mode"] == "text_to_sql" and found["sql"].endswith("LIMIT 10")
        assert found["results"]["Shop"] == [{"name": "Ada Lovelace"}, {"name": "Cleo Glaze"}]
        # WHEN the model writes a DELETE THEN it is refused like a client's, and nothing changed
        refused = _search(kb_client, tenant, "Remove every customer")
        assert refused.status_code == 400 and refused.json()["error_code"] == "query_not_allowed"
    assert _count_customers(postgres) == 3


def test_exported_rows_become_documents_cited_by_table_and_row(
    kb_client: TestClient, tenant: Tenant, pump_ingest: Pump, postgres: Postgres
) -> None:
    # GIVEN a connection whose customers table is exported
    connection = _create(kb_client, tenant, postgres.url()).json()["connection"]
    body = {"connection_id": connection["id"], "table_names": ["customers"]}
    exported = kb_client.post("/api/v1/database-connection/export", headers=tenant.key_headers, json=body)
    assert exported.status_code == 202, exported.text
    assert [d["original_filename"] for d in exported.json()["documents"]] == ["customers rows 1-3"]
    # WHEN the documents are ingested and a question (not SQL) is searched
    pump_ingest(rounds=2)
    found = _search(kb_client, tenant, "Which customer is called Cleo?").json()
    # THEN the exported rows answer, each row cited as table/row
    assert found["mode"] == "exported_rows"
    [hit] = found["results"]["Shop"]
    assert "customers/row 3: id: 3; name: Cleo Glaze; plan: pro" in hit["content"]
    # AND deleting the connection removes its documents
    deleted = kb_client.delete(f"/api/v1/database-connection/{connection['id']}", headers=tenant.key_headers)
    assert deleted.json()["deleted_documents"] == 1 and _connections(kb_client, tenant) == []


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("BAD_PASSWORD", "database_connection_failed"),
        ("postgresql://u:p@10.1.2.3:5432/db", "validation_error"),
        ("postgresql://u:p@169.254.169.254/db", "validation_error"),
        ("mongodb://u:p@example.com/db", "validation_error"),
        ("not a url", "validation_error"),
    ],
)
def test_bad_connections_are_400_and_store_nothing(
    kb_client: TestClient, tenant: Tenant, postgres: Postgres, url: str, code: str
) -> None:
    # GIVEN a wrong password, a private or metadata host, an unsupported or malformed URL
    url = postgres.url("wrong-password") if url == "BAD_PASSWORD" else url
    # WHEN a connection is created
    response = _create(kb_client, tenant, url)
    # THEN it is a clear 400 (never echoing the password) and nothing is stored
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error_code"] == code and {"detail", "error", "message"} <= set(body)
    assert "wrong-password" not in response.text
    assert _connections(kb_client, tenant) == []


def test_a_sqlite_file_is_analyzed_and_queried_read_only(kb_client: TestClient, tenant: Tenant, tmp_path: Path) -> None:
    # GIVEN a SQLite file (allowed in local mode)
    path = tmp_path / "kiln.db"
    with sqlite3.connect(path) as db:
        db.executescript(
            "CREATE TABLE firings (id INTEGER PRIMARY KEY, day TEXT); INSERT INTO firings VALUES (1, 'Thu');"
        )
    connection = _create(kb_client, tenant, f"sqlite:///{path}", "sqlite").json()["connection"]
    kb_client.post(f"/api/v1/database-connection/{connection['id']}/analyze", headers=tenant.key_headers)
    # WHEN read and written THEN the read answers and the write is refused
    assert _search(kb_client, tenant, "SELECT day FROM firings").json()["results"]["Shop"] == [{"day": "Thu"}]
    assert _search(kb_client, tenant, "DELETE FROM firings").status_code == 400
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM firings").fetchone() == (1,)


def test_an_update_with_a_bad_password_changes_nothing_and_analyze_all_reports_each(
    kb_client: TestClient, tenant: Tenant, postgres: Postgres
) -> None:
    # GIVEN a working connection
    connection = _create(kb_client, tenant, postgres.url()).json()["connection"]
    path = f"/api/v1/database-connection/{connection['id']}"
    # WHEN its URL is changed to one with a wrong password
    refused = kb_client.put(path, headers=tenant.key_headers, json={"url": postgres.url("nope"), "name": "Other"})
    # THEN it is a 400, and the name and the stored URL still work
    assert refused.status_code == 400 and refused.json()["error_code"] == "database_connection_failed"
    assert kb_client.get(path, headers=tenant.key_headers).json()["connection"]["name"] == "Shop"
    assert kb_client.post(f"{path}/test", headers=tenant.key_headers).json()["success"] is True
    # WHEN only the name changes (PATCH) and every connection is analyzed
    renamed = kb_client.patch(path, headers=tenant.key_headers, json={"name": "Shop DB"}).json()["connection"]
    analyzed = kb_client.post("/api/v1/database-connection/analyze", headers=tenant.key_headers).json()
    # THEN the name changed and the analysis covers the connection
    assert renamed["name"] == "Shop DB" and analyzed["failed"] == []
    assert {t["name"] for t in analyzed["connections"][0]["tables"]} == {"customers", "orders"}
