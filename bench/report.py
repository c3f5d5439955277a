"""Markdown for stdout and ``bench/RESULTS.md``: one table per benchmark, goals, PASS/FAIL."""

from __future__ import annotations

import os
import platform
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import webhooks
from bench.chat import ChatResults
from bench.common import percentile
from bench.imports import FIRST_IN_PROCESS, FIRST_SERVER, IMPORT, ColdStart, ImportResults
from bench.webhooks import LatencyResults, ThroughputResults

IMPORT_RATIO_GOAL = 1.25
REQUESTS_PER_TURN_GOAL = 4  # issue 11: an API-key chat turn, its quota write included (manifest read with the agent)
TOP_PACKAGES = 6


@dataclass(frozen=True)
class Machine:
    cpus: int
    cpu_model: str
    python: str
    system: str

    @classmethod
    def current(cls) -> Machine:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0
        model = platform.processor() or platform.machine()
        cpuinfo = Path("/proc/cpuinfo")
        if cpuinfo.exists():
            lines = cpuinfo.read_text().splitlines()
            names = [ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("model name")]
            model = names[0] if names else model
        python = f"{platform.python_implementation()} {platform.python_version()}"
        return cls(cpus, model, python, f"{platform.system()} {platform.release()} {platform.machine()}")


def _verdict(ok: bool) -> str:
    return "**PASS**" if ok else "**FAIL**"


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"


def _spread(cold: ColdStart, mode: str) -> str:
    values = cold.samples.get(mode)
    return f"{min(values):.0f}–{max(values):.0f}" if values else "n/a"


def _cold_start(results: ImportResults) -> list[str]:
    hello = results.hello
    hello_import = hello.median(IMPORT) or 0.0
    hello_first = hello.median(FIRST_SERVER)
    lines = [
        f"## 1. Cold start: handler import vs a bare FastAPI + Mangum app (median of {results.rounds})",
        "",
        f"Goal: handler import ≤ {IMPORT_RATIO_GOAL:.2f}× the hello app's import, in the same run.",
        "",
        "| Function | Handler module | Import ms (median) | min–max | × hello | Goal | Result | Loaded by the import |",
        "|---|---|---:|---:|---:|---:|---|---|",
        f"| — | `{hello.case.module}` (hello) | {_ms(hello_import)} | {_spread(hello, IMPORT)} | 1.00× | — | — "
        f"| {', '.join(hello.imported_by_module)} |",
    ]
    for cold in results.functions:
        value = cold.median(IMPORT) or 0.0
        ratio = value / hello_import if hello_import else float("inf")
        lines.append(
            f"| {cold.case.name} | `{cold.case.module}` | {_ms(value)} | {_spread(cold, IMPORT)} | {ratio:.2f}× "
            f"| ≤ {IMPORT_RATIO_GOAL:.2f}× | {_verdict(ratio <= IMPORT_RATIO_GOAL)} "
            f"| {', '.join(cold.imported_by_module)} |"
        )
    lines += [
        "",
        "First request (functions behind the HTTP API) = import + one GET (payload 2.0) through the Lambda handler,",
        "in the same fresh interpreter: `/health` for the hello app, ApiSystemFunction and WidgetFunction (a 404",
        "there); for each other API function one of its own routes with an unknown API key (the whole auth path,",
        "one key look-up, then 401).",
        "*moto server*: DynamoDB is a moto server on 127.0.0.1, so the figure includes what the core defers to first",
        "use (boto3 import, client creation, one HTTP round trip). *moto in process*: `mock_aws` started and",
        "populated before the clock, so boto3/botocore are already imported and the figure understates a cold start.",
        "",
        "| Function | Request | First request ms, moto server (median) | min–max | × hello "
        "| First request ms, moto in process | HTTP status | Imported on first request |",
        "|---|---|---:|---:|---:|---:|---|---|",
        f"| hello | `GET {hello.case.first_path}` | {_ms(hello_first)} | {_spread(hello, FIRST_SERVER)} | 1.00× | n/a "
        f"| {', '.join(map(str, sorted(hello.statuses)))} | {', '.join(hello.imported_on_first_request) or '—'} |",
    ]
    for cold in (c for c in results.functions if c.case.http):
        first = cold.median(FIRST_SERVER)
        first_ratio = f"{first / hello_first:.2f}×" if first and hello_first else "n/a"
        lines.append(
            f"| {cold.case.name} | `GET {cold.case.first_path}` | {_ms(first)} | {_spread(cold, FIRST_SERVER)} "
            f"| {first_ratio} "
            f"| {_ms(cold.median(FIRST_IN_PROCESS))} | {', '.join(map(str, sorted(cold.statuses))) or 'n/a'} "
            f"| {', '.join(cold.imported_on_first_request) or '—'} |"
        )
    for cold in results.functions:
        extra = sorted(
            ((pkg, ms, hello.packages_ms.get(pkg, 0.0)) for pkg, ms in cold.packages_ms.items()),
            key=lambda row: row[1] - row[2],
            reverse=True,
        )[:TOP_PACKAGES]
        lines += [
            "",
            f"Where `{cold.case.module}` spends its import time beyond the hello app (self time summed per top-level "
            "package, one `-X importtime` run, which inflates absolute figures):",
            "",
            "| Package | Handler ms | Hello ms | Extra ms |",
            "|---|---:|---:|---:|",
            *(f"| `{pkg}` | {ms:.0f} | {base:.0f} | {ms - base:+.0f} |" for pkg, ms, base in extra),
        ]
    return lines


def requests_section(chat: ChatResults) -> list[str]:
    mean = statistics.mean(chat.requests_per_turn)
    worst = max(chat.requests_per_turn)
    lines = [
        f"## 2. DynamoDB requests per chat turn ({chat.counted_turns} turns after a warm-up turn)",
        "",
        f"Goal: ≤ {REQUESTS_PER_TURN_GOAL} requests per turn (judged on the max). API key cache: "
        f"{chat.api_key_cache_seconds} s.",
        "",
        "| Turns | Mean requests/turn | Max | Goal | Result |",
        "|---:|---:|---:|---:|---|",
        f"| {chat.counted_turns} | {mean:.2f} | {worst} | ≤ {REQUESTS_PER_TURN_GOAL} "
        f"| {_verdict(worst <= REQUESTS_PER_TURN_GOAL)} |",
        "",
        "| Operation | Calls | Per turn |",
        "|---|---:|---:|",
        *(f"| {op} | {n} | {n / chat.counted_turns:.2f} |" for op, n in chat.by_operation.most_common()),
    ]
    return lines


def latency_section(chat: ChatResults) -> list[str]:
    app_only = [total - dynamo for total, dynamo in zip(chat.latencies_ms, chat.dynamo_ms, strict=True)]
    rows = (
        ("Whole turn through the handler", chat.latencies_ms),
        ("… of which inside DynamoDB calls (moto in process)", chat.dynamo_ms),
        ("… the rest (handler, FastAPI, core)", app_only),
    )
    conversations = chat.timed_turns // chat.turns_per_conversation
    return [
        f"## 3. Warm chat-turn latency, in process ({chat.timed_turns} turns)",
        "",
        f"No goal set. {conversations} conversations of {chat.turns_per_conversation} turns in one warm process, "
        "each on emptied",
        "tables after its own warm-up turn: moto's TransactWriteItems deep-copies the whole table once per operation,",
        "so its cost grows with the table (a real table's does not). The DynamoDB row is moto's in-process emulation,",
        "not DynamoDB's latency; the last row is the function's own work per turn (history window: "
        f"{chat.context_messages} messages).",
        "",
        "| Part | p50 ms | p99 ms | mean ms |",
        "|---|---:|---:|---:|",
        *(
            f"| {label} | {percentile(v, 50):.2f} | {percentile(v, 99):.2f} | {statistics.mean(v):.2f} |"
            for label, v in rows
        ),
    ]


def render(imports: ImportResults, chat: ChatResults, machine: Machine, started: datetime, seconds: float) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Run {started.astimezone(UTC):%Y-%m-%d %H:%M} UTC on {machine.cpus} CPU(s) ({machine.cpu_model}), "
        f"{machine.system}, {machine.python}; the whole run took {seconds:.0f} s. Ratios compare figures "
        "from this same run.",
        "",
        *_cold_start(imports),
        "",
        *requests_section(chat),
        "",
        *latency_section(chat),
        "",
        "Method: `make bench` (`python -m bench`). Cold start: each figure is a fresh `python -P -m bench._child` "
        "with the function's code dir, layer dirs and repo root as PYTHONPATH and its resolved template "
        "environment, timing `importlib.import_module` (and the first invocation) with `time.perf_counter`; "
        f"a discarded warm-up import of each module, then {imports.rounds} interleaved rounds in rotated order. "
        "Chat: moto `mock_aws` in process, resources from template.yaml, payload 2.0 events through the real "
        "`lambda_handler`; DynamoDB calls counted with a botocore `before-call.dynamodb` hook on the table's "
        "client (retries not included).",
        "",
    ]
    return "\n".join(lines)


WEBHOOK_RATIO_GOAL = 0.5
WEBHOOK_P50_GOAL_MS = 1000.0


def _webhook_throughput(tp: ThroughputResults) -> list[str]:
    per = tp.worker_posts or 1
    aws_ops = ", ".join(f"{op} {n / per:.2f}" for op, n in sorted(tp.aws.operations.items()))
    ok = tp.ratio >= WEBHOOK_RATIO_GOAL and tp.worker_posts == tp.deliveries
    return [
        f"## Webhooks: deliveries per second, one delivery worker vs a raw POST loop ({tp.deliveries} each)",
        "",
        f"Goal: the worker ≥ {WEBHOOK_RATIO_GOAL:.1f}× the raw loop's rate, same receiver, same run.",
        "",
        "| Sender | POSTs | Wall s | Per second | × raw | Goal | Result |",
        "|---|---:|---:|---:|---:|---:|---|",
        f"| Raw loop: `http.client`, {webhooks.CONCURRENCY} threads, a new connection per POST | {tp.raw_posts} "
        f"| {tp.raw_seconds:.2f} | {tp.raw_rate:.0f} | 1.00× | — | — |",
        f"| `delivery_jobs` runtime + `DeliveryWorker`, batches of {webhooks.CONCURRENCY} from the DeliveryQueue "
        f"(moto in process) | {tp.worker_posts} | {tp.worker_seconds:.2f} | {tp.worker_rate:.0f} | {tp.ratio:.2f}× "
        f"| ≥ {WEBHOOK_RATIO_GOAL:.1f}× | {_verdict(ok)} |",
        "",
        "Where the worker's time goes, per delivery:",
        "",
        "| Measure | Per delivery |",
        "|---|---:|",
        f"| Worker wall time | {tp.worker_seconds * 1000 / per:.1f} ms |",
        f"| … inside moto's DynamoDB backend (serialized, so wall time) "
        f"| {tp.aws.backend_seconds * 1000 / per:.1f} ms |",
        f"| AWS calls (botocore, summed over the {webhooks.CONCURRENCY} threads, lock waits included) "
        f"| {tp.aws.seconds * 1000 / per:.1f} ms |",
        f"| AWS calls by operation | {aws_ops} |",
        "",
        f"Checks: the receiver got {tp.worker_posts} worker POSTs ({tp.body_bytes} B signed bodies) in {tp.batches} "
        f"batches; {tp.succeeded_records} delivery records ended `succeeded`. The raw loop posts the same body with "
        "the same headers. Each round fans out 10 events with the real `FanOut` (untimed), delivers them (timed: "
        "receive, the `delivery_jobs` runtime, delete) and drops their records (untimed), because moto deep-copies "
        "the whole "
        "table, stream records included, on every TransactWriteItems; the table's stream is not recorded here for "
        "the same reason. "
        "moto's DynamoDB operations run under one lock (moto is not thread-safe: a cancelled transaction restores its "
        "copy over concurrent writes). Receiver, worker and raw loop share one interpreter (one GIL) on this machine, "
        "so the ratio mostly measures the emulated AWS calls each delivery makes, not the network.",
    ]


def _webhook_latency(lat: LatencyResults) -> list[str]:
    rows = (
        ("Event `timestamp` (just before the commit) → first POST arrives", lat.commit_to_attempt_ms, True),
        ("HTTP response of the change → first POST arrives", lat.response_to_attempt_ms, False),
        ("… event `timestamp` → fan-out logged", lat.commit_to_fanout_ms, False),
        ("… fan-out logged → first POST arrives", lat.fanout_to_attempt_ms, False),
    )
    lines = [
        f"## Webhooks: event committed → first delivery attempt on the local stack ({lat.events} events)",
        "",
        f"Goal: p50 ≤ {WEBHOOK_P50_GOAL_MS / 1000:.0f} s (judged on the first row).",
        "",
        "| Measured | Events | p50 ms | p90 ms | max ms | Goal | Result |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for label, values, judged in rows:
        if not values:
            lines.append(f"| {label} | 0 | n/a | n/a | n/a | — | — |")
            continue
        p50 = percentile(values, 50)
        goal = f"≤ {WEBHOOK_P50_GOAL_MS:.0f}" if judged else "—"
        verdict = _verdict(p50 <= WEBHOOK_P50_GOAL_MS and lat.lost == 0) if judged else "—"
        lines.append(
            f"| {label} | {len(values)} | {p50:.0f} | {percentile(values, 90):.0f} | {max(values):.0f} "
            f"| {goal} | {verdict} |"
        )
    lines += [
        "",
        f"Lost (no delivery within {webhooks.LATENCY_WAIT_S} s): {lat.lost} of {lat.events}. `python -m local` started "
        f"in a subprocess ({lat.startup_s:.1f} s to ready), one endpoint for `agent.updated` at a local receiver "
        "answering 200, an agent changed with `PUT /api/v1/agent/{id}` once as a warm-up and then "
        f"{lat.events} times, each change waiting for its delivery. The delivery function's SQS event source has "
        f"`MaximumBatchingWindowInSeconds: {lat.batching_window_s:g}` in template.yaml, so a lone message waits "
        "that long for company before the batch is invoked (Lambda does the same; the local poller emulates it): "
        "that window is most of the second hop. The fan-out time comes from the fan-out's own log line "
        "(millisecond timestamps, same clock).",
    ]
    return lines


def webhooks_section(tp: ThroughputResults | None, lat: LatencyResults | None, errors: list[str]) -> str:
    """The two webhook sections (appended to ``bench/RESULTS.md``); a benchmark that failed says why."""
    lines: list[str] = [""]
    if tp is not None:
        lines += [*_webhook_throughput(tp), ""]
    if lat is not None:
        lines += [*_webhook_latency(lat), ""]
    lines += [f"Webhook benchmark not measured: {error}" for error in errors]
    return "\n".join(lines) + ("\n" if errors else "")


def cold_start_alone(previous: str, imports: ImportResults, machine: Machine, started: datetime, seconds: float) -> str:
    """``previous`` (the last ``bench/RESULTS.md``) with section 1 replaced by this run's (``python -m bench
    imports``): the other sections keep their figures and their run's header; the note says when and how loaded."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    note = (
        f"(Section 1 re-run alone with `python -m bench imports` on {started.astimezone(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{machine.cpus} CPU(s) ({machine.cpu_model}), {machine.python}, in {seconds:.0f} s; the other sections are "
        f"from the run above. Load average at the end (1, 5, 15 min): {load} on {machine.cpus} CPUs, the machine "
        "shared with other jobs, so absolute figures are high and spreads wide; every ratio compares medians of "
        "interleaved rounds of this same run.)"
    )
    section = _cold_start(imports)
    lines = previous.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("## 1. "))
    end = next(i for i, line in enumerate(lines) if line.startswith("## 2. "))
    return "\n".join([*lines[:start], section[0], "", note, *section[1:], "", *lines[end:]]) + "\n"
