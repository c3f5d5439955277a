"""What a repository needs of a table: :class:`~.table.DynamoTable` in production, :class:`~.memory.MemoryTable`
in fast tests and benchmarks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from knowrithm_core.store.expressions import Key, Update, WriteOp

Item = dict[str, Any]


class Table(Protocol):
    table_name: str

    def get(self, pk: str, sk: str) -> Item | None: ...

    def batch_get(self, item_keys: Sequence[Key], *, attempts: int = 8) -> dict[Key, Item]: ...

    def query(
        self,
        pk: str,
        *,
        sk_prefix: str | None = None,
        index: str | None = None,
        forward: bool = True,
        limit: int | None = None,
        sk_between: tuple[str, str] | None = None,
    ) -> list[Item]: ...

    def query_once(
        self,
        pk: str,
        *,
        limit: int,
        index: str | None = None,
        sk_prefix: str | None = None,
        forward: bool = True,
        start_key: Mapping[str, str] | None = None,
        keys_only: bool = False,
        live_only: bool = False,
    ) -> tuple[list[Item], Item | None]: ...

    def scan_once(
        self, *, limit: int, start_key: Mapping[str, Any] | None = None
    ) -> tuple[list[Item], Item | None]: ...

    def write(self, ops: Sequence[WriteOp]) -> None: ...

    def update_returning(self, op: Update) -> Item: ...

    def batch_put(self, items: Sequence[Mapping[str, Any]], *, attempts: int = 8) -> None: ...
