"""``python -m bench``: run every benchmark once, print the report and write ``bench/RESULTS.md``.

``python -m bench imports`` runs section 1 (cold start) alone and replaces only that section of the file.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime

from bench import (
    chat,
    imports,
    input_parser,
    knowledge,
    list_pages,
    local_load_report,
    queued_chat,
    report,
    webhooks,
    widget_size,
)
from bench.common import AWS_ENV, RESULTS_PATH, load_stack
from local.template import Stack


def _webhooks(stack: Stack, started: float) -> str:
    """Both webhook benchmarks; one that fails is reported in its section instead of ending the run."""
    throughput, latency, errors = None, None, []
    print(f"bench: webhook deliveries in process ({time.perf_counter() - started:.0f} s so far) ...", file=sys.stderr)
    try:
        throughput = webhooks.run_throughput(stack)
    except Exception as exc:  # noqa: BLE001 - reported in RESULTS.md
        errors.append(f"throughput: {exc!r}")
    print(
        f"bench: webhook latency on the local stack ({time.perf_counter() - started:.0f} s so far) ...", file=sys.stderr
    )
    try:
        latency = webhooks.run_latency(stack)
    except Exception as exc:  # noqa: BLE001 - reported in RESULTS.md
        errors.append(f"latency: {exc!r}")
    return report.webhooks_section(throughput, latency, errors)


def _queued_chat(started: float) -> str:
    print(f"bench: queued chat on the local stack ({time.perf_counter() - started:.0f} s so far) ...", file=sys.stderr)
    try:
        return queued_chat.section(queued_chat.run())
    except Exception as exc:  # noqa: BLE001 - reported in RESULTS.md
        return queued_chat.section(None, repr(exc))


def _imports_alone() -> int:
    started_at, started = datetime.now(UTC), time.perf_counter()
    os.environ.update(AWS_ENV)
    print("bench: cold start only (fresh interpreters) ...", file=sys.stderr, flush=True)
    cold = imports.run(load_stack())
    previous = RESULTS_PATH.read_text(encoding="utf-8")
    text = report.cold_start_alone(previous, cold, report.Machine.current(), started_at, time.perf_counter() - started)
    RESULTS_PATH.write_text(text, encoding="utf-8")
    print(text)
    print(f"bench: wrote section 1 of {RESULTS_PATH} ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return 0


def main() -> int:
    if sys.argv[1:] == ["imports"]:
        return _imports_alone()
    started_at = datetime.now(UTC)
    started = time.perf_counter()
    os.environ.update(AWS_ENV)
    stack = load_stack()
    print("bench: cold start (fresh interpreters) ...", file=sys.stderr, flush=True)
    cold = imports.run(stack)
    elapsed = time.perf_counter() - started
    print(f"bench: chat turns in process ({elapsed:.0f} s so far) ...", file=sys.stderr, flush=True)
    turns = chat.run(stack)
    appended = widget_size.section() + input_parser.section() + knowledge.section(stack)
    print(f"bench: list pages in process ({time.perf_counter() - started:.0f} s so far) ...", file=sys.stderr)
    appended += list_pages.run_section()
    appended += _queued_chat(started) + _webhooks(stack, started)
    appended += local_load_report.section()
    machine = report.Machine.current()
    text = report.render(cold, turns, machine, started_at, time.perf_counter() - started) + appended
    RESULTS_PATH.write_text(text, encoding="utf-8")
    print(text)
    print(f"bench: wrote {RESULTS_PATH} ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
