"""Smaller moto items: one shared copy of each attribute name instead of one per item.

moto builds every stored ``Item`` from the request's parsed JSON, so each item (and each map nested in it)
carries its own copies of its attribute names: ``company_id``, ``created_at``... ~60 bytes each, a fifth of
a delivery record's ~9 KB. :func:`install` wraps moto's public ``Item.__init__`` so the names, at any depth,
are interned (``sys.intern``: one string per distinct name, freed with its last user). Values are untouched,
so an item reads back exactly as it was written.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

_installed = False


def interned(value: Any) -> Any:
    """``value`` (DynamoDB JSON: ``{"S": ...}``, ``{"M": {...}}``, ``{"L": [...]}``) with every dict key interned."""
    if isinstance(value, dict):
        return {sys.intern(key) if isinstance(key, str) else key: interned(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [interned(inner) for inner in value]
    return value


def _interning(init: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(init)
    def build(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
        init(self, hash_key, range_key, interned(attrs))

    return build


def install() -> None:
    """Intern attribute names of every item moto builds from now on (see the module). Idempotent."""
    global _installed
    if _installed:
        return
    from moto.dynamodb.models.dynamo_type import Item

    Item.__init__ = _interning(Item.__init__)  # type: ignore[method-assign]
    _installed = True
