"""``python -m bench``: run every benchmark once, print the report and write ``bench/RESULTS.md``.

``python -m bench imports`` runs section 1 (cold start) alone and replaces only that section of the file;
``python -m bench answers`` (or ``python -m bench.answers``) does the same for the answer-quality section, and
``python -m bench realtime`` for the real-time section (push latency into the widget, concurrent sockets), and
``python -m bench cold-answer`` for the first answer after a cold start (10,000 chunks), and
``python -m bench knowledge`` for the widget.js size and knowledge base (search, ingest) sections.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime

from bench import (
    answers,
    chat,
    cold_answer,
    imports,
    input_parser,
    knowledge,
    list_pages,
    local_load_report,
    queued_chat,
    realtime,
    report,
    webhook_memory,
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
    memory = _webhook_memory(throughput, "" if throughput else "; ".join(errors))
    print(
        f"bench: webhook latency on the local stack ({time.perf_counter() - started:.0f} s so far) ...", file=sys.stderr
    )
    try:
        latency = webhooks.run_latency(stack)
    except Exception as exc:  # noqa: BLE001 - reported in RESULTS.md
        errors.append(f"latency: {exc!r}")
    return report.webhooks_section(throughput, latency, errors) + "\n" + memory


def _webhook_memory(moto: webhooks.ThroughputResults | None, moto_error: str) -> str:
    """The delivery worker on the in-memory table vs a raw POST loop, with the moto figure beside it."""
    print("bench: webhook deliveries on the in-memory table ...", file=sys.stderr, flush=True)
    try:
        results = webhook_memory.run()
    except Exception as exc:  # noqa: BLE001 - reported in RESULTS.md
        return webhook_memory.section(None, repr(exc))
    results.moto, results.moto_error = moto, moto_error or None
    return webhook_memory.section(results)


def _webhook_memory_alone() -> int:
    """``python -m bench webhooks-memory``: that section alone (moto figure included), in place in RESULTS.md."""
    os.environ.update(AWS_ENV)
    started = time.perf_counter()
    try:
        moto, moto_error = webhooks.run_throughput(load_stack()), ""
    except Exception as exc:  # noqa: BLE001 - reported in RESULTS.md
        moto, moto_error = None, repr(exc)
    text = _webhook_memory(moto, moto_error)
    webhook_memory.write_section(text)
    print(text)
    print(f"bench: wrote the in-memory webhook section of {RESULTS_PATH} ({time.perf_counter() - started:.0f} s)")
    return 0


def _queued_chat(started: float) -> str:
    print(f"bench: queued chat on the local stack ({time.perf_counter() - started:.0f} s so far) ...", file=sys.stderr)
    try:
        return queued_chat.section(queued_chat.run())
    except Exception as exc:  # noqa: BLE001 - reported in RESULTS.md
        return queued_chat.section(None, repr(exc))


def _realtime() -> str:
    try:
        return "\n" + realtime.section(realtime.run())
    except Exception as exc:  # noqa: BLE001 - reported in RESULTS.md
        return "\n" + realtime.section(realtime.Results(latency_error=repr(exc)))


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


def _chat_alone() -> int:
    """``python -m bench chat``: sections 2 and 3 (DynamoDB requests per chat turn, warm latency), in place."""
    os.environ.update(AWS_ENV)
    turns = chat.run(load_stack())
    new = "\n".join([*report.requests_section(turns), "", *report.latency_section(turns), ""]) + "\n"
    text = RESULTS_PATH.read_text(encoding="utf-8")
    start, end = text.index("## 2. DynamoDB requests per chat turn"), text.index("## 4. ")
    RESULTS_PATH.write_text(text[:start] + new + text[end:], encoding="utf-8")
    print(new)
    return 0


def _replace_section(text: str, heading: str, new: str) -> str:
    """``text`` with the section that starts at ``heading`` (up to the next ``## ``) replaced by ``new``."""
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[:start] + new.strip("\n") + "\n" + (text[end:] if end != -1 else "")


def _knowledge_alone() -> int:
    """``python -m bench knowledge``: the widget.js size and knowledge base sections, in place."""
    os.environ.update(AWS_ENV)
    text = RESULTS_PATH.read_text(encoding="utf-8")
    text = _replace_section(text, "## 4. widget.js size", widget_size.section())
    new = knowledge.section(load_stack())
    text = _replace_section(text, "## Knowledge base: search and ingest", new)
    RESULTS_PATH.write_text(text, encoding="utf-8")
    print(new)
    return 0


def main() -> int:
    if sys.argv[1:] == ["knowledge"]:
        return _knowledge_alone()
    if sys.argv[1:] == ["chat"]:
        return _chat_alone()
    if sys.argv[1:] == ["imports"]:
        return _imports_alone()
    if sys.argv[1:] == ["webhooks-memory"]:
        return _webhook_memory_alone()
    if sys.argv[1:] == ["answers"]:
        return answers.main()
    if sys.argv[1:] == ["realtime"]:
        return realtime.main()
    if sys.argv[1:] == ["cold-answer"]:
        return cold_answer.main()
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
    print(f"bench: real time on the local stack ({time.perf_counter() - started:.0f} s so far) ...", file=sys.stderr)
    appended += _realtime()
    print("bench: answer quality on the in-memory table ...", file=sys.stderr, flush=True)
    data = answers.load()
    print("bench: first answer after a cold start (fresh interpreters) ...", file=sys.stderr, flush=True)
    appended += "\n" + cold_answer.section(cold_answer.run())
    appended += "\n" + answers.section(answers.run(data), answers.sweep(data))
    machine = report.Machine.current()
    text = report.render(cold, turns, machine, started_at, time.perf_counter() - started) + appended
    RESULTS_PATH.write_text(text, encoding="utf-8")
    print(text)
    print(f"bench: wrote {RESULTS_PATH} ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
