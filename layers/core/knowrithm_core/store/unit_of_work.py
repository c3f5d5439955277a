"""A unit of work: collect the writes of one use case, commit them together.

Repositories add typed writes (:mod:`.expressions`); :meth:`UnitOfWork.commit` sends them as one
TransactWriteItems, or as one plain conditional write when there is a single one (half the write capacity,
as atomic). Nothing is written before ``commit``; a failed condition writes nothing and raises
:class:`~knowrithm_core.store.table.TransactionConflict` with one reason per write, in the order added.
"""

from __future__ import annotations

from collections.abc import Iterable

from knowrithm_core.store.expressions import WriteOp
from knowrithm_core.store.port import Table

MAX_WRITES = 100  # DynamoDB's limit per transaction


class UnitOfWork:
    def __init__(self, table: Table) -> None:
        self.table = table
        self.writes: list[WriteOp] = []

    def add(self, *writes: WriteOp | None) -> UnitOfWork:
        """Queue writes (``None`` entries are skipped: a counter with nothing to count)."""
        self.writes.extend(write for write in writes if write is not None)
        return self

    def extend(self, writes: Iterable[WriteOp | None]) -> UnitOfWork:
        return self.add(*writes)

    def __len__(self) -> int:
        return len(self.writes)

    def commit(self) -> None:
        """Write everything queued, or nothing. A unit of work is spent once committed."""
        if len(self.writes) > MAX_WRITES:
            raise ValueError(f"one unit of work commits at most {MAX_WRITES} writes ({len(self.writes)} queued)")
        writes, self.writes = self.writes, []
        self.table.write(writes)
