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
from knowrithm_core.store.table import DynamoTable, Item

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


def _skip(table: DynamoTable, listing: Listing, count: int) -> dict[str, str] | None:
    """The key after which the ``count``-th item ends (key attributes only), or None past the end."""
    start: dict[str, str] | None = None
    while count > 0:
        items, last = table.query_once(
            listing.pk,
            limit=min(count, SKIP_BATCH),
            index=listing.index,
            sk_prefix=listing.sk_prefix or None,
            forward=listing.forward,
            start_key=start,
            keys_only=True,
        )
        count -= len(items)
        if not items or (count > 0 and last is None):
            return None
        start = listing.key_of(items[-1])
    return start


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


def read_page(
    table: DynamoTable, listing: Listing, request: PageRequest, *, total: int, cursor: str | None = None
) -> Page:
    """The page ``cursor`` points at (or page ``request.page``): at most ``per_page + 1`` items read."""
    if cursor:
        start: dict[str, str] | None = decode_cursor(cursor, listing)
    else:
        start = _skip(table, listing, (request.page - 1) * request.per_page)
        if request.page > 1 and start is None:
            return Page([], _envelope(request, total, False, None))
    items, _ = table.query_once(
        listing.pk,
        limit=request.per_page + 1,
        index=listing.index,
        sk_prefix=listing.sk_prefix or None,
        forward=listing.forward,
        start_key=start,
    )
    has_next = len(items) > request.per_page
    window = items[: request.per_page]
    next_cursor = encode_cursor(listing.key_of(window[-1])) if has_next else None
    return Page(window, _envelope(request, total, has_next, next_cursor))


def search_page(table: DynamoTable, listing: Listing, request: PageRequest, matches: Callable[[Item], bool]) -> Page:
    """Page ``request.page`` of the items among the first ``SEARCH_SCAN_LIMIT`` of the list that ``matches``
    (bounded: ``total`` counts the matches in that window; no cursor)."""
    scanned: list[Item] = []
    start: dict[str, str] | None = None
    while len(scanned) < SEARCH_SCAN_LIMIT:
        items, last = table.query_once(
            listing.pk,
            limit=SEARCH_SCAN_LIMIT - len(scanned),
            index=listing.index,
            sk_prefix=listing.sk_prefix or None,
            forward=listing.forward,
            start_key=start,
        )
        scanned += items
        if last is None or not items:
            break
        start = listing.key_of(items[-1])
    found = [item for item in scanned if matches(item)]
    offset = (request.page - 1) * request.per_page
    window = found[offset : offset + request.per_page]
    return Page(window, _envelope(request, len(found), offset + request.per_page < len(found), None))


def cursor_param(query: dict[str, str]) -> str | None:
    """The ``cursor`` query parameter, if any (``next_cursor`` of the previous page)."""
    value = (query.get("cursor") or "").strip()
    return value or None
