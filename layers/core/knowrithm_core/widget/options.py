"""``widget_config``: free-form, but the keys the widget reads are validated and normalised when stored.

Keys follow Knowrithm's global widget config (camelCase); snake_case spellings and the data-attribute
aliases (``color``, ``open``) are accepted and stored under the canonical key. Unknown keys are kept as
they are (size-limited), so dashboards may store their own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from knowrithm_core.errors import ValidationFailed

HEX_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
POSITIONS = ("bottom-right", "bottom-left", "top-right", "top-left")
POSITION_ALIASES = {"right": "bottom-right", "left": "bottom-left", "top": "top-right", "bottom": "bottom-right"}
THEMES = ("light", "dark", "auto")
PHONE_FIELD = ("optional", "required", "hidden")
MAX_CONFIG_BYTES = 8192

ALIASES = {
    "color": "primaryColor",
    "primary_color": "primaryColor",
    "button_text": "buttonText",
    "show_branding": "showBranding",
    "open": "autoOpen",
    "auto_open": "autoOpen",
    "initial_delay": "initialDelay",
    "persist_session": "persistSession",
    "z_index": "zIndex",
    "phone_field": "phoneField",
    "consent_checkbox": "consentCheckbox",
    "consent_text": "consentText",
    "privacy_policy_url": "privacyPolicyUrl",
    "welcome_message": "welcome",
}


def _text(limit: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("must be a string")
        text = str(value).strip()
        if len(text) > limit:
            raise ValueError(f"at most {limit} characters")
        return text

    return check


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "1", "yes", "on", "false", "0", "no", "off"}:
        return value.strip().lower() in {"true", "1", "yes", "on"}
    raise ValueError("must be true or false")


def _integer(low: int, high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit():
            raise ValueError(f"must be a whole number from {low} to {high}")
        number = int(value)
        if not low <= number <= high:
            raise ValueError(f"must be from {low} to {high}")
        return number

    return check


def _choice(options: tuple[str, ...], aliases: dict[str, str] | None = None) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        text = str(value).strip().lower()
        text = (aliases or {}).get(text, text)
        if text not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return text

    return check


def _color(value: Any) -> str:
    if not isinstance(value, str) or not HEX_COLOR.match(value.strip()):
        raise ValueError("must be a hex colour such as #2563eb")
    return value.strip().lower()


def _https_url(value: Any) -> str:
    text = _text(2000)(value)
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError("must be an http(s) URL")
    return text


VALIDATORS: dict[str, Callable[[Any], Any]] = {
    "title": _text(80),
    "welcome": _text(500),
    "primaryColor": _color,
    "position": _choice(POSITIONS, POSITION_ALIASES),
    "theme": _choice(THEMES),
    "buttonText": _text(60),
    "showBranding": _flag,
    "autoOpen": _flag,
    "initialDelay": _integer(0, 600_000),
    "persistSession": _flag,
    "zIndex": _integer(0, 2_147_483_647),
    "phoneField": _choice(PHONE_FIELD),
    "consentCheckbox": _flag,
    "consentText": _text(500),
    "privacyPolicyUrl": _https_url,
}


def normalize_widget_config(config: Any) -> dict[str, Any]:
    """The validated, canonical ``widget_config``; a 400 names every bad key."""
    if not isinstance(config, dict):
        raise ValidationFailed("widget_config must be a JSON object.")
    out: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, value in config.items():
        canonical = ALIASES.get(str(key), str(key))
        check = VALIDATORS.get(canonical)
        if value is None:
            continue  # null clears the key
        try:
            out[canonical] = check(value) if check else value
        except ValueError as exc:
            errors.setdefault(f"widget_config.{key}", []).append(str(exc))
    if errors:
        summary = "; ".join(f"{field}: {msgs[0]}" for field, msgs in errors.items())
        raise ValidationFailed(f"Validation failed: {summary}", details={"errors": errors})
    if len(json.dumps(out)) > MAX_CONFIG_BYTES:
        raise ValidationFailed(f"widget_config is larger than {MAX_CONFIG_BYTES} bytes.")
    return out
