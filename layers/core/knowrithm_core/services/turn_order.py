"""Concurrent chat turns on one conversation, answered in order.

A turn's transaction is conditioned on the conversation's ``version``. When another turn commits first, the
turn is tried again from the start: it re-reads the conversation (so the earlier turn is in its history),
answers again and writes with the new version, after a jittered backoff. The wait is bounded
(``CHAT_TURN_WAIT_SECONDS``); past it the caller gets 409 ``conversation_busy`` with ``Retry-After``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from knowrithm_core.errors import ConversationBusy

T = TypeVar("T")

FIRST_PAUSE = 0.02  # seconds; doubles per attempt, full jitter
LONGEST_PAUSE = 0.4
RETRY_AFTER_SECONDS = 1


class TurnConflict(Exception):
    """The turn's transaction lost to a concurrent change of its conversation; nothing was written."""


def pause_before(attempt: int) -> float:
    """Full-jitter exponential backoff: uniform in [0, min(LONGEST_PAUSE, FIRST_PAUSE * 2**attempt)]."""
    return random.uniform(0, min(LONGEST_PAUSE, FIRST_PAUSE * 2**attempt))  # noqa: S311 - jitter, not a secret


def in_turn(attempt_turn: Callable[[], T], wait_seconds: float, sleep: Callable[[float], None] = time.sleep) -> T:
    """Run ``attempt_turn`` until it commits without a :class:`TurnConflict`, for at most ``wait_seconds``."""
    deadline = time.monotonic() + wait_seconds
    attempt = 0
    while True:
        try:
            return attempt_turn()
        except TurnConflict as exc:
            pause = pause_before(attempt)
            attempt += 1
            if time.monotonic() + pause > deadline:
                raise ConversationBusy(
                    "The conversation is busy with other messages; send again shortly.",
                    retry_after=RETRY_AFTER_SECONDS,
                ) from exc
            sleep(pause)
