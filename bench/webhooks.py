"""Webhook benchmarks: one delivery worker vs a raw POST loop, and event committed → first delivery attempt.

* Throughput, in process: moto ``mock_aws`` with the template's resources, one endpoint pointing at a local
  receiver that answers 200, ``THROUGHPUT_DELIVERIES`` delivery messages made by the real fan-out. The
  worker loop does what Lambda's SQS event source does: receive 10 from the DeliveryQueue, run the real
  ``delivery_jobs`` runtime + ``DeliveryWorker`` (10 POSTs at once), delete what succeeded. The baseline posts the
  same body, with the same headers, to the same receiver from 10 threads with ``http.client`` (a new
  connection per POST, as the worker's poster opens one). Botocore hooks time and count every AWS call of
  the worker: three DynamoDB requests per delivery (a BatchGetItem of the record and its endpoint, the claim
  transaction, the record transaction), plus the batch's SQS receive and delete.
* Latency, on the local stack: ``python -m local`` in a subprocess (like the integration fixture), an
  endpoint for ``agent.updated`` at a local receiver, then ``LATENCY_EVENTS`` agent changes one after the
  other, each waiting for its delivery; measured from the envelope's ``timestamp`` (taken just before the
  change's transaction) to the POST's arrival, with the fan-out's log line splitting the two hops.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.common import AWS_ENV, SCRUBBED_ENV, code_path, function_specs, process_env
from local.template import ACCOUNT_ID, ROOT, Stack

FUNCTION = "WebhookDeliveryFunction"
THROUGHPUT_DELIVERIES = 300
CONCURRENCY = 10  # the delivery function's BatchSize: one batch's POSTs run at once
THROUGHPUT_DEADLINE_S = 90
LATENCY_EVENTS = 20
LATENCY_WAIT_S = 10  # per event; a missing delivery is counted as lost, not waited for
START_TIMEOUT_S = 60
MOTO_OPERATIONS = ("get_item", "put_item", "update_item", "delete_item", "query", "scan", "transact_write_items")
STOP_TIMEOUT_S = 15


# --- a receiver that answers 200 at once -------------------------------------------------------------------


@dataclass
class Arrival:
    at: float  # time.time()
    body: bytes
    headers: dict[str, str]


class Sink:
    """A 200-answering HTTP receiver on 127.0.0.1 that records every POST (arrival time, body, headers)."""

    def __init__(self) -> None:
        self.arrivals: list[Arrival] = []
        self._changed = threading.Condition()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                arrival = Arrival(time.time(), body, {k.lower(): v for k, v in self.headers.items()})
                with sink._changed:
                    sink.arrivals.append(arrival)
                    sink._changed.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.request_queue_size = 128
        self.host, self.port = "127.0.0.1", int(self.server.server_address[1])
        self.url = f"http://{self.host}:{self.port}/hooks"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()

    def count(self) -> int:
        with self._changed:
            return len(self.arrivals)

    def wait_for(self, marker: str, timeout: float) -> Arrival | None:
        """The first POST whose body contains ``marker``, or None after ``timeout`` seconds."""
        needle = marker.encode()
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = next((a for a in self.arrivals if needle in a.body), None)
                remaining = deadline - time.monotonic()
                if found or remaining <= 0:
                    return found
                self._changed.wait(remaining)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- throughput -------------------------------------------------------------------------------------------


class AwsCalls:
    """Counts the worker's AWS API calls and the time spent inside them (summed over threads)."""

    def __init__(self) -> None:
        self.operations: Counter[str] = Counter()
        self.seconds = 0.0
        self._lock = threading.Lock()
        self._local = threading.local()
        self.active = False  # count only while the worker is being timed
        self.backend_seconds = 0.0  # inside moto's DynamoDB backend (serialized, so also wall time)

    def before(self, model: Any, **_: Any) -> None:
        self._local.started = time.perf_counter()
        if not self.active:
            return
        with self._lock:
            self.operations[f"{model.service_model.service_name}.{model.name}"] += 1

    def after(self, **_: Any) -> None:
        spent = time.perf_counter() - getattr(self._local, "started", time.perf_counter())
        if not self.active:
            return
        with self._lock:
            self.seconds += spent

    def watch(self, client: Any) -> None:
        client.meta.events.register("before-call", self.before)
        client.meta.events.register("after-call", self.after)


@dataclass
class ThroughputResults:
    deliveries: int
    worker_seconds: float
    worker_posts: int
    raw_posts: int
    raw_seconds: float
    body_bytes: int
    batches: int
    succeeded_records: int
    aws: AwsCalls = field(default_factory=AwsCalls)

    @property
    def worker_rate(self) -> float:
        return self.worker_posts / self.worker_seconds if self.worker_seconds else 0.0

    @property
    def raw_rate(self) -> float:
        return self.raw_posts / self.raw_seconds if self.raw_seconds else 0.0

    @property
    def ratio(self) -> float:
        return self.worker_rate / self.raw_rate if self.raw_rate else 0.0


def _agent_like(i: int) -> dict[str, Any]:
    """Event data shaped like an agent resource (about 1 KB)."""
    return {
        "id": str(uuid.uuid4()),
        "name": f"Bench agent {i}",
        "description": "We sell handmade ceramic mugs. Shipping takes 3 to 5 business days. " * 8,
        "status": "active",
        "version": i + 1,
        "languages": ["en"],
        "created_at": "2026-01-01T00:00:00.000Z",
        "updated_at": "2026-01-01T00:00:00.000Z",
    }


def _raw_loop(sink: Sink, body: bytes, headers: dict[str, str], total: int) -> float:
    """POST ``body`` ``total`` times from ``CONCURRENCY`` threads (new connection each); returns the wall time."""
    counter = iter(range(total))
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        while True:
            with lock:
                if next(counter, None) is None:
                    return
            connection = http.client.HTTPConnection(sink.host, sink.port, timeout=10)
            try:
                connection.request("POST", "/hooks", body=body, headers=headers)
                response = connection.getresponse()
                response.read(20 * 1024)
                if response.status != 200:
                    raise RuntimeError(f"raw POST answered {response.status}")
            except BaseException as exc:  # noqa: BLE001 - reported by the caller
                errors.append(exc)
                return
            finally:
                connection.close()

    threads = [threading.Thread(target=work) for _ in range(CONCURRENCY)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"the raw POST loop failed: {errors[0]!r}")
    return elapsed


@contextmanager
def _serialized_moto_dynamodb(calls: AwsCalls) -> Iterator[None]:
    """One lock around moto's DynamoDB operations while the worker runs its POSTs on 10 threads.

    moto is not thread-safe: ``TransactWriteItems`` deep-copies the table as a backup and restores it when
    cancelled, so a concurrent write is lost or the copy fails ("dictionary changed size during iteration").
    A real table has no such problem; the lock only keeps the emulator correct. While ``calls.active``, the
    time spent inside moto's DynamoDB backend is added to ``calls.backend_seconds``.
    """
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    originals = {name: getattr(DynamoDBBackend, name) for name in MOTO_OPERATIONS}

    def locked(method: Any) -> Any:
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            with lock:
                started = time.perf_counter()
                try:
                    return method(self, *args, **kwargs)
                finally:
                    if calls.active:
                        calls.backend_seconds += time.perf_counter() - started

        return call

    for name, method in originals.items():
        setattr(DynamoDBBackend, name, locked(method))
    try:
        yield
    finally:
        for name, method in originals.items():
            setattr(DynamoDBBackend, name, method)


def _drop_stream(table_name: str) -> None:
    """Stop moto recording the table's stream (nothing reads it here).

    moto keeps every stream record in the table object, and its backup copy of the table on every
    TransactWriteItems copies them all, so each write would cost more than the one before.
    (``UpdateTable`` with ``StreamEnabled: false`` fails in moto 5.)
    """
    from moto.dynamodb.models import dynamodb_backends

    dynamodb_backends[ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]].tables[table_name].stream_shard = None


def run_throughput(stack: Stack, total: int = THROUGHPUT_DELIVERIES) -> ThroughputResults:
    """Rounds of one batch: fan out 10 events (untimed), deliver them (timed), drop their records (untimed)."""
    from moto import mock_aws

    from local.resources import create_all

    spec = function_specs(stack)[FUNCTION]
    for key in SCRUBBED_ENV:
        os.environ.pop(key, None)
    os.environ.update({**AWS_ENV, **spec.environment, "LOCAL_MODE": "true", "POWERTOOLS_TRACE_DISABLED": "true"})
    os.environ.pop("WEBHOOK_RETRY_SCHEDULE", None)
    sys.path[:0] = [str(p) for p in code_path(spec)[:-1] if str(p) not in sys.path]
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"  # the EMF lines would only clutter the report

    sink = Sink()
    calls = AwsCalls()
    mock = mock_aws()
    mock.start()
    try:
        with _serialized_moto_dynamodb(calls):
            create_all(stack)
            import boto3

            _drop_stream(stack.physical_name("AppTable"))
            sqs = boto3.client("sqs")
            queue_url = sqs.get_queue_url(QueueName=stack.physical_name("DeliveryQueue"))["QueueUrl"]
            os.environ["DELIVERY_QUEUE_URL"] = queue_url
            from knowrithm_core.auth import Principal
            from knowrithm_core.config import get_settings
            from knowrithm_core.container import get_services
            from knowrithm_core.ids import iso, new_id
            from knowrithm_core.store.expressions import Delete
            from knowrithm_core.store.repositories.webhooks import deliveries_pk
            from knowrithm_core.workers.delivery import delivery_jobs

            get_settings.cache_clear()
            get_services.cache_clear()
            services = get_services()
            company_id = new_id()
            principal = Principal("api_key", company_id, new_id(), frozenset({"read", "write"}), "api_key")
            endpoint = services.webhooks.create(principal, {"url": sink.url, "events": ["agent.updated"]})["webhook"]
            records_pk = deliveries_pk(company_id, endpoint["id"])
            fan_out = services.fan_out()
            assert services.delivery_queue is not None
            queue = services.delivery_queue
            worker = services.delivery_worker()
            calls.watch(services.table.client)
            calls.watch(queue.client)
            batches = succeeded = 0
            worker_seconds = 0.0
            deadline = time.monotonic() + THROUGHPUT_DEADLINE_S
            while sink.count() < total and time.monotonic() < deadline:
                calls.active = False
                for i in range(min(CONCURRENCY, total - sink.count())):
                    event = {"id": new_id(), "event": "agent.updated", "company_id": company_id, "timestamp": iso()}
                    fan_out.handle({**event, "data": _agent_like(i)})
                calls.active = True
                started = time.perf_counter()
                received = queue.client.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=CONCURRENCY)
                records = [
                    {"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"]}
                    for m in received.get("Messages", [])
                ]
                response = delivery_jobs(worker, services.settings, queue).process({"Records": records})
                failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
                done = [r for r in records if r["messageId"] not in failed]
                if done:
                    queue.client.delete_message_batch(
                        QueueUrl=queue_url,
                        Entries=[{"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(done)],
                    )
                worker_seconds += time.perf_counter() - started
                calls.active = False
                batches += 1
                # untimed: keep the emulated table small (moto deep-copies it on every TransactWriteItems)
                rows = services.table.query(records_pk, sk_prefix="DELIVERY#")
                succeeded += sum(1 for row in rows if row.get("status") == "succeeded")
                services.table.transact([Delete((row["PK"], row["SK"])) for row in rows])
            worker_posts = sink.count()
            sample = sink.arrivals[0]
            get_services.cache_clear()
            get_settings.cache_clear()
    finally:
        mock.stop()

    headers = {k: v for k, v in sample.headers.items() if k not in {"host", "content-length", "connection"}}
    _raw_loop(sink, sample.body, headers, 20)  # warm-up
    before = sink.count()
    raw_seconds = _raw_loop(sink, sample.body, headers, total)
    raw_posts = sink.count() - before
    sink.close()
    return ThroughputResults(
        deliveries=total,
        worker_seconds=worker_seconds,
        worker_posts=worker_posts,
        raw_posts=raw_posts,
        raw_seconds=raw_seconds,
        body_bytes=len(sample.body),
        batches=batches,
        succeeded_records=succeeded,
        aws=calls,
    )


# --- latency on the local stack ---------------------------------------------------------------------------


@dataclass
class LatencyResults:
    events: int
    commit_to_attempt_ms: list[float]
    response_to_attempt_ms: list[float]
    commit_to_fanout_ms: list[float]
    fanout_to_attempt_ms: list[float]
    lost: int
    batching_window_s: float
    startup_s: float


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


_FANNED_OUT = re.compile(r'^\{.*"message":"fanned out".*\}$')


def _fanout_times(log: str) -> dict[str, float]:
    """event id -> when the fan-out logged it (Powertools' ``timestamp``: ``2026-01-01 12:00:00,123+0000``)."""
    times: dict[str, float] = {}
    for line in log.splitlines():
        if _FANNED_OUT.match(line):
            entry = json.loads(line)
            stamp = datetime.strptime(entry["timestamp"], "%Y-%m-%d %H:%M:%S,%f%z")
            times[str(entry.get("event_id"))] = stamp.timestamp()
    return times


@contextmanager
def _local_stack(state: Path) -> Iterator[tuple[str, dict[str, str], Path]]:
    """``python -m local`` on free ports; yields (origin, demo tenant, log path) and stops it with SIGTERM."""
    import httpx

    port, moto_port = _free_port(), _free_port()
    log_path = state / "local.log"
    env = process_env({"PORT": str(port), "MOTO_PORT": str(moto_port), "LOCAL_STATE_DIR": str(state)})
    origin = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "local"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
        (state / "local.pid").write_text(str(process.pid), encoding="utf-8")  # for RSS readings (bench.local_load)
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"python -m local exited with {process.returncode}: {log_path.read_text()}")
                demo_path = state / "demo.json"
                if demo_path.exists():
                    try:
                        if httpx.get(f"{origin}/health", timeout=2).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the local stack was not ready within {START_TIMEOUT_S} s")
                time.sleep(0.2)
            yield origin, json.loads(demo_path.read_text(encoding="utf-8")), log_path
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def run_latency(stack: Stack, events: int = LATENCY_EVENTS) -> LatencyResults:
    import httpx

    props = stack.resources[FUNCTION]["Properties"]["Events"]["Deliveries"]["Properties"]
    window = float(props.get("MaximumBatchingWindowInSeconds", 0))
    sink = Sink()
    commit_ms: list[float] = []
    response_ms: list[float] = []
    pairs: list[tuple[str, float, float]] = []  # event id, commit time, arrival time
    lost = 0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, _local_stack(Path(tmp)) as (origin, demo, log_path):
        startup = time.perf_counter() - started
        headers = {"X-API-Key": demo["api_key"], "X-API-Secret": demo["api_secret"]}
        with httpx.Client(base_url=f"{origin}/api/v1", headers=headers, timeout=15) as api:
            created = api.post("/webhook", json={"url": sink.url, "events": ["agent.updated"]})
            created.raise_for_status()
            agent = api.post("/agent", json={"name": "latency bench", "description": "start"})
            agent.raise_for_status()
            path = f"/agent/{agent.json()['agent']['id']}"
            for i in range(events + 1):  # the first change warms the path up and is not counted
                marker = f"latency-{uuid.uuid4().hex}"
                api.put(path, json={"description": marker}).raise_for_status()
                answered = time.time()
                arrival = sink.wait_for(marker, LATENCY_WAIT_S)
                if i == 0:
                    continue
                if arrival is None:
                    lost += 1
                    continue
                envelope = json.loads(arrival.body)
                committed = _epoch(envelope["timestamp"])
                commit_ms.append((arrival.at - committed) * 1000)
                response_ms.append((arrival.at - answered) * 1000)
                pairs.append((str(envelope["id"]), committed, arrival.at))
        fanned = _fanout_times(log_path.read_text(encoding="utf-8", errors="replace"))
    sink.close()
    to_fanout = [(fanned[e] - c) * 1000 for e, c, _ in pairs if e in fanned]
    from_fanout = [(a - fanned[e]) * 1000 for e, _, a in pairs if e in fanned]
    return LatencyResults(events, commit_ms, response_ms, to_fanout, from_fanout, lost, window, startup)
