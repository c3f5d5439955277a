"""Concurrent chat turns on one conversation, answered in order.

Within one process (a warm function, the local stack's threads) turns on one conversation take a
per-conversation lock, so they run one after the other without wasted work. Across processes the turn's
transaction is conditioned on the conversation's ``version``; when another turn commits first, the turn is
tried again from the start: it re-reads the conversation (so the earlier turn is in its history),
answers again and writes with the new version, after a jittered backoff. The wait is bounded
(``CHAT_TURN_WAIT_SECONDS``); past it the caller gets 409 ``conversation_busy`` with ``Retry-After``.
"""

from __future__ import annotations

import random
import threading
import time
import weakref
from collections.abc import Callable
from typing import TypeVar

from knowrithm_core.errors import ConversationBusy

T = TypeVar("T")

FIRST_PAUSE = 0.02  # seconds; doubles per attempt, full jitter
LONGEST_PAUSE = 0.4
RETRY_AFTER_SECONDS = 1


class _TurnLock:
    """One conversation's lock (a class, so the registry can hold it weakly)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()


class TurnLocks:
    """Per-conversation locks of one process (one per ChatService, i.e. per warm function); a lock lives as
    long as a turn holds or waits for it."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[str, _TurnLock] = weakref.WeakValueDictionary()
        self._mutex = threading.Lock()

    def get(self, key: str) -> _TurnLock:
        with self._mutex:
            found = self._locks.get(key)
            if found is None:
                found = _TurnLock()
                self._locks[key] = found
            return found


class TurnConflict(Exception):
    """The turn's transaction lost to a concurrent change of its conversation; nothing was written."""


def pause_before(attempt: int) -> float:
    """Full-jitter exponential backoff: uniform in [0, min(LONGEST_PAUSE, FIRST_PAUSE * 2**attempt)]."""
    return random.uniform(0, min(LONGEST_PAUSE, FIRST_PAUSE * 2**attempt))  # noqa: S311 - jitter, not a secret


def busy() -> ConversationBusy:
    return ConversationBusy(
        "The conversation is busy with other messages; send again shortly.", retry_after=RETRY_AFTER_SECONDS
    )


def in_turn(
    attempt_turn: Callable[[], T],
    wait_seconds: float,
    locks: TurnLocks | None = None,
    key: str = "",
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``attempt_turn`` holding conversation ``key``'s lock in ``locks``, until it commits without a
    :class:`TurnConflict`, waiting at most ``wait_seconds`` in all."""
    deadline = time.monotonic() + wait_seconds
    held = (locks or TurnLocks()).get(key)
    if not held.lock.acquire(timeout=max(0.0, wait_seconds)):
        raise busy()
    try:
        attempt = 0
        while True:
            try:
                return attempt_turn()
            except TurnConflict as exc:
                pause = pause_before(attempt)
                attempt += 1
                if time.monotonic() + pause > deadline:
                    raise busy() from exc
                sleep(pause)
    finally:
        held.lock.release()
