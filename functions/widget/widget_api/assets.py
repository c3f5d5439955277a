"""widget.js, read once per container, with its ETag and caching rules."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

SCRIPT_PATH = Path(__file__).resolve().parent / "static" / "widget.js"
# Unversioned URLs: a day fresh, then a week served stale while revalidating (304 via the ETag).
CACHE_CONTROL = "public, max-age=86400, stale-while-revalidate=604800"
# ``widget.js?v=<version>`` with the current version never changes: cache it for a year.
CACHE_CONTROL_VERSIONED = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Script:
    text: str
    version: str

    @property
    def etag(self) -> str:
        return f'W/"{self.version}"'  # weak: API Gateway may serve it gzipped or not

    def headers(self, query: Mapping[str, str]) -> dict[str, str]:
        versioned = query.get("v") == self.version
        return {
            "ETag": self.etag,
            "Cache-Control": CACHE_CONTROL_VERSIONED if versioned else CACHE_CONTROL,
            "Vary": "Accept-Encoding",
            "Access-Control-Allow-Origin": "*",
            "Cross-Origin-Resource-Policy": "cross-origin",
            "X-Content-Type-Options": "nosniff",
        }

    def not_modified(self, if_none_match: str | None) -> bool:
        tags = [tag.strip().removeprefix("W/") for tag in (if_none_match or "").split(",") if tag.strip()]
        return "*" in tags or self.etag.removeprefix("W/") in tags


def load_script(path: Path = SCRIPT_PATH) -> Script:
    text = path.read_text(encoding="utf-8")
    return Script(text, hashlib.sha256(text.encode("utf-8")).hexdigest()[:16])
