"""Freed heap memory goes back to the OS: ``malloc_trim`` (glibc) on demand and on a timer."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest

from local import memory

glibc = pytest.mark.skipif(memory._malloc_trim() is None, reason="malloc_trim is glibc's")


def rss_mb() -> float:
    status = Path("/proc/self/status").read_text(encoding="utf-8")
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024  # type: ignore[union-attr]


@glibc
def test_trim_gives_back_pages_freed_inside_the_heap() -> None:
    # GIVEN ~64 MB of 1 KB blocks (glibc's heap, not Python's small-object arenas) of which 1 in 64 stays alive,
    # so no freed page sits at the heap's top where glibc would release it by itself
    blocks = [bytes(1024) for _ in range(64 * 1024)]
    kept = blocks[::64]
    del blocks
    before = rss_mb()
    # WHEN the heap is trimmed
    memory.trim()
    # THEN most of the freed 63 MB leaves the process
    assert before - rss_mb() > 30, f"RSS {before:.0f} -> {rss_mb():.0f} MB"
    assert len(kept) == 1024


def test_the_trim_interval_setting() -> None:
    # GIVEN / WHEN LOCAL_MALLOC_TRIM_SECONDS unset, set to a number, to 0, or to nonsense
    # THEN the default, that number, off, or a clear error
    assert memory.trim_interval(None) == memory.trim_interval("") == memory.INTERVAL_S
    assert memory.trim_interval("2.5") == 2.5
    assert memory.trim_interval("0") == 0
    for bad in ("soon", "-1", "nan"):
        with pytest.raises(ValueError, match="LOCAL_MALLOC_TRIM_SECONDS"):
            memory.trim_interval(bad)


def test_the_trimmer_trims_on_its_interval_until_stopped() -> None:
    # GIVEN a trimmer every 10 ms
    trimmer = memory.Trimmer(0.01).start()
    # WHEN it has run a few times and is stopped
    deadline = time.monotonic() + 30
    while trimmer.trims < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    trimmer.stop()
    stopped_at = trimmer.trims
    # THEN it trimmed, its thread is gone, and it trims no more
    assert stopped_at >= 3
    assert not any(t.name == "malloc-trim" and t.is_alive() for t in threading.enumerate())
    time.sleep(0.05)
    assert trimmer.trims == stopped_at
