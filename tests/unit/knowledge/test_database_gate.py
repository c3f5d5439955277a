"""Database URL vetting (incl. MySQL, which has no server here) and the sqlglot read-only gate, without a database."""

from __future__ import annotations

import pytest

from knowrithm_core.errors import ValidationFailed
from knowrithm_core.knowledge.databases import UnsafeQuery, read_only_select, vet_url


def test_mysql_urls_get_the_pymysql_driver_and_a_masked_form() -> None:
    # GIVEN a MySQL URL on loopback (allowed in local mode) WHEN vetted
    vetted = vet_url("mysql://shop:hunter2@127.0.0.1:3306/shop", local_mode=True)
    # THEN it uses PyMySQL, the password is masked, and the checked address is kept
    assert vetted.url.startswith("mysql+pymysql://shop:hunter2@") and vetted.database_type == "mysql"
    assert vetted.masked == "mysql+pymysql://shop:***@127.0.0.1:3306/shop" and vetted.address == "127.0.0.1"


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("mysql://u:p@127.0.0.1/db", False),  # loopback outside local mode
        ("postgresql://u:p@10.0.0.5/db", True),  # private
        ("postgresql://u:p@[::ffff:169.254.169.254]/db", True),  # metadata, IPv4-mapped
        ("sqlite:////etc/passwd", False),  # files only in local mode
        ("oracle://u:p@example.com/db", True),  # unsupported
        ("::::", True),  # not a URL
    ],
)
def test_unsafe_or_unsupported_urls_are_refused(url: str, local: bool) -> None:
    with pytest.raises(ValidationFailed):
        vet_url(url, local_mode=local)


def test_an_allowlisted_host_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_ALLOWED_HOSTS", "127.0.0.1")
    assert vet_url("mysql://u:p@127.0.0.1/db", local_mode=False).address == "127.0.0.1"


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_a_select_gets_a_limit_and_keeps_a_smaller_one(dialect: str) -> None:
    assert read_only_select("SELECT name FROM customers", dialect, {"customers"}, 50).endswith("LIMIT 50")
    assert read_only_select("SELECT name FROM customers LIMIT 5", dialect, {"customers"}, 50).endswith("LIMIT 5")
    assert read_only_select("SELECT name FROM customers LIMIT 9999", dialect, {"customers"}, 50).endswith("LIMIT 50")


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO customers VALUES (1)",
        "UPDATE customers SET name = 'x'",
        "DELETE FROM customers",
        "DROP TABLE customers",
        "SELECT 1; SELECT 2",
        "SELECT * INTO copy FROM customers",
        "SELECT * FROM mysql.user",
        "SELECT * FROM customers JOIN secrets ON 1 = 1",
        "LOAD DATA INFILE '/etc/passwd' INTO TABLE customers",
        "this is not sql at all (",
    ],
)
def test_writes_other_tables_and_several_statements_are_refused(sql: str) -> None:
    with pytest.raises(UnsafeQuery):
        read_only_select(sql, "mysql", {"customers"}, 50)


def test_a_cte_name_is_not_taken_for_a_table() -> None:
    sql = "WITH pro AS (SELECT * FROM customers WHERE plan = 'pro') SELECT name FROM pro"
    assert "FROM pro" in read_only_select(sql, "postgresql", {"customers"}, 10)
