"""Save the local stack's state while it runs and when it stops (``make dev`` keeps its data across restarts).

A background thread snapshots every ``LOCAL_SNAPSHOT_SECONDS`` (2 s) after any function ran, and at least every
:data:`IDLE_CHECK_SECONDS` otherwise (a pre-signed upload goes straight to moto); the file is rewritten only when
its content changed, atomically, so a ``kill -9`` loses at most the last few seconds (more with a table of tens
of thousands of items, whose capture takes a while: the saves then space out). :meth:`Saver.stop` saves
once more after everything else stopped. Nothing is saved until :meth:`Saver.arm` (after restore and seed), so a
start that fails half-way never overwrites a good snapshot.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from local import persist, snapshot
from local.template import Stack

log = logging.getLogger("local.state")
DEFAULT_INTERVAL_SECONDS = 2.0
IDLE_CHECK_SECONDS = 30.0
LOCK_SHARE = 0.1


def snapshot_interval(value: str | None) -> float:
    """``LOCAL_SNAPSHOT_SECONDS`` as a positive number of seconds (default 2)."""
    try:
        seconds = float(value) if value else DEFAULT_INTERVAL_SECONDS
    except ValueError:
        return DEFAULT_INTERVAL_SECONDS
    return seconds if seconds > 0 else DEFAULT_INTERVAL_SECONDS


class Saver:
    """Writes ``state.json`` for one running stack."""

    def __init__(self, stack: Stack, endpoint: str, directory: Path, activity: Callable[[], int]) -> None:
        self.stack, self.endpoint, self.directory, self.activity = stack, endpoint, directory, activity
        self.demo: dict[str, Any] | None = None
        self._written = ""
        self._objects: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def arm(self, demo: dict[str, Any], interval: float) -> None:
        """Start saving (the state is now complete), first right away, then in the background."""
        self.demo = demo
        self.save()
        self._thread = threading.Thread(target=self._loop, args=(interval,), name="local-state", daemon=True)
        self._thread.start()

    def save(self) -> bool:
        """Write the snapshot if it changed since the last write; True if it wrote."""
        if self.demo is None:
            return False
        with self._lock:
            state = persist.capture(self.stack, self.endpoint, self._objects)
            text = snapshot.dumps({**state, "demo": self.demo})
            if text == self._written:
                return False
            snapshot.write(self.directory, text)
            self._written = text
            return True

    def _loop(self, interval: float) -> None:
        """Save after activity; a capture holds moto's DynamoDB lock, so a slow one (a big table) spaces the next
        ones out (at most :data:`LOCK_SHARE` of the time is spent capturing)."""
        seen, idle, wait = self.activity(), 0.0, interval
        while not self._stop.wait(wait):
            idle += wait
            current = self.activity()
            if current == seen and idle < IDLE_CHECK_SECONDS:
                wait = interval
                continue
            seen, idle = current, 0.0
            started = time.monotonic()
            try:
                self.save()
            except Exception:  # noqa: BLE001 - a failed save is retried at the next tick; the stack keeps serving
                log.exception("could not save the local state (will retry)")
            wait = max(interval, (time.monotonic() - started) / LOCK_SHARE)

    def stop(self) -> None:
        """Stop the background saves and save one last time (the stack's other parts have stopped)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)  # a save in progress finishes first (the lock orders the two)
        try:
            if self.save():
                print(f"✓ saved the local state to {self.directory / snapshot.FILE_NAME}")
        except Exception:  # noqa: BLE001 - the last good snapshot stays in place; say so and go on stopping
            log.exception("could not save the local state on stop; %s keeps the last save", snapshot.FILE_NAME)
