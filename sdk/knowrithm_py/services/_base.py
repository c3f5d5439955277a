"""The base every service shares: a handle on the client's request core."""

from __future__ import annotations

from typing import Any

from knowrithm_py._core import Core, Headers


class Service:
    def __init__(self, core: Core) -> None:
        self._core = core


def page_params(page: int | None, per_page: int | None, **filters: Any) -> dict[str, Any]:
    """Query parameters, without the ones left as ``None``."""
    params = {"page": page, "per_page": per_page, **filters}
    return {key: value for key, value in params.items() if value is not None}


__all__ = ["Headers", "Service", "page_params"]
