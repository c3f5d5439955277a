"""The one JSON parser for client input: documented limits, checked before any work, each a precise 4xx.

Python's ``json`` module accepts things no client should send and DynamoDB cannot store: ``NaN`` and
``Infinity``, integers of thousands of digits (whose conversion raises a plain ``ValueError``), nesting
deep enough to raise ``RecursionError`` (and DynamoDB refuses documents past 32 levels), NUL bytes and lone
surrogates (not encodable as UTF-8), and duplicate keys (silently, the last one wins). :func:`parse_json`
refuses each of them with the error code a client can act on; the limits below are the documented ones
(README, "Limits").
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

from knowrithm_core.errors import (
    InvalidJson,
    InvalidParameter,
    InvalidText,
    MetadataTooLarge,
    NumberOutOfRange,
    PayloadTooComplex,
    PayloadTooLarge,
    StringTooLong,
)

MAX_BODY_BYTES = 1024 * 1024  # default; the API's MAX_BODY_BYTES setting passes its own
MAX_DEPTH = 20  # nested objects/arrays, the body itself counting as 1 (DynamoDB allows 32 levels per item)
MAX_VALUES = 50_000  # values of every kind in one body
MAX_KEYS = 1_000  # keys of one object
MAX_KEY_CHARS = 256
MAX_STRING_CHARS = 100_000
MAX_INT_DIGITS = 38  # DynamoDB numbers keep 38 significant digits
MAX_NUMBER_CHARS = 64  # the literal of a number with a fraction or an exponent
MIN_MAGNITUDE = 1e-130  # DynamoDB's range for a non-zero number: 1E-130 <= |n| < 1E+126
MAX_MAGNITUDE = 1e126
MAX_METADATA_BYTES = 16_384  # the body's ``metadata`` object, as compact JSON
MAX_METADATA_DEPTH = 8
MAX_PARAM_CHARS = 2_048  # one query-string value or path segment

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # NUL, and surrogates that JSON escapes left unpaired
ESCAPED = re.compile(r"\\u(?:0000|[dD][89abcdefABCDEF])")  # the escapes that decode to those


def _number_too_big(literal: str) -> NumberOutOfRange:
    shown = literal if len(literal) <= 20 else f"{literal[:20]}... ({len(literal)} characters)"
    return NumberOutOfRange(
        f"The number {shown} is out of range: at most {MAX_INT_DIGITS} digits, "
        f"magnitude between {MIN_MAGNITUDE:g} and {MAX_MAGNITUDE:g}."
    )


def _parse_int(literal: str) -> int:
    if len(literal.lstrip("-")) > MAX_INT_DIGITS:
        raise _number_too_big(literal)
    return int(literal)


def _parse_float(literal: str) -> float:
    if len(literal) > MAX_NUMBER_CHARS:
        raise _number_too_big(literal)
    value = float(literal)
    if not math.isfinite(value) or (value != 0 and not MIN_MAGNITUDE <= abs(value) < MAX_MAGNITUDE):
        raise _number_too_big(literal)
    return value


def _refuse_constant(name: str) -> Any:
    raise InvalidJson(f"The request body is not valid JSON: {name} is not a JSON number.")


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise InvalidJson(f"The request body repeats the key {key[:MAX_KEY_CHARS]!r}.")
            seen.add(key)
    return value


def check_text(text: str, *, what: str, limit: int = MAX_STRING_CHARS) -> None:
    """Refuse a string DynamoDB or a UTF-8 client cannot take, or one longer than ``limit``."""
    if len(text) > limit:
        raise StringTooLong(f"{what} is longer than {limit} characters.")
    if UNSTORABLE.search(text):
        raise InvalidText(f"{what} contains a NUL character or an unpaired surrogate.")


def _container_depth(value: Any) -> int:
    depth, level = 0, [value]
    while level:
        depth += 1
        level = [
            child
            for node in level
            for child in (node.values() if isinstance(node, dict) else node)
            if isinstance(child, dict | list)
        ]
    return depth


def _check_metadata(value: Any, *, sized: bool) -> None:
    if not isinstance(value, dict | list):
        return
    if _container_depth(value) > MAX_METADATA_DEPTH:
        raise MetadataTooLarge(f"metadata is nested deeper than {MAX_METADATA_DEPTH} levels.")
    if sized and len(json.dumps(value, separators=(",", ":"))) > MAX_METADATA_BYTES:
        raise MetadataTooLarge(f"metadata is larger than {MAX_METADATA_BYTES} bytes of JSON.")


class _Walk:
    """One pass over a parsed body. The text checks that its raw text rules out are skipped: no string can be
    too long in a body shorter than the limit, and NUL or a lone surrogate needs a ``\\u`` escape (or the raw
    character, in a ``str`` body) that a quick scan of the raw text finds first."""

    def __init__(self, *, scan: bool = True, long: bool = True, sized: bool = True) -> None:
        self.scan, self.long, self.sized = scan, long, sized
        self.seen = 0

    @classmethod
    def of(cls, raw_text: str) -> _Walk:
        escaped = "\\u" in raw_text and ESCAPED.search(raw_text) is not None
        return cls(
            scan=escaped or UNSTORABLE.search(raw_text) is not None,
            long=len(raw_text) > MAX_KEY_CHARS,
            sized=len(raw_text) > MAX_METADATA_BYTES,
        )

    def texts(self, values: list[str], what: str, limit: int) -> None:
        """Each of ``values`` within ``limit`` and storable (only the checks the raw text did not rule out)."""
        too_long = self.long and values and max(map(len, values)) > limit
        if too_long or self.scan:
            for value in values:
                check_text(value, what=what, limit=limit)

    def container(self, node: dict[str, Any] | list[Any], depth: int) -> list[Any]:
        """Check ``node`` and its scalar children; return its container children."""
        if depth > MAX_DEPTH:
            raise PayloadTooComplex(f"The request body is nested deeper than {MAX_DEPTH} levels.")
        self.seen += len(node)
        if self.seen > MAX_VALUES:
            raise PayloadTooComplex(f"The request body holds more than {MAX_VALUES} values.")
        children: Iterable[Any] = node
        if isinstance(node, dict):
            if len(node) > MAX_KEYS:
                raise PayloadTooComplex(f"An object of the request body has more than {MAX_KEYS} keys.")
            self.texts(list(node), "A key of the request body", MAX_KEY_CHARS)
            children = node.values()
        if self.long or self.scan:
            self.texts([c for c in children if isinstance(c, str)], "A string of the request body", MAX_STRING_CHARS)
        return [c for c in children if isinstance(c, dict | list)]


def check_value(value: Any, raw_text: str | None = None) -> None:
    """Walk a parsed body (iteratively): depth, sizes, keys and strings within the limits."""
    walk = _Walk.of(raw_text) if raw_text is not None else _Walk()
    if isinstance(value, str):
        walk.texts([value], "The request body", MAX_STRING_CHARS)
    if not isinstance(value, dict | list):
        return
    if isinstance(value, dict) and "metadata" in value:  # the field every model that stores metadata names so
        _check_metadata(value["metadata"], sized=walk.sized)
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        node, depth = pending.pop()
        pending.extend((child, depth + 1) for child in walk.container(node, depth))


def parse_json(raw: bytes | str | None, *, max_bytes: int = MAX_BODY_BYTES) -> Any:
    """The body as JSON within the limits; an empty body is ``{}``; anything else is a 4xx error."""
    if raw is None:
        return {}
    size = len(raw) if isinstance(raw, bytes) else len(raw.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise PayloadTooLarge(f"The request body is larger than {max_bytes} bytes.")
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise InvalidJson("The request body is not valid UTF-8.") from exc
    if not text.strip():
        return {}
    try:
        value = json.loads(
            text,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_refuse_constant,
            object_pairs_hook=_unique_object,
        )
    except RecursionError as exc:
        raise PayloadTooComplex(f"The request body is nested deeper than {MAX_DEPTH} levels.") from exc
    except json.JSONDecodeError as exc:
        raise InvalidJson(
            f"The request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}."
        ) from exc
    except ValueError as exc:  # what a number conversion refuses
        raise InvalidJson("The request body is not valid JSON.") from exc
    check_value(value, text)
    return value


def check_param(name: str, value: str) -> None:
    """A query-string value or path segment: at most ``MAX_PARAM_CHARS``, no NUL, no lone surrogate."""
    if len(value) > MAX_PARAM_CHARS or UNSTORABLE.search(value):
        raise InvalidParameter(
            f"The parameter {name[:100]!r} must be at most {MAX_PARAM_CHARS} characters of text without NUL."
        )
