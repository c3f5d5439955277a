"""The ``bench/RESULTS.md`` section of :mod:`bench.local_load`; ``python -m bench.local_load_report`` runs only
these figures and puts the section into RESULTS.md in place (or at the end)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

from bench import local_load
from bench.common import AWS_ENV, RESULTS_PATH, median, percentile
from bench.local_load import ChatResults, MemoryResults, WriteResults

TITLE = "## Local stack under real data and load"
PROFILE_NOTE = (
    "Where the memory went (tracemalloc of the stack, 0 → 100 leads, and a census of live objects at 100 and "
    "1,000 leads, 3 endpoints, 2026-12-04): moto's `BaseModel` keeps every object it ever built in "
    "`instances_tracked` (for its dashboard): at 1,000 leads 13,196 moto `Item`s were alive for ~3,700 stored "
    "(the deep copies of every Query result, UpdateItem and transaction snapshot) and every stream record and "
    "SQS message ever made. `local/moto_tracking.py` makes that registry weak; stream records are kept pickled "
    "(~1.2 KB each instead of ~7-9.5 KB, `local/moto_streams.py`); attribute names are interned "
    "(`local/moto_items.py`); `malloc_trim` runs every 10 s (`local/memory.py`). What remains is the data, as deep "
    "sizes of moto's objects per lead: the lead ~6.5 KB, its e-mail lock ~1.3 KB, its outbox event ~7.9 KB, each "
    "delivery record ~13 KB (three per lead once fanned out, hence the drained figure), and ~1.2 KB per stream "
    "record not yet read (5,823 of them at 1,000 leads in the census, the fan-out lagging)."
)


def _verdict(ok: bool) -> str:
    return "**PASS**" if ok else "**FAIL**"


def _writes(r: WriteResults) -> list[str]:
    goal = local_load.WRITE_RATIO_GOAL
    return [
        f"### Creating a lead through the HTTP front: {local_load.SMALL} vs {local_load.BIG:,} items in the table",
        "",
        f"{local_load.WRITES_TIMED} `POST /api/v1/sdk/lead` one after another (after 5 warm-up), first with "
        f"{local_load.SMALL} filler items, then with {local_load.BIG:,} (another tenant's lead-shaped items with GSI "
        f"keys, written with BatchWriteItem straight to moto). Goal: p50 ratio ≤ {local_load.WRITE_RATIO_GOAL}.",
        "",
        "| items in the table | p50 | p95 | max |",
        "|---:|---:|---:|---:|",
        *(
            f"| {n:,} | {median(v):.0f} ms | {percentile(v, 95):.0f} ms | {max(v):.0f} ms |"
            for n, v in ((local_load.SMALL, r.small_ms), (local_load.BIG, r.big_ms))
        ),
        "",
        f"Ratio (p50): **{r.ratio:.2f}** (goal ≤ {goal}) {_verdict(r.ratio <= goal)}",
        "",
    ]


def _memory(r: MemoryResults) -> list[str]:
    ok = r.ratio <= local_load.RSS_RATIO_GOAL
    return [
        f"### Memory: RSS of the stack after {local_load.FEW} vs {local_load.MANY:,} writes, "
        f"{local_load.ENDPOINTS} webhook endpoints",
        "",
        f"Leads created by {local_load.WRITERS} clients; every `lead.created` goes to {local_load.ENDPOINTS} local "
        "receivers. RSS read from `/proc/<pid>/status` once the deliveries arrived (or "
        f"{local_load.SETTLE_S:.0f} s passed). Goal: ratio ≤ {local_load.RSS_RATIO_GOAL}.",
        "",
        "| point | RSS |",
        "|---|---:|",
        f"| started, endpoints registered | {r.start_mb:.0f} MB |",
        f"| after {local_load.FEW} writes | {r.after_few_mb:.0f} MB |",
        f"| after {local_load.MANY:,} writes | {r.after_many_mb:.0f} MB |",
        f"| queues drained (not part of the goal) | {r.drained_mb:.0f} MB |",
        "",
        f"Ratio: **{r.ratio:.2f}** (goal ≤ {local_load.RSS_RATIO_GOAL}) {_verdict(ok)}; deliveries received "
        f"{r.delivered:,} of {r.expected:,}; {r.seconds:.0f} s in all. Once drained ({r.drain_seconds:.0f} s more, "
        f"at most {local_load.DRAIN_S:.0f}): {r.drained_delivered:,} of {r.expected:,} received, RSS "
        f"{r.drained_mb / r.after_few_mb:.2f}× the RSS after {local_load.FEW}; load average {r.load}.",
        "",
        PROFILE_NOTE,
        "",
    ]


def _chat(r: ChatResults) -> list[str]:
    values = r.latencies_ms or [0.0]
    return [
        f"### Chat turns: {r.clients} concurrent clients for {r.seconds:.0f} s",
        "",
        f"Each client chats with the demo agent in its own conversation (a new one every "
        f"{local_load.TURNS_PER_CONVERSATION} turns). Goal: 0 errors.",
        "",
        "| turns | turns/s | p50 | p95 | max | errors |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {len(r.latencies_ms):,} | {r.turns_per_second:.1f} | {median(values):.0f} ms "
        f"| {percentile(values, 95):.0f} ms | {max(values):.0f} ms | {len(r.errors)} |",
        "",
        f"Result: {_verdict(not r.errors)}" + (f"; first error: `{r.errors[0][:200]}`" if r.errors else ""),
        "",
    ]


def section() -> str:
    """Run the three figures (one that fails is reported in its place) and render the section."""
    lines = ["", TITLE, "", "Each figure runs its own `python -m local` on loopback (`bench/local_load.py`).", ""]
    for name, measure in MEASURES.items():
        started = time.perf_counter()
        print(f"bench: local stack, {name} ...", file=sys.stderr, flush=True)
        try:
            lines += measure()
        except Exception as exc:  # noqa: BLE001 - reported in RESULTS.md
            lines += [f"{name}: not measured: `{exc!r}`"[:500], ""]
        print(f"bench: local stack, {name} took {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    return "\n".join(lines)


def replace_section(text: str, new: str) -> str:
    """``text`` with its local-stack section (up to the next ``## `` heading) replaced by ``new``, or appended."""
    start = text.find(f"\n{TITLE}")
    if start < 0:
        return text.rstrip("\n") + "\n" + new
    end = text.find("\n## ", start + 1)
    return text[:start] + new.rstrip("\n") + "\n" + (text[end:] if end >= 0 else "")


SUBSECTIONS = {"writes": "### Creating a lead", "memory": "### Memory:", "chat": "### Chat turns:"}


def replace_subsection(text: str, name: str, new: list[str]) -> str:
    """``text`` with one figure's ``###`` subsection of the local-stack section replaced by ``new``."""
    start = text.find(SUBSECTIONS[name], text.find(f"\n{TITLE}"))
    if start < 0:
        raise SystemExit(f"no {name} subsection in {RESULTS_PATH}: run all figures once")
    ends = [i for i in (text.find("\n### ", start + 1), text.find("\n## ", start + 1)) if i >= 0]
    end = min(ends) + 1 if ends else len(text)
    return text[:start] + "\n".join(new).rstrip("\n") + "\n\n" + text[end:]


MEASURES: dict[str, Callable[[], list[str]]] = {
    "writes": lambda: _writes(local_load.run_writes()),
    "memory": lambda: _memory(local_load.run_memory()),
    "chat": lambda: _chat(local_load.run_chat()),
}

if __name__ == "__main__":
    # no argument: every figure, the whole section; `chat` (or `writes`, `memory`): only those subsections
    os.environ.update(AWS_ENV)
    text = RESULTS_PATH.read_text(encoding="utf-8")
    if len(sys.argv) > 1:
        for name in sys.argv[1:]:
            text = replace_subsection(text, name, MEASURES[name]())
    else:
        text = replace_section(text, section())
    RESULTS_PATH.write_text(text, encoding="utf-8")
    print(f"bench: wrote the local-stack section of {RESULTS_PATH}", file=sys.stderr)
