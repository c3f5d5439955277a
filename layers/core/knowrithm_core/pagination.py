"""Knowrithm-style page/per_page pagination over an already-filtered list."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, TypeVar

from knowrithm_core.errors import ValidationFailed

T = TypeVar("T")
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class PageRequest:
    page: int = 1
    per_page: int = 20

    @classmethod
    def parse(cls, page: str | int | None, per_page: str | int | None, default_per_page: int) -> PageRequest:
        try:
            page_n = int(page) if page not in (None, "") else 1
            per_n = int(per_page) if per_page not in (None, "") else default_per_page
        except (TypeError, ValueError) as exc:
            raise ValidationFailed("page and per_page must be whole numbers.") from exc
        if page_n < 1:
            raise ValidationFailed("page must be 1 or more.")
        if per_n < 1:
            raise ValidationFailed("per_page must be 1 or more.")
        return cls(page=page_n, per_page=min(per_n, MAX_PER_PAGE))


def paginate(items: list[T], request: PageRequest) -> tuple[list[T], dict[str, Any]]:
    total = len(items)
    pages = math.ceil(total / request.per_page) if total else 0
    start = (request.page - 1) * request.per_page
    window = items[start : start + request.per_page]
    return window, {
        "page": request.page,
        "per_page": request.per_page,
        "total": total,
        "pages": pages,
        "has_next": request.page < pages,
        "has_prev": request.page > 1,
    }
