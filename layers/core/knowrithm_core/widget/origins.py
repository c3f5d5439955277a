"""Allowed domains: validating the per-agent list and matching a browser's ``Origin`` against it.

An entry is ``host``, ``host:port``, ``*.host`` (any subdomain, not the apex) or any of these with a
scheme (``https://shop.example.com``); ``*`` allows every origin, and so does an empty list. An entry
without a scheme matches http and https, one without a port matches any port.

Allowed domains keep other websites' *browsers* away from an agent (the embed code is public and can be
copied). They are not authentication: a server can send any ``Origin``. A request that carries neither
``Origin`` nor ``Referer`` is not a cross-site browser call and is let through; the rate limits still apply.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from knowrithm_core.errors import Forbidden

DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST_RE = re.compile(r"^(\*\.)?([a-z0-9_-]+(\.[a-z0-9_-]+)*|\[[0-9a-f:.]+\])$")
MAX_DOMAINS = 50


class OriginNotAllowed(Forbidden):
    error_code = "origin_not_allowed"


def normalize_domain(entry: str) -> str:
    """The canonical form of one allowed-domain entry; ``ValueError`` names what is wrong."""
    raw = entry.strip().lower().rstrip("/")
    if raw == "*":
        return raw
    if not raw or len(raw) > 253:
        raise ValueError(f"'{entry}' is not a domain")
    scheme = ""
    if "://" in raw:
        scheme, _, raw = raw.partition("://")
        if scheme not in DEFAULT_PORTS:
            raise ValueError(f"'{entry}': only http and https origins can be allowed")
    if any(c in raw for c in "/?#@ "):
        raise ValueError(f"'{entry}' must be a domain (optionally with scheme and port), not a URL with a path")
    host, port = raw, ""
    if not raw.endswith("]") and raw.count(":") == 1:
        host, _, port = raw.partition(":")
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"'{entry}' has an invalid port")
    if not _HOST_RE.match(host):
        raise ValueError(f"'{entry}' is not a valid host name (wildcards only as a leading '*.')")
    return f"{scheme + '://' if scheme else ''}{host}{':' + port if port else ''}"


def normalize_domains(entries: Iterable[str]) -> list[str]:
    """Canonical, de-duplicated entries in their given order."""
    out: list[str] = []
    for entry in entries:
        value = normalize_domain(str(entry))
        if value not in out:
            out.append(value)
    if len(out) > MAX_DOMAINS:
        raise ValueError(f"at most {MAX_DOMAINS} allowed domains")
    return out


def _split_origin(origin: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(origin.strip().lower())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return parts.scheme, host, port or DEFAULT_PORTS[parts.scheme]


def _matches(entry: str, scheme: str, host: str, port: int) -> bool:
    want_scheme, _, rest = entry.rpartition("://")
    if want_scheme and want_scheme != scheme:
        return False
    want_host, want_port = rest, ""
    if not rest.endswith("]") and rest.count(":") == 1:
        want_host, _, want_port = rest.partition(":")
    if want_port and int(want_port) != port:
        return False
    if want_host.startswith("*."):
        return host.endswith(want_host[1:])
    return host == want_host


def origin_allowed(origin: str | None, allowed: Iterable[str]) -> bool:
    """Whether a browser origin (``scheme://host[:port]``) may use an agent with this allowed-domain list."""
    entries = list(allowed)
    if not entries or "*" in entries:
        return True
    if not origin:
        return True  # not a cross-site browser request (see the module docstring)
    split = _split_origin(origin)
    return split is not None and any(_matches(entry, *split) for entry in entries)


def request_origin(headers: Mapping[str, str]) -> str | None:
    """The calling page's origin: ``Origin``, else the origin of ``Referer``; None when neither is sent.

    ``headers`` must answer lower-case names (API Gateway payload 2.0 headers and Starlette's both do).
    """
    origin = (headers.get("origin") or "").strip()
    if origin:
        return origin  # includes the opaque "null" origin, which matches no entry
    referer = (headers.get("referer") or "").strip()
    if referer:
        parts = urlsplit(referer)
        if parts.scheme and parts.netloc:
            return f"{parts.scheme}://{parts.netloc}"
        return "null"
    return None


def require_allowed(origin: str | None, allowed: Iterable[str]) -> None:
    """403 ``origin_not_allowed`` unless ``origin`` may use the agent."""
    if not origin_allowed(origin, allowed):
        raise OriginNotAllowed(
            f"This chat widget is not enabled on {origin}. Add the site to the agent's allowed domains.",
            details={"origin": origin},
        )


def require_bound_origin(bound: str | None, origin: str | None) -> None:
    """A lead token works only from the origin it was registered on (its ``org`` claim)."""
    if bound and origin and origin.lower() != bound.lower():
        raise OriginNotAllowed(
            f"This visitor session was started on {bound} and cannot be used from {origin}.",
            details={"origin": origin},
        )
