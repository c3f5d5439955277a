"""``python -m bench``: run every benchmark once, print the report and write ``bench/RESULTS.md``."""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime

from bench import chat, imports, report
from bench.common import AWS_ENV, RESULTS_PATH, load_stack


def main() -> int:
    started_at = datetime.now(UTC)
    started = time.perf_counter()
    os.environ.update(AWS_ENV)
    stack = load_stack()
    print("bench: cold start (fresh interpreters) ...", file=sys.stderr, flush=True)
    cold = imports.run(stack)
    elapsed = time.perf_counter() - started
    print(f"bench: chat turns in process ({elapsed:.0f} s so far) ...", file=sys.stderr, flush=True)
    turns = chat.run(stack)
    text = report.render(cold, turns, report.Machine.current(), started_at, time.perf_counter() - started)
    RESULTS_PATH.write_text(text, encoding="utf-8")
    print(text)
    print(f"bench: wrote {RESULTS_PATH} ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
