"""Rate limits: the widget's public and lead-token calls (lead registration and chat, per lead and per IP)
and document uploads (per company, ``POST /document/upload`` and ``/document/upload-url``).

Limits are ``count/seconds`` strings from the environment (``RATE_LIMIT_REGISTER_IP`` and friends, see
:mod:`knowrithm_core.config`); ``0`` or ``off`` disables one. Over a limit: 429 with ``Retry-After``.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Mapping

from knowrithm_core.config import Settings
from knowrithm_core.errors import RateLimited
from knowrithm_core.store.counters import Counter, CounterStore


def parse_limit(text: str) -> tuple[int, int] | None:
    """``"30/600"`` -> (30, 600); ``0``, ``off`` or empty -> None (no limit)."""
    raw = text.strip().lower()
    if raw in {"", "0", "off", "none"}:
        return None
    count, _, seconds = raw.partition("/")
    if not count.isdigit() or not seconds.isdigit() or int(count) < 1 or int(seconds) < 1:
        raise ValueError(f"rate limit '{text}' must look like COUNT/SECONDS, e.g. 30/600")
    return int(count), int(seconds)


NOUNS = {"register": "registrations", "chat": "messages", "upload": "document uploads"}


class RateLimiter:
    def __init__(self, store: CounterStore, settings: Settings) -> None:
        self.store = store
        self.limits: dict[tuple[str, str], tuple[int, int] | None] = {
            ("register", "ip"): parse_limit(settings.rate_limit_register_ip),
            ("register", "email"): parse_limit(settings.rate_limit_register_email),
            ("chat", "lead"): parse_limit(settings.rate_limit_chat_lead),
            ("chat", "ip"): parse_limit(settings.rate_limit_chat_ip),
            ("upload", "company"): parse_limit(settings.rate_limit_upload),
        }

    def check(self, action: str, subjects: Mapping[str, str | None], now: float | None = None) -> None:
        """Count one ``action`` for each subject (kind -> value); 429 if any of them is over its limit."""
        counters = []
        for kind, value in subjects.items():
            limit = self.limits.get((action, kind))
            if limit and value:
                digest = hashlib.sha256(f"{action}:{kind}:{value.lower()}".encode()).hexdigest()[:32]
                counters.append(Counter(f"{action}:{kind}:{digest}", limit[0], limit[1]))
        moment = time.time() if now is None else now
        full = self.store.hit(counters, moment)
        if full is not None:
            retry_after = max(1, math.ceil(full.window_start(moment) + full.window_seconds - moment))
            kind = full.key.split(":")[1]
            raise RateLimited(
                f"Too many {NOUNS.get(action, 'requests')} from this {kind}; try again in {retry_after} s.",
                retry_after=retry_after,
            )
