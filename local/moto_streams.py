"""Bounded DynamoDB Streams in moto: drop records every local poller has read, cap the rest, forget old iterators.

moto's ``StreamShard.add`` keeps every stream record (old and new image) until a moto Lambda event-source
mapping consumes it; the local stack polls streams itself (:mod:`local.stream_poller`), so nothing is ever
dropped, and ``DynamoDBStreamsBackend`` keeps every shard iterator it hands out (two per idle poll). Here:

* :func:`register` names each local reader of a table's stream; :func:`acknowledge` records a reader's
  checkpoint and trims the records every registered reader has checkpointed (AWS keeps them 24 h);
* a shard never keeps more than :data:`MAX_RECORDS` records (the oldest go first, with a warning: a reader
  that far behind loses them), a bound for streams nobody acknowledges; compact records make it 100,000
  (about 200 MB of delivery-sized records), so a fan-out lagging a burst of thousands of writes loses nothing;
* :func:`hold` keeps a range a local poller gave up on (sent to its on-failure queue) for :data:`HOLD_SECONDS`,
  so the on-failure queue's consumer can read it back as it would on AWS (which keeps records 24 h);
* at most :data:`MAX_ITERATORS` shard iterators are kept (the oldest go first; AWS expires them after 15 min);
* each record is kept as its pickled bytes (:class:`CompactRecord`, ~2 KB for a delivery record) instead of
  moto's tree of dicts (~9.5 KB), and read back as the same dict: records the pollers have not read yet
  (the fan-out runs behind a burst of writes) cost a fifth of the memory.

Trimming advances the shard's ``starting_sequence_number`` by the records removed, so sequence numbers stay
as they were and ``TRIM_HORIZON`` starts at the oldest kept record. An iterator positioned before it reads
from the oldest kept record (AWS would answer ``TrimmedDataAccessException``).
"""

from __future__ import annotations

import functools
import logging
import pickle
import time
from typing import TYPE_CHECKING, Any

from local.moto_safety import LOCK

if TYPE_CHECKING:
    from collections.abc import Callable

    from moto.dynamodb.models.table import StreamShard

log = logging.getLogger("local.streams")
MAX_RECORDS = 100_000
MAX_ITERATORS = 1_000
HOLD_SECONDS = 600.0
_readers: dict[str, dict[str, int | None]] = {}  # table name -> reader -> last acknowledged sequence number
_holds: dict[str, dict[str, tuple[int, float]]] = {}  # table name -> reader -> (first held sequence, until)
_installed = False


def table_name(stream_or_table_arn: str) -> str:
    """``arn:aws:dynamodb:region:account:table/NAME[/stream/label]`` -> ``NAME``."""
    return stream_or_table_arn.split(":table/", 1)[1].split("/", 1)[0]


def register(stream_arn: str, reader: str) -> None:
    """Declare ``reader`` a consumer of the table's stream: nothing it has not acknowledged is trimmed."""
    with LOCK:
        _readers.setdefault(table_name(stream_arn), {})[reader] = None


def forget_readers() -> None:
    """Forget every registered reader (tests that recreate tables of the same name start clean)."""
    with LOCK:
        _readers.clear()
        _holds.clear()


def hold(stream_arn: str, reader: str, first: str, seconds: float = HOLD_SECONDS) -> None:
    """Keep the records from sequence number ``first`` on for ``seconds`` (a range sent to an on-failure queue)."""
    with LOCK:
        held = _holds.setdefault(table_name(stream_arn), {})
        earlier = held.get(reader)
        start = int(first) if earlier is None or earlier[1] < time.monotonic() else min(earlier[0], int(first))
        held[reader] = (start, time.monotonic() + seconds)


def _held_before(table: str) -> int | None:
    """The last sequence number that may be trimmed because of holds (None: no live hold)."""
    moment = time.monotonic()
    live = [start for start, until in _holds.get(table, {}).values() if until > moment]
    return min(live) - 1 if live else None


def trim(shard: StreamShard, through: int) -> int:
    """Drop the shard's records up to sequence number ``through``; returns how many went."""
    count = min(len(shard.items), through - shard.starting_sequence_number + 1)
    if count <= 0:
        return 0
    del shard.items[:count]
    shard.starting_sequence_number += count
    return count


def _shard(stream_arn: str) -> StreamShard | None:
    from moto.dynamodb.models import dynamodb_backends

    _, _, _, region, account, _ = stream_arn.split(":", 5)
    table = dynamodb_backends[account][region].tables.get(table_name(stream_arn))
    return table.stream_shard if table is not None else None


def acknowledge(stream_arn: str, reader: str, sequence: str) -> int:
    """``reader`` is done with every record up to ``sequence``: trim what all readers are done with."""
    if not _installed:
        return 0
    with LOCK:
        readers = _readers.setdefault(table_name(stream_arn), {})
        readers[reader] = int(sequence)
        done = list(readers.values())
        shard = _shard(stream_arn)
        if shard is None or any(position is None for position in done):
            return 0
        held = _held_before(table_name(stream_arn))
        through = min([position for position in done if position is not None] + ([held] if held is not None else []))
        return trim(shard, through)


class CompactRecord:
    """A stream record kept as pickled bytes; :meth:`to_json` gives back an equal dict (as moto's record does).

    Pickle, not JSON: the record holds a ``datetime`` and binary values nested in maps are ``bytes``, and both
    must come back as they were for moto's serializer. Only this process writes and reads these bytes.
    """

    __slots__ = ("data",)

    def __init__(self, record: dict[str, Any]) -> None:
        self.data = pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)

    def to_json(self) -> dict[str, Any]:
        record: dict[str, Any] = pickle.loads(self.data)  # noqa: S301 - bytes this process pickled itself
        return record


def _capped_add(add: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(add)
    def capped(self: StreamShard, *args: Any, **kwargs: Any) -> None:
        add(self, *args, **kwargs)
        if self.items and not isinstance(self.items[-1], CompactRecord):
            self.items[-1] = CompactRecord(self.items[-1].to_json())  # type: ignore[call-overload]
        if len(self.items) > MAX_RECORDS:
            dropped = trim(self, self.starting_sequence_number + len(self.items) - MAX_RECORDS - 1)
            log.warning("stream of %s over %d records: dropped the oldest %d", self.table.name, MAX_RECORDS, dropped)

    return capped


def _clamped_get(self: StreamShard, start: int, quantity: int) -> list[dict[str, Any]]:
    """moto's ``StreamShard.get``, reading from the oldest kept record when ``start`` was trimmed."""
    offset = max(0, start - self.starting_sequence_number)
    return [record.to_json() for record in self.items[offset : offset + quantity]]


def _pruned(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = method(self, *args, **kwargs)
        iterators: dict[str, Any] = self.shard_iterators
        while len(iterators) > MAX_ITERATORS:
            del iterators[next(iter(iterators))]
        return result

    return call


def install() -> None:
    """Patch moto's public ``StreamShard`` and ``DynamoDBStreamsBackend`` classes (see the module). Idempotent."""
    global _installed
    if _installed:
        return
    from moto.dynamodb.models.table import StreamShard
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    StreamShard.add = _capped_add(StreamShard.add)  # type: ignore[method-assign]
    StreamShard.get = _clamped_get  # type: ignore[method-assign]
    for name in ("get_shard_iterator", "get_records"):
        setattr(DynamoDBStreamsBackend, name, _pruned(getattr(DynamoDBStreamsBackend, name)))
    _installed = True
