"""The hardened JSON parser's cost (``knowrithm_core.safe_json.parse_json``) against plain ``json.loads``, for a
typical request body and for the worst body the limits let through. ``python -m bench.input_parser`` prints
the section alone."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.common import median
from local.template import ROOT

if str(ROOT / "layers" / "core") not in sys.path:
    sys.path.insert(0, str(ROOT / "layers" / "core"))  # the layer, as Lambda puts it on the path

from knowrithm_core.safe_json import MAX_BODY_BYTES, MAX_VALUES, parse_json  # noqa: E402

TYPICAL = json.dumps(
    {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "metadata": {"plan": "pro"}}
).encode()
# objects of five values until the value limit: the most Python-side work one body can cost
WORST = json.dumps(
    {"items": [{"n": f"n{i}", "s": i * 1.5, "t": ["x", "y"]} for i in range((MAX_VALUES - 10) // 6)]}
).encode()
GOALS_MS = {"typical": 0.1, "worst": 500.0}  # worst: bounded, whatever a client sends


@dataclass(frozen=True)
class Timing:
    name: str
    size: int
    loads_ms: float
    parse_ms: float

    @property
    def ok(self) -> bool:
        return self.parse_ms <= GOALS_MS[self.name]


def _median_ms(call: Callable[[], Any], repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return median(samples)


def measure() -> list[Timing]:
    assert len(WORST) <= MAX_BODY_BYTES
    parse_json(WORST)  # within every limit
    rows = []
    for name, body, repeats in (("typical", TYPICAL, 2_000), ("worst", WORST, 15)):
        loads = _median_ms(lambda body=body: json.loads(body), repeats)
        parsed = _median_ms(lambda body=body: parse_json(body), repeats)
        rows.append(Timing(name, len(body), loads, parsed))
    return rows


def section() -> str:
    rows = "\n".join(
        f"| {t.name} | {t.size:,} | {t.loads_ms:.3f} | {t.parse_ms:.3f} | {t.parse_ms / t.loads_ms:.1f} | "
        f"≤ {GOALS_MS[t.name]:g} | {'**PASS**' if t.ok else '**FAIL**'} |"
        for t in measure()
    )
    return f"""
## Input parser: the limits' cost per request body

`parse_json` (every limit of README "Limits") against plain `json.loads`, median ms. Typical: a lead with
metadata; worst: {MAX_VALUES:,} values, the most a body may hold.

| Body | Bytes | json.loads ms | parse_json ms | Ratio | Goal ms | Result |
|---|---:|---:|---:|---:|---:|---|
{rows}
"""


if __name__ == "__main__":
    print(section())
