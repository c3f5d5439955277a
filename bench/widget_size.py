"""The widget's transfer size: widget.js raw and gzipped (level 9, as a CDN or API Gateway client would
receive it), against the 12 KB gzip budget. ``python -m bench.widget_size`` prints the section alone."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "functions" / "widget" / "widget_api" / "static" / "widget.js"
BUDGET_BYTES = 12 * 1024
# Published figures for comparison (shared/reference/anchors.md §3, knowrithm-api.md §4): gzipped unless noted.
OTHERS = (("Knowrithm widget.js (197 KB raw)", "34 KB"), ("Crisp", "~130 KB download"), ("Chatwoot", "170 KiB"))


@dataclass(frozen=True)
class WidgetSize:
    raw_bytes: int
    gzip_bytes: int

    @property
    def ok(self) -> bool:
        return self.gzip_bytes <= BUDGET_BYTES


def measure(path: Path = SCRIPT) -> WidgetSize:
    raw = path.read_bytes()
    return WidgetSize(len(raw), len(gzip.compress(raw, compresslevel=9, mtime=0)))


def section(number: int = 4) -> str:
    size = measure()
    verdict = "**PASS**" if size.ok else "**FAIL**"
    rows = "\n".join(f"| {name} | {figure} |" for name, figure in OTHERS)
    return f"""
## {number}. widget.js size

Goal: ≤ {BUDGET_BYTES // 1024} KB gzipped (`functions/widget/widget_api/static/widget.js`, hand-written, no build step).

| Raw bytes | Gzip bytes (level 9) | Gzip KB | Goal | Result |
|---:|---:|---:|---:|---|
| {size.raw_bytes} | {size.gzip_bytes} | {size.gzip_bytes / 1024:.1f} | ≤ {BUDGET_BYTES // 1024} KB | {verdict} |

| For comparison | Size |
|---|---|
{rows}
"""


if __name__ == "__main__":
    print(section())
