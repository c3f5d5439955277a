"""Real time on the local stack (issue 13): push latency into a real widget, and how many sockets the stack holds.

``python -m bench realtime`` runs this section alone and replaces it in ``bench/RESULTS.md``. One ``python -m
local`` (moto server, pollers, HTTP front, WebSocket API on loopback):

* **Latency**: the demo page in headless Chromium (its widget registered, chatting, socket open), the conversation
  handed off; ``MESSAGES`` operator replies, one at a time, through ``POST /conversation/{id}/reply`` (HTTP, API
  key); the time from sending the request to the bubble in the widget's DOM (a MutationObserver's ``Date.now()``)
  is the figure: the API request, the table stream → RealtimePushFunction → Management API → socket → render.
  Goal: p50 ≤ 300 ms.
* **Sockets**: ``TIERS`` concurrent sockets on one conversation (a lead token each ``$connect`` checks), opened
  ``OPENERS`` at a time with a ``TIER_DEADLINE_S`` limit per tier and a hard cap of ``max(TIERS)``; then one
  message is pushed and the sockets that received it within ``FANOUT_DEADLINE_S`` are counted.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import AWS_ENV, RESULTS_PATH
from bench.webhooks import _local_stack

SECTION = "## Real time: the widget's WebSocket on the local stack"
MESSAGES = 20
P50_GOAL_MS = 300.0
TIERS = (100, 500, 1000)
OPENERS = 50
TIER_DEADLINE_S = 90.0
FANOUT_DEADLINE_S = 30.0
RENDER_TIMEOUT_MS = 10_000
CHROMIUM = Path("/usr/bin/chromium")
NOTE = (
    "Every socket of a tier is on one conversation, so the last column is one message fanned out to all of them: "
    "locally that costs tens of ms per socket in the one Python process that also runs moto, the pollers and both "
    "fronts (the pusher posts 16 at a time), so the push may not reach every socket of the largest tiers within "
    f"{FANOUT_DEADLINE_S:.0f} s. A real conversation has one to three sockets."
)
OBSERVER = """() => {
  window.__rendered = {};
  const log = document.querySelector('[data-knowrithm-widget]').shadowRoot.querySelector('.log');
  new MutationObserver((changes) => {
    const now = Date.now();
    for (const change of changes) for (const node of change.addedNodes) {
      const found = String(node.textContent || '').match(/bench-[0-9]+-[0-9a-f]{8}/g) || [];
      for (const m of found) window.__rendered[m] ||= now;
    }
  }).observe(log, { childList: true, subtree: true });
}"""


@dataclass
class Tier:
    wanted: int
    opened: int = 0
    refused: int = 0
    open_s: float = 0.0
    received: int = 0
    fanout_s: float = 0.0
    error: str = ""


@dataclass
class Results:
    latencies_ms: list[float] = field(default_factory=list)
    latency_error: str = ""
    tiers: list[Tier] = field(default_factory=list)


def _table(moto: str) -> Any:
    import boto3

    resource = boto3.resource("dynamodb", endpoint_url=moto, region_name="us-east-1")
    return resource.Table(next(t.name for t in resource.tables.all() if "AppTable" in t.name))


def _operator_item(company_id: str, conversation_id: str, agent_id: str, text: str) -> dict[str, Any]:
    message_id = str(uuid.uuid4())
    return {
        "PK": f"COMPANY#{company_id}#CONV#{conversation_id}",
        "SK": f"MSG#{message_id}",
        "id": message_id,
        "company_id": company_id,
        "conversation_id": conversation_id,
        "agent_id": agent_id,
        "role": "operator",
        "content": text,
        "author": {"name": "Maya"},
        "created_at": "2026-12-04T18:00:00.000Z",
    }


def _latency(origin: str, demo: dict[str, str]) -> list[float]:
    """POST /reply -> rendered, in ms, for ``MESSAGES`` operator replies into the demo page's open widget."""
    import httpx
    from playwright.sync_api import sync_playwright

    keys = {"X-API-Key": demo["api_key"], "X-API-Secret": demo["api_secret"]}
    with sync_playwright() as playwright, httpx.Client(base_url=f"{origin}/api/v1", headers=keys, timeout=10) as api:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.goto(demo["demo_url"])
            page.locator(".launcher").click()
            for name, value in (("first_name", "Bea"), ("last_name", "Bench"), ("email", "bea@bench.example")):
                page.locator(f"input[name={name}]").fill(value)
            page.locator(".lead button[type=submit]").click()
            page.locator(".composer").wait_for(state="visible")
            key = f"knowrithm-widget::{demo['agent_id']}"
            conversation = page.evaluate("(k) => JSON.parse(localStorage.getItem(k)).conversationId", key)
            page.wait_for_timeout(500)  # the socket opens once the conversation exists
            page.evaluate(OBSERVER)
            api.post(f"/conversation/{conversation}/handoff", json={"assignee": {"name": "Maya"}}).raise_for_status()
            out: list[float] = []
            for index in range(MESSAGES):
                marker = f"bench-{index}-{uuid.uuid4().hex[:8]}"
                sent = time.time() * 1000
                reply = {"message": f"Maya: {marker}", "author": {"name": "Maya"}}
                api.post(f"/conversation/{conversation}/reply", json=reply).raise_for_status()
                seen = page.wait_for_function("(m) => window.__rendered[m]", arg=marker, timeout=RENDER_TIMEOUT_MS)
                out.append(float(seen.json_value()) - sent)
                page.wait_for_timeout(100)
            return out
        finally:
            browser.close()


async def _open(url: str, origin: str, count: int, deadline: float) -> tuple[list[Any], int]:
    from websockets.asyncio.client import connect

    sockets: list[Any] = []
    refused = 0
    gate = asyncio.Semaphore(OPENERS)

    async def one() -> None:
        nonlocal refused
        async with gate:
            if time.monotonic() > deadline:
                refused += 1
                return
            try:
                sockets.append(await connect(url, origin=origin, open_timeout=20, max_size=128 * 1024))  # type: ignore[arg-type]
            except Exception:  # noqa: BLE001 - counted
                refused += 1

    await asyncio.gather(*(one() for _ in range(count)))
    return sockets, refused


async def _received(sockets: list[Any], marker: str, deadline: float) -> int:
    async def one(socket: Any) -> bool:
        while time.monotonic() < deadline:
            try:
                frame = await asyncio.wait_for(socket.recv(), max(0.01, deadline - time.monotonic()))
            except Exception:  # noqa: BLE001 - timed out or closed: not received
                return False
            if marker in str(frame):
                return True
        return False

    return sum(await asyncio.gather(*(one(s) for s in sockets)))


def _tier(wanted: int, origin: str, demo: dict[str, str], moto: str) -> Tier:
    import httpx

    tier = Tier(wanted)
    page = demo["demo_url"].rstrip("/")
    api = f"{origin}/api/v1"
    body = {"first_name": "Sam", "last_name": "Socket", "email": f"s{wanted}@bench.example"}
    body["agent_id"] = demo["agent_id"]
    token = httpx.post(f"{api}/lead/register", json=body, headers={"Origin": page}, timeout=20).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "Origin": page}
    conversation = httpx.post(f"{api}/conversation", json={"agent_id": demo["agent_id"]}, headers=headers).json()["id"]
    url = f"{demo['websocket_url']}?token={token}&conversation_id={conversation}"

    async def run() -> None:
        started = time.monotonic()
        sockets, tier.refused = await _open(url, page, wanted, started + TIER_DEADLINE_S)
        tier.opened, tier.open_s = len(sockets), time.monotonic() - started
        try:
            marker = f"fanout-{uuid.uuid4().hex[:8]}"
            pushed = time.monotonic()
            _table(moto).put_item(Item=_operator_item(demo["company_id"], conversation, demo["agent_id"], marker))
            tier.received = await _received(sockets, marker, pushed + FANOUT_DEADLINE_S)
            tier.fanout_s = time.monotonic() - pushed
        finally:
            await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)

    asyncio.run(run())
    return tier


def run() -> Results:
    results = Results()
    with (
        tempfile.TemporaryDirectory(prefix="bench-realtime-") as state,
        _local_stack(Path(state)) as (origin, demo, log_path),
    ):
        moto = _moto_endpoint(log_path)
        try:
            results.latencies_ms = _latency(origin, demo) if CHROMIUM.exists() else []
            results.latency_error = "" if CHROMIUM.exists() else "no /usr/bin/chromium (make chromium)"
        except Exception as exc:  # noqa: BLE001 - reported in RESULTS.md
            results.latency_error = repr(exc)
        for wanted in TIERS:
            try:
                tier = _tier(wanted, origin, demo, moto)
            except Exception as exc:  # noqa: BLE001 - reported in RESULTS.md
                tier = Tier(wanted, error=repr(exc))
            results.tiers.append(tier)
            if tier.error or tier.opened < wanted:
                break  # the next tier cannot do better
    return results


def _moto_endpoint(log_path: Path) -> str:
    for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines():
        if "moto server on " in line:
            return line.split("moto server on ", 1)[1].split()[0]
    raise RuntimeError("the local stack did not print its moto endpoint")


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def section(results: Results) -> str:
    lines = [SECTION, ""]
    lines.append(
        f"Operator reply (`POST /conversation/{{id}}/reply` over HTTP, conversation handed off) → rendered in the "
        f"open widget (headless Chromium, demo page), {MESSAGES} replies one at a time, timed from sending the "
        f"request. Goal: p50 ≤ {P50_GOAL_MS:.0f} ms."
    )
    lines.append("")
    if results.latencies_ms:
        p50, p95 = _percentile(results.latencies_ms, 0.5), _percentile(results.latencies_ms, 0.95)
        verdict = "PASS" if p50 <= P50_GOAL_MS else "FAIL"
        lines += [
            "| messages | p50 | p95 | max | goal |",
            "|---|---|---|---|---|",
            f"| {len(results.latencies_ms)} | {p50:.0f} ms | {p95:.0f} ms | {max(results.latencies_ms):.0f} ms "
            f"| {verdict} |",
        ]
    else:
        lines.append(f"Not measured: {results.latency_error}")
    lines += [
        "",
        f"Concurrent sockets on one conversation ({OPENERS} handshakes at a time, {TIER_DEADLINE_S:.0f} s per tier, "
        f"hard cap {max(TIERS)}), then one pushed message:",
        "",
        "| sockets asked | opened | refused / late | time to open all | received the push | push fan-out time |",
        "|---|---|---|---|---|---|",
    ]
    for tier in results.tiers:
        if tier.error:
            lines.append(f"| {tier.wanted} | error: {tier.error} | | | | |")
            continue
        lines.append(
            f"| {tier.wanted} | {tier.opened} | {tier.refused} | {tier.open_s:.1f} s | {tier.received} "
            f"| {tier.fanout_s:.1f} s |"
        )
    lines += ["", NOTE]
    return "\n".join(lines) + "\n"


def write_section(text: str) -> None:
    """Replace this section of ``bench/RESULTS.md`` (or append it)."""
    previous = RESULTS_PATH.read_text(encoding="utf-8") if RESULTS_PATH.exists() else ""
    start = previous.find(SECTION)
    if start < 0:
        RESULTS_PATH.write_text(previous.rstrip("\n") + "\n\n" + text, encoding="utf-8")
        return
    end = previous.find("\n## ", start + len(SECTION))
    rest = previous[end + 1 :] if end >= 0 else ""
    RESULTS_PATH.write_text(previous[:start] + text + ("\n" + rest if rest else ""), encoding="utf-8")


def main() -> int:
    os.environ.update(AWS_ENV)
    results = run()
    text = section(results)
    write_section(text)
    print(text)
    print(json.dumps({"latencies_ms": [round(v) for v in results.latencies_ms]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
