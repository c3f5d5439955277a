"""Counting an API key's uses against its quotas (:mod:`knowrithm_core.auth.quotas`): one write per request."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from knowrithm_core.auth.principal import Principal
from knowrithm_core.auth.quotas import Usage, Window, stale, usage, windows
from knowrithm_core.errors import QuotaExceeded, Unauthorized
from knowrithm_core.ids import iso
from knowrithm_core.store.port import Item
from knowrithm_core.store.repositories.accounts import ApiKeyRepository
from knowrithm_core.store.table import TransactionConflict


def _counts(item: Item, limited: list[Window], now: float) -> dict[str, int]:
    return {w.attribute(now): int(item.get(w.attribute(now), 0)) for w in limited}


class KeyQuotas:
    """Each keyed request: one conditional UpdateItem on the key's item (usage, last use, window counters).

    Past windows' counters seen in the item a write returned are removed by this container's next write of
    that key (the previous hour's and day's always), so a key's item holds a handful of them at most.
    """

    def __init__(self, keys: ApiKeyRepository, forget_key: Callable[[str], None]) -> None:
        self.keys = keys
        self.forget_key = forget_key
        self._past: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()

    def count(self, principal: Principal, now: float | None = None) -> Usage | None:
        """Count one use of an API key; its ``X-RateLimit-*`` state (None for a key without limits).

        Raises :class:`QuotaExceeded` (429, nothing counted) over a limit, 401 if the key was revoked meanwhile.
        """
        moment = time.time() if now is None else now
        limited = windows(*(principal.rate_limits or (0, 0)))
        current = [w.attribute(moment) for w in limited]
        with self._lock:
            past = self._past.get(principal.subject_id, ())
        remove = stale({*past, *(w.previous(moment) for w in limited)}, current)
        counters = [(w.attribute(moment), w.limit) for w in limited]
        try:
            item = self.keys.use(principal.company_id, principal.subject_id, counters, remove, iso())
        except TransactionConflict:
            raise self._refusal(principal, limited, moment) from None
        with self._lock:
            if len(self._past) > 10_000:
                self._past.clear()
            self._past[principal.subject_id] = stale(item, current)
        return usage(limited, _counts(item, limited, moment), moment)

    def _refusal(self, principal: Principal, limited: list[Window], moment: float) -> Exception:
        """Why the write was refused (one GetItem): the key is no longer active (401), or a window is full (429)."""
        item = self.keys.item(principal.company_id, principal.subject_id)
        if not item or item.get("status") != "active":
            self.forget_key(principal.subject_id)
            return Unauthorized("This API key has been revoked.")
        state = usage(limited, _counts(item, limited, moment), moment)
        retry_after = (state.retry_after if state else None) or 1
        headers = state.headers() if state else {}
        return QuotaExceeded(
            f"This API key is over its rate limit; try again in {retry_after} s.",
            retry_after=retry_after,
            headers=headers,
        )
