"""Key-ordered list pages: one Query of ``per_page + 1`` items per page, an opaque cursor to the next one.

A page costs what it holds: page 1 reads at most ``per_page + 1`` items whatever the partition holds.
``next_cursor`` is base64url JSON of the last item's key; a cursor is checked against the list it is used
on (the same key attributes, the list's partition, the tenant's table partition) so a forged or garbled one
is a 400 and can never reach another tenant's partition.

Knowrithm's ``page=N`` without a cursor walks the first ``(N - 1) * per_page`` keys with a projection of the
key attributes only (at most ``SKIP_BATCH`` per request) and then reads the page: a deep page costs about
``N * per_page`` item reads (DynamoDB charges a Query by the items it reads, not the attributes it returns),
but only ``(N - 1) * per_page / SKIP_BATCH + 1`` requests and one page of data over the wire.
Free-text ``search`` reads at most ``SEARCH_SCAN_LIMIT`` items of the list (newest first) and pages over the
matches among them.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from knowrithm_core.errors import ValidationFailed
from knowrithm_core.pagination import PageRequest
from knowrithm_core.store.port import Item, Table

SKIP_BATCH = 1000
SEARCH_SCAN_LIMIT = 1000
MAX_CURSOR_CHARS = 2048


@dataclass(frozen=True)
class Listing:
    """Where a list lives: a partition of the table (or of an index) and its sort-key prefix.

    ``tenant_pk`` is the tenant's partition prefix every item's table ``PK`` starts with."""

    pk: str
    tenant_pk: str
    index: str | None = None
    sk_prefix: str = ""
    forward: bool = True
    live_only: bool = False  # soft-deleted items share the partition: filtered out (read, but rare)

    @property
    def key_names(self) -> tuple[str, ...]:
        return ("PK", "SK") + ((f"{self.index}PK", f"{self.index}SK") if self.index else ())

    def key_of(self, item: Item) -> dict[str, str]:
        return {name: str(item[name]) for name in self.key_names}


@dataclass(frozen=True)
class Page:
    items: list[Item]
    pagination: dict[str, Any]


def encode_cursor(key: dict[str, str]) -> str:
    raw = json.dumps(key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, listing: Listing) -> dict[str, str]:
    """The key a cursor holds, if it is a key of ``listing``; otherwise a 400."""
    bad = ValidationFailed("The cursor is not valid for this list.")
    if len(cursor) > MAX_CURSOR_CHARS:
        raise bad
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise bad from exc
    if not isinstance(key, dict) or set(key) != set(listing.key_names):
        raise bad
    if not all(isinstance(v, str) and 0 < len(v) <= 1024 for v in key.values()):
        raise bad
    pk_name, sk_name = listing.key_names[-2:]
    own_partition = key["PK"] == listing.tenant_pk or key["PK"].startswith(listing.tenant_pk + "#")
    if key[pk_name] != listing.pk or not key[sk_name].startswith(listing.sk_prefix) or not own_partition:
        raise bad
    return key


def _collect(
    table: Table, listing: Listing, start: dict[str, str] | None, want: int, *, keys_only: bool = False
) -> tuple[list[Item], bool]:
    """Up to ``want`` items after ``start`` (at most ``SKIP_BATCH`` per request), and whether the list ended."""
    found: list[Item] = []
    while len(found) < want:
        items, last = table.query_once(
            listing.pk,
            limit=min(want - len(found), SKIP_BATCH),
            index=listing.index,
            sk_prefix=listing.sk_prefix or None,
            forward=listing.forward,
            start_key=start,
            keys_only=keys_only,
            live_only=listing.live_only,
        )
        found += items
        if last is None:
            return found, True
        start = {name: str(last[name]) for name in listing.key_names}
    return found, False


def _skip(table: Table, listing: Listing, count: int) -> tuple[dict[str, str] | None, bool]:
    """The key after which the first ``count`` items end (read as key attributes only) and whether any remain."""
    if count <= 0:
        return None, True
    items, ended = _collect(table, listing, None, count, keys_only=not listing.live_only)
    if len(items) < count:
        return None, False
    return listing.key_of(items[-1]), True


def _envelope(request: PageRequest, total: int, has_next: bool, next_cursor: str | None) -> dict[str, Any]:
    pages = math.ceil(total / request.per_page) if total else 0
    return {
        "page": request.page,
        "per_page": request.per_page,
        "total": total,
        "pages": max(pages, request.page + 1 if has_next else 0),
        "has_next": has_next,
        "has_prev": request.page > 1,
        "next_cursor": next_cursor,
    }


def read_page(table: Table, listing: Listing, request: PageRequest, *, total: int, cursor: str | None = None) -> Page:
    """The page ``cursor`` points at (or page ``request.page``): at most ``per_page + 1`` items read."""
    if cursor:
        start: dict[str, str] | None = decode_cursor(cursor, listing)
    else:
        start, more = _skip(table, listing, (request.page - 1) * request.per_page)
        if not more:
            return Page([], _envelope(request, total, False, None))
    items, _ = _collect(table, listing, start, request.per_page + 1)
    has_next = len(items) > request.per_page
    window = items[: request.per_page]
    next_cursor = encode_cursor(listing.key_of(window[-1])) if has_next else None
    return Page(window, _envelope(request, total, has_next, next_cursor))


def search_page(table: Table, listing: Listing, request: PageRequest, matches: Callable[[Item], bool]) -> Page:
    """Page ``request.page`` of the items among the first ``SEARCH_SCAN_LIMIT`` of the list that ``matches``
    (bounded: ``total`` counts the matches in that window; no cursor)."""
    scanned, _ = _collect(table, listing, None, SEARCH_SCAN_LIMIT)
    found = [item for item in scanned if matches(item)]
    offset = (request.page - 1) * request.per_page
    window = found[offset : offset + request.per_page]
    return Page(window, _envelope(request, len(found), offset + request.per_page < len(found), None))


def count_bounded(table: Table, listing: Listing) -> int:
    """How many items the list holds, counting at most ``SEARCH_SCAN_LIMIT`` (for lists with no counter)."""
    items, _ = _collect(table, listing, None, SEARCH_SCAN_LIMIT, keys_only=not listing.live_only)
    return len(items)


def cursor_param(query: dict[str, str]) -> str | None:
    """The ``cursor`` query parameter, if any (``next_cursor`` of the previous page)."""
    value = (query.get("cursor") or "").strip()
    return value or None
