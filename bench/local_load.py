"""The local stack with real data and load: flat writes, bounded memory, concurrent chat (issue 10).

Each figure starts its own ``python -m local`` (moto server, pollers, HTTP front) on loopback:

* **Write latency**: ``POST /api/v1/sdk/lead`` through the HTTP front, one at a time, with ``SMALL`` and then
  ``BIG`` items already in the table. The extra items are another tenant's lead-shaped items (with GSI keys),
  written straight to the moto server with ``BatchWriteItem``. Goal: p50 ratio ≤ ``WRITE_RATIO_GOAL``.
* **Memory**: RSS of the stack process after ``FEW`` and after ``MANY`` lead creations (4 clients), with three
  webhook endpoints subscribed to ``lead.created`` (receivers: HTTP servers on 127.0.0.1), each time once every
  delivery arrived (or ``SETTLE_S`` passed). Goal: ratio ≤ ``RSS_RATIO_GOAL``. Then, for the record, RSS once
  every delivery arrived (or ``DRAIN_S`` more passed): what the stack holds when the queues are empty.
* **Chat**: ``CHAT_CLIENTS`` clients send chat turns for ``CHAT_SECONDS`` (each in its own conversation, a new
  one every ``TURNS_PER_CONVERSATION`` turns): turns/s, p50/p95, errors. Goal: 0 errors.

Every loop is bounded in count and time.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import median
from bench.webhooks import Sink, _local_stack

SMALL, BIG = 50, 5_000
WRITES_TIMED = 40
WRITE_RATIO_GOAL = 1.5
FEW, MANY = 100, 2_000
ENDPOINTS = 3
WRITERS = 4
SETTLE_S = 120.0
DRAIN_S = 900.0
WRITES_DEADLINE_S = 600.0
RSS_RATIO_GOAL = 1.5
CHAT_CLIENTS, CHAT_SECONDS, TURNS_PER_CONVERSATION = 20, 60.0, 10
QUESTION = "When are you open on Sunday?"


@dataclass
class Stack:
    """A running local stack: its API client factory, moto endpoint, process id and demo tenant."""

    origin: str
    demo: dict[str, str]
    moto: str
    pid: int

    def api(self) -> Any:
        import httpx

        headers = {"X-API-Key": self.demo["api_key"], "X-API-Secret": self.demo["api_secret"]}
        return httpx.Client(base_url=f"{self.origin}/api/v1", headers=headers, timeout=30)

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.pid}/status").read_text(encoding="utf-8")
        return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024  # type: ignore[union-attr]

    def table(self) -> str:
        import boto3

        names = boto3.client("dynamodb", endpoint_url=self.moto).list_tables()["TableNames"]
        return next(name for name in names if name.endswith("-AppTable"))


@contextmanager
def running() -> Iterator[Stack]:
    with tempfile.TemporaryDirectory() as tmp, _local_stack(Path(tmp)) as (origin, demo, log_path):
        moto = re.search(r"moto server on (http://\S+)", log_path.read_text(encoding="utf-8"))
        assert moto is not None, "no moto endpoint in the local stack's log"
        yield Stack(origin, demo, moto.group(1), int((Path(tmp) / "local.pid").read_text()))


def fill(stack: Stack, count: int) -> None:
    """``count`` lead-shaped items of another tenant, 25 per ``BatchWriteItem``, straight to moto."""
    import boto3

    client, table = boto3.client("dynamodb", endpoint_url=stack.moto), stack.table()
    tenant = f"COMPANY#filler-{uuid.uuid4().hex[:8]}"
    for start in range(0, count, 25):
        requests: list[Any] = []
        for i in range(start, min(count, start + 25)):
            lead = uuid.uuid4().hex
            item = {
                "PK": {"S": tenant},
                "SK": {"S": f"LEAD#{lead}"},
                "GSI1PK": {"S": f"{tenant}#LEADS"},
                "GSI1SK": {"S": f"new#{i:06}"},
                "email": {"S": f"filler-{i}@bench.example"},
                "notes": {"S": "x" * 600},
            }
            requests.append({"PutRequest": {"Item": item}})
        client.batch_write_item(RequestItems={table: requests})


def create_lead(api: Any, tag: str) -> float:
    """Seconds one ``POST /sdk/lead`` took (raises unless 201)."""
    body = {"first_name": "Bench", "last_name": tag, "email": f"{tag}-{uuid.uuid4().hex[:10]}@bench.example"}
    started = time.perf_counter()
    response = api.post("/sdk/lead", json=body)
    elapsed = time.perf_counter() - started
    if response.status_code != 201:
        raise RuntimeError(f"creating a lead answered {response.status_code}: {response.text[:300]}")
    return elapsed


@dataclass
class WriteResults:
    small_ms: list[float]
    big_ms: list[float]

    @property
    def ratio(self) -> float:
        return median(self.big_ms) / median(self.small_ms)


def run_writes() -> WriteResults:
    def timed(api: Any, tag: str) -> list[float]:
        for _ in range(5):  # warm-up, not counted
            create_lead(api, f"{tag}-warm")
        return [create_lead(api, tag) * 1000 for _ in range(WRITES_TIMED)]

    with running() as stack, stack.api() as api:
        fill(stack, SMALL)
        small = timed(api, "small")
        fill(stack, BIG - SMALL)
        big = timed(api, "big")
    return WriteResults(small, big)


@dataclass
class MemoryResults:
    after_few_mb: float
    after_many_mb: float
    start_mb: float
    delivered: int
    expected: int
    seconds: float
    drained_mb: float = 0.0
    drained_delivered: int = 0
    drain_seconds: float = 0.0
    load: str = ""  # 1/5/15-minute load averages at the end

    @property
    def ratio(self) -> float:
        return self.after_many_mb / self.after_few_mb


def _write_leads(stack: Stack, count: int, deadline: float) -> None:
    def worker(index: int) -> None:
        with stack.api() as api:
            for n in range(index, count, WRITERS):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"lead writes did not finish within {WRITES_DEADLINE_S:.0f} s")
                create_lead(api, f"mem{n}")

    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(worker, range(WRITERS)))


def _settle(sinks: list[Sink], expected: int, seconds: float = SETTLE_S) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and sum(s.count() for s in sinks) < expected:
        time.sleep(0.2)
    time.sleep(1.0)  # let the pollers go idle
    return sum(s.count() for s in sinks)


def run_memory() -> MemoryResults:
    sinks = [Sink() for _ in range(ENDPOINTS)]
    started = time.perf_counter()
    try:
        with running() as stack, stack.api() as api:
            for sink in sinks:
                api.post("/webhook", json={"url": sink.url, "events": ["lead.created"]}).raise_for_status()
            start_mb = stack.rss_mb()
            deadline = time.monotonic() + WRITES_DEADLINE_S
            _write_leads(stack, FEW, deadline)
            _settle(sinks, FEW * ENDPOINTS)
            few = stack.rss_mb()
            _write_leads(stack, MANY - FEW, deadline)
            delivered = _settle(sinks, MANY * ENDPOINTS)
            many = stack.rss_mb()
            seconds = time.perf_counter() - started
            drained_delivered = _settle(sinks, MANY * ENDPOINTS, DRAIN_S)
            drained = stack.rss_mb()
    finally:
        for sink in sinks:
            sink.close()
    drain_seconds = time.perf_counter() - started - seconds
    load = " / ".join(f"{value:.1f}" for value in os.getloadavg())
    return MemoryResults(
        few, many, start_mb, delivered, MANY * ENDPOINTS, seconds, drained, drained_delivered, drain_seconds, load
    )


@dataclass
class ChatResults:
    clients: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def turns_per_second(self) -> float:
        return len(self.latencies_ms) / self.seconds


def run_chat() -> ChatResults:
    results = ChatResults(CHAT_CLIENTS, CHAT_SECONDS)
    guard = threading.Lock()

    def client(stack: Stack, end: float) -> None:
        with stack.api() as api:
            path = ""
            turn = 0
            while time.monotonic() < end:
                if turn % TURNS_PER_CONVERSATION == 0:
                    conversation = api.post("/conversation", json={"agent_id": stack.demo["agent_id"]})
                    conversation.raise_for_status()
                    path = f"/conversation/{conversation.json()['id']}/chat"
                started = time.perf_counter()
                response = api.post(path, json={"message": QUESTION})
                elapsed = (time.perf_counter() - started) * 1000
                turn += 1
                with guard:
                    if response.status_code == 200:
                        results.latencies_ms.append(elapsed)
                    else:
                        results.errors.append(f"{response.status_code}: {response.text[:200]}")

    with running() as stack:
        end = time.monotonic() + CHAT_SECONDS
        with ThreadPoolExecutor(CHAT_CLIENTS) as pool:
            for future in [pool.submit(client, stack, end) for _ in range(CHAT_CLIENTS)]:
                try:
                    future.result(timeout=CHAT_SECONDS + 120)
                except Exception as exc:  # noqa: BLE001 - a client that died is an error of the run
                    results.errors.append(repr(exc))
    return results
