"""Queued chat on the local stack: how fast the 202 comes back, and how long until the task is completed.

Starts ``python -m local`` (moto server, the template's SQS pollers), then for the demo agent sends
``TURNS`` inline turns and ``TURNS`` queued turns (``Prefer: respond-async``) in fresh conversations. For a
queued turn it measures the acknowledgement's response time and then polls ``status_url`` every
``POLL_S`` until ``completed`` (at most ``WAIT_S``; a turn not done by then counts as lost). The first turn
of each kind warms the path and is not counted. Only loopback traffic; bounded counts and durations.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import median, percentile
from bench.webhooks import _local_stack

TURNS = 20
POLL_S = 0.02
WAIT_S = 20.0
QUESTION = "When are you open on Sunday?"


@dataclass
class QueuedChatResults:
    turns: int
    inline_ms: list[float]
    ack_ms: list[float]
    answered_ms: list[float]  # from sending the message to the completed task
    lost: int
    startup_s: float


def run(turns: int = TURNS) -> QueuedChatResults:
    import httpx

    inline_ms: list[float] = []
    ack_ms: list[float] = []
    answered_ms: list[float] = []
    lost = 0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, _local_stack(Path(tmp)) as (origin, demo, _log):
        startup = time.perf_counter() - started
        headers = {"X-API-Key": demo["api_key"], "X-API-Secret": demo["api_secret"]}
        with httpx.Client(base_url=f"{origin}/api/v1", headers=headers, timeout=15) as api:
            for i in range(turns + 1):
                conversation = api.post("/conversation", json={"agent_id": demo["agent_id"]})
                conversation.raise_for_status()
                path = f"/conversation/{conversation.json()['id']}/chat"
                sent = time.perf_counter()
                api.post(path, json={"message": QUESTION}).raise_for_status()
                inline = time.perf_counter() - sent
                sent = time.perf_counter()
                ack = api.post(path, json={"message": QUESTION}, headers={"Prefer": "respond-async"})
                acked = time.perf_counter() - sent
                if ack.status_code != 202:
                    raise RuntimeError(f"a queued turn answered {ack.status_code}: {ack.text}")
                done = _wait(api, ack.json()["status_url"], sent)
                if i == 0:
                    continue
                inline_ms.append(inline * 1000)
                ack_ms.append(acked * 1000)
                if done is None:
                    lost += 1
                else:
                    answered_ms.append(done * 1000)
    return QueuedChatResults(turns, inline_ms, ack_ms, answered_ms, lost, startup)


def _wait(api: object, status_url: str, sent: float) -> float | None:
    """Seconds from ``sent`` until the task is completed, or None after ``WAIT_S``."""
    import httpx

    assert isinstance(api, httpx.Client)
    while time.perf_counter() - sent < WAIT_S:
        status = api.get(status_url).json()
        if status.get("status") == "completed":
            return time.perf_counter() - sent
        if status.get("status") == "failed":
            raise RuntimeError(f"a queued turn failed: {status}")
        time.sleep(POLL_S)
    return None


def section(results: QueuedChatResults | None, error: str | None = None) -> str:
    """The ``bench/RESULTS.md`` section (or why it was not measured)."""
    lines = ["", "## Queued chat on the local stack (ChatWorkerFunction)", ""]
    if results is None:
        return "\n".join([*lines, f"Not measured: {error}", ""])
    r = results
    lines += [
        f"{r.turns} inline and {r.turns} queued turns (`Prefer: respond-async`) of the demo agent over loopback,",
        f"each in a new conversation, after one warm-up of each; the stack started in {r.startup_s:.1f} s.",
        f"Polling `status_url` every {POLL_S * 1000:.0f} ms.",
        "",
        "| figure | p50 | p90 | max |",
        "|---|---:|---:|---:|",
        _row("inline turn (200 with the answer)", r.inline_ms),
        _row("queued turn: 202 acknowledgement", r.ack_ms),
        _row("queued turn: sent → task completed", r.answered_ms),
        "",
        f"Lost (not completed within {WAIT_S:.0f} s): {r.lost}. The 202 costs "
        f"{median(r.ack_ms) / median(r.inline_ms):.2f}× an inline extractive turn (p50 ratio, this run): one SQS "
        "send instead of the answer. Queueing pays off for slow responders (a Bedrock call takes seconds), "
        "whose 202 time does not depend on the model; the completed time adds the local SQS poller and "
        "the worker's own turn (the task, the conversation, the agent, retrieval, one transaction).",
        "",
    ]
    return "\n".join(lines)


def _row(label: str, values: list[float]) -> str:
    if not values:
        return f"| {label} | – | – | – |"
    return f"| {label} | {median(values):.0f} ms | {percentile(values, 90):.0f} ms | {max(values):.0f} ms |"
