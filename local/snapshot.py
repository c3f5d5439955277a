"""The local stack's saved state: one JSON file (``<state dir>/state.json``), written atomically.

The document holds what moto would lose on exit, by the template's logical ids: DynamoDB items, S3 objects,
queued SQS messages, Secrets Manager values, the KMS keys' ids and material (sealed webhook secrets
decrypt after a restart) and the demo tenant. Bytes are stored as ``{"$b64": "..."}``.
A file that cannot be read is moved aside (never overwritten, never silently ignored): :class:`CorruptSnapshot`.
"""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path
from typing import Any

FILE_NAME = "state.json"
VERSION = 1
SECTIONS = ("tables", "buckets", "queues", "secrets", "kms")


class CorruptSnapshot(Exception):
    """The snapshot file exists but is not a snapshot this version can restore; it was moved aside."""


def _encode(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return {"$b64": base64.b64encode(value).decode("ascii")}
    raise TypeError(f"cannot save a {type(value).__name__} in a snapshot")


def _decode(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and isinstance(obj.get("$b64"), str):
        return base64.b64decode(obj["$b64"], validate=True)
    return obj


def dumps(state: dict[str, Any]) -> str:
    """The snapshot document as JSON text (bytes base64-encoded)."""
    return json.dumps({"version": VERSION, **state}, default=_encode, sort_keys=True, separators=(",", ":"))


def write(directory: Path, text: str) -> Path:
    """Write ``state.json`` atomically: a temporary file, flushed to disk, renamed over the old one."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / FILE_NAME
    partial = directory / f".{FILE_NAME}.{os.getpid()}.tmp"
    with partial.open("w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    partial.replace(path)
    return path


def _validate(state: Any) -> dict[str, Any]:
    if not isinstance(state, dict):
        raise ValueError("the document is not a JSON object")
    if state.get("version") != VERSION:
        raise ValueError(f"version {state.get('version')!r} (this stack reads version {VERSION})")
    for section in SECTIONS:
        if not isinstance(state.get(section, {}), dict):
            raise ValueError(f"{section!r} is not an object")
    return state


def load(directory: Path) -> dict[str, Any] | None:
    """The saved state, or None if there is none. Raises :class:`CorruptSnapshot` after moving a bad file aside."""
    path = directory / FILE_NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        return _validate(json.loads(data.decode("utf-8"), object_hook=_decode))
    except (ValueError, TypeError) as exc:  # JSONDecodeError, binascii.Error and UnicodeError are ValueErrors
        aside = path.with_name(f"{FILE_NAME}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}")
        path.replace(aside)
        raise CorruptSnapshot(
            f"{path} cannot be restored ({exc}); it was moved to {aside} and nothing was loaded. "
            "Start again to begin with an empty stack, or put a good snapshot back in its place."
        ) from exc
