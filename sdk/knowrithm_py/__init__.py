"""Typed Python SDK for the Knowrithm-compatible backend.

``from knowrithm_py.knowrithm.client import KnowrithmClient`` (the official import path) or
``from knowrithm_py import KnowrithmClient``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from knowrithm_py.errors import KnowrithmAPIError

__version__ = "0.1.0"
__all__ = ["KnowrithmAPIError", "KnowrithmClient", "__version__"]

if TYPE_CHECKING:
    from knowrithm_py.knowrithm.client import KnowrithmClient


def __getattr__(name: str) -> Any:
    if name == "KnowrithmClient":  # lazy: the client module imports __version__ from here
        from knowrithm_py.knowrithm.client import KnowrithmClient

        return KnowrithmClient
    raise AttributeError(name)
