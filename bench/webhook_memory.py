"""The delivery worker's own overhead: ``DeliveryWorker`` on the in-memory table vs a raw POST loop.

One endpoint registered through the real ``WebhookService`` (sealed secret, KMS from moto; the table is a
:class:`~knowrithm_core.store.memory.MemoryTable`) at a local receiver answering 200; ``DELIVERIES`` events fanned
out by the real ``FanOut`` (untimed) per round. The worker's ``process`` runs on ``CONCURRENCY`` threads taking
the next message as soon as they are free; the raw loop POSTs the worker's signed body with its headers to the
same receiver from ``CONCURRENCY`` threads the same way, a new connection per POST, as the worker's poster does.
That ratio (judged) is the worker's own overhead. The same messages are also delivered in batches of
``CONCURRENCY``, a pool per batch, as ``workers.delivery`` handles one SQS batch (no SQS here): each batch waits
for its slowest POST, the cost of Lambda's batch semantics rather than of the worker (reported, not judged).
Rounds interleave the three; figures are medians. Today's moto figure (:func:`bench.webhooks.run_throughput`)
runs in the same process first, for the same table of results.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from bench import webhooks
from bench.common import AWS_ENV, RESULTS_PATH, median
from local.template import ROOT

if str(ROOT / "layers" / "core") not in sys.path:
    sys.path.insert(0, str(ROOT / "layers" / "core"))  # the layer, as Lambda puts it on the path

from knowrithm_core.store.expressions import Key, WriteOp  # noqa: E402 - after the layer is on the path
from knowrithm_core.store.memory import MemoryTable  # noqa: E402
from knowrithm_core.store.port import Item  # noqa: E402

DELIVERIES = 300
ROUNDS = 3
RATIO_GOAL = 0.7
CONCURRENCY = webhooks.CONCURRENCY
HEADING = "## Webhooks: the delivery worker on the in-memory table vs a raw POST loop"


class CountingTable(MemoryTable):
    """The in-memory table, counting the requests DynamoDB would get while ``active`` (``update_returning``
    goes through ``write``: one UpdateItem)."""

    def __init__(self) -> None:
        super().__init__("bench")
        self.active = False
        self.requests: Counter[str] = Counter()
        self._count_lock = threading.Lock()

    def _count(self, name: str) -> None:
        if self.active:
            with self._count_lock:
                self.requests[name] += 1

    def get(self, pk: str, sk: str) -> Item | None:
        self._count("GetItem")
        return super().get(pk, sk)

    def batch_get(self, item_keys: Sequence[Key], *, attempts: int = 8) -> dict[Key, Item]:
        self._count("BatchGetItem")
        return super().batch_get(item_keys, attempts=attempts)

    def write(self, ops: Sequence[WriteOp]) -> None:
        self._count("TransactWriteItems" if len(ops) > 1 else type(ops[0]).__name__ + "Item")
        super().write(ops)


@dataclass
class ListQueue:
    """The delivery queue as a list (``MessageQueue``): the fan-out's messages, handed to the worker directly."""

    sent: list[dict[str, Any]] = field(default_factory=list)

    def send(self, bodies: Sequence[dict[str, Any]]) -> None:
        self.sent.extend(bodies)

    def delay(self, receipt_handle: str, seconds: int) -> None:
        raise RuntimeError("nothing is received from this queue")


@dataclass
class MemoryResults:
    deliveries: int  # per round
    worker_seconds: list[float]
    batched_seconds: list[float]
    raw_seconds: list[float]
    requests: Mapping[str, int]
    succeeded: int
    body_bytes: int
    moto: webhooks.ThroughputResults | None = None
    moto_error: str | None = None

    @property
    def worker_rate(self) -> float:
        return self.deliveries / median(self.worker_seconds)

    @property
    def batched_rate(self) -> float:
        return self.deliveries / median(self.batched_seconds)

    @property
    def raw_rate(self) -> float:
        return self.deliveries / median(self.raw_seconds)

    @property
    def ratio(self) -> float:
        return self.worker_rate / self.raw_rate


def _deliver(worker: Any, messages: list[dict[str, Any]]) -> int:
    """Process ``messages`` on ``CONCURRENCY`` threads, each taking the next one when free; returns how many
    were done."""
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        return sum(1 for outcome in pool.map(worker.process, messages) if outcome.done)


def _deliver_batched(worker: Any, messages: list[dict[str, Any]]) -> int:
    """Process ``messages`` in batches of ``CONCURRENCY``, a pool per batch (as ``workers.delivery``)."""
    return sum(
        _deliver(worker, messages[start : start + CONCURRENCY]) for start in range(0, len(messages), CONCURRENCY)
    )


def _timed(table: CountingTable, deliver: Any, worker: Any, messages: list[dict[str, Any]]) -> tuple[float, int]:
    table.active = True
    started = time.perf_counter()
    done = deliver(worker, messages)
    elapsed = time.perf_counter() - started
    table.active = False
    return elapsed, done


def _fan_out(fan_out: Any, queue: ListQueue, company_id: str, count: int) -> list[dict[str, Any]]:
    from knowrithm_core.ids import iso, new_id

    queue.sent.clear()
    for i in range(count):
        event = {"id": new_id(), "event": "agent.updated", "company_id": company_id, "timestamp": iso()}
        fan_out.handle({**event, "data": webhooks._agent_like(i)})
    return list(queue.sent)


def run(deliveries: int = DELIVERIES, rounds: int = ROUNDS) -> MemoryResults:
    """Interleaved rounds of ``deliveries`` by the worker (timed) and by the raw loop (timed)."""
    import boto3
    from moto import mock_aws

    from knowrithm_core.auth import Principal
    from knowrithm_core.config import Settings
    from knowrithm_core.ids import new_id
    from knowrithm_core.net.http import PinnedPoster
    from knowrithm_core.services.delivery import DeliveryWorker
    from knowrithm_core.services.fanout import FanOut
    from knowrithm_core.services.webhooks import WebhookService
    from knowrithm_core.webhooks.sealing import SecretVault

    os.environ.update(AWS_ENV)
    sink, table, queue = webhooks.Sink(), CountingTable(), ListQueue()
    worker_seconds: list[float] = []
    batched_seconds: list[float] = []
    raw_seconds: list[float] = []
    succeeded = 0
    with mock_aws():  # KMS only (sealing the endpoint's secret, one Decrypt on the worker's cold cache)
        kms = boto3.client("kms")
        key_id = str(kms.create_key()["KeyMetadata"]["KeyId"])
        settings = Settings(table_name=table.table_name, local_mode=True, webhook_secrets_key_id=key_id)
        vault = SecretVault(key_id, client=kms)
        company_id = new_id()
        principal = Principal("api_key", company_id, new_id(), frozenset({"read", "write"}), "api_key")
        api = WebhookService(table, settings, queue, vault=vault)  # type: ignore[arg-type]
        api.create(principal, {"url": sink.url, "events": ["agent.updated"]})
        fan_out, worker = FanOut(table, settings, queue), DeliveryWorker(table, settings, PinnedPoster(), vault=vault)
        _deliver(worker, _fan_out(fan_out, queue, company_id, CONCURRENCY))  # warm-up (opens the sealed secret)
        sample = sink.arrivals[-1]
        headers = {k: v for k, v in sample.headers.items() if k not in {"host", "content-length", "connection"}}
        webhooks._raw_loop(sink, sample.body, headers, 2 * CONCURRENCY)  # warm-up
        for _ in range(rounds):
            elapsed, done = _timed(table, _deliver, worker, _fan_out(fan_out, queue, company_id, deliveries))
            worker_seconds.append(elapsed)
            raw_seconds.append(webhooks._raw_loop(sink, sample.body, headers, deliveries))
            elapsed, batched = _timed(table, _deliver_batched, worker, _fan_out(fan_out, queue, company_id, deliveries))
            batched_seconds.append(elapsed)
            succeeded += done + batched
    sink.close()
    return MemoryResults(
        deliveries, worker_seconds, batched_seconds, raw_seconds, dict(table.requests), succeeded, len(sample.body)
    )


def section(results: MemoryResults | None, error: str | None = None) -> str:
    """The section for ``bench/RESULTS.md``."""
    if results is None:
        return f"{HEADING}\n\nNot measured: {error}\n"
    r, total = results, results.deliveries * (len(results.worker_seconds) + len(results.batched_seconds))
    per = ", ".join(f"{name} {count / total:.2f}" for name, count in sorted(r.requests.items()))
    ok = r.ratio >= RATIO_GOAL and r.succeeded == total
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        HEADING,
        "",
        f"Goal: the worker on the in-memory repositories ≥ {RATIO_GOAL:.1f}× the raw loop's rate (our own overhead); "
        "the moto figure beside it, from the same run.",
        "",
        "| Sender | POSTs per round | Rounds | Median wall s | Per second | × raw | Goal | Result |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
        f"| Raw loop: `http.client`, {CONCURRENCY} threads, a new connection per POST | {r.deliveries} "
        f"| {len(r.raw_seconds)} | {median(r.raw_seconds):.2f} | {r.raw_rate:.0f} | 1.00× | — | — |",
        f"| `DeliveryWorker` on `MemoryTable`, {CONCURRENCY} threads, the next message when free | {r.deliveries} "
        f"| {len(r.worker_seconds)} | {median(r.worker_seconds):.2f} | {r.worker_rate:.0f} | {r.ratio:.2f}× "
        f"| ≥ {RATIO_GOAL:.1f}× | {'**PASS**' if ok else '**FAIL**'} |",
        f"| … the same, in batches of {CONCURRENCY} (a pool per batch, as `workers.delivery`) | {r.deliveries} "
        f"| {len(r.batched_seconds)} | {median(r.batched_seconds):.2f} | {r.batched_rate:.0f} "
        f"| {r.batched_rate / r.raw_rate:.2f}× | — | — |",
    ]
    if r.moto is not None:
        m = r.moto
        lines.append(
            f"| `workers.delivery` + `DeliveryWorker` on moto (receive/delete from the DeliveryQueue), own raw loop "
            f"{m.raw_rate:.0f}/s | {m.worker_posts} | 1 | {m.worker_seconds:.2f} | {m.worker_rate:.0f} "
            f"| {m.ratio:.2f}× | — | — |"
        )
    elif r.moto_error:
        lines.append(f"| moto figure not measured: {r.moto_error} | | | | | | | |")
    lines += [
        "",
        f"Table requests per delivery on memory (what DynamoDB would get): {per}. Checks: {r.succeeded} of {total} "
        f"deliveries done, {r.body_bytes} B signed bodies; every round's events fanned out by the real `FanOut` "
        "(untimed). Receiver, worker and raw loop share one interpreter (one GIL); rounds interleave. A batch waits "
        "for its slowest POST (on a loaded machine, a descheduled thread), which the batched row shows; in Lambda, "
        "batches run in concurrent invocations. The moto row is `bench/webhooks.py`'s throughput run, same process. "
        f"Load average at the end (1, 5, 15 min): {load} on {os.cpu_count()} CPUs, shared with other jobs.",
        "",
    ]
    return "\n".join(lines)


def write_section(text: str) -> None:
    """Put ``text`` in ``bench/RESULTS.md`` in place of the previous run's section (else after the webhook
    latency section, where a full run writes it)."""
    lines = RESULTS_PATH.read_text(encoding="utf-8").splitlines()
    new = text.rstrip("\n").splitlines()
    if HEADING in lines:
        start = lines.index(HEADING)
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        lines[start:end] = [*new, ""]
    else:
        latency = next((i for i, line in enumerate(lines) if line.startswith("## Webhooks: event committed")), 0)
        at = next((i for i in range(latency + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        lines[at:at] = [*new, ""]
    RESULTS_PATH.write_text("\n".join(lines) + "\n", encoding="utf-8")
