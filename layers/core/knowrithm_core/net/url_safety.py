"""SSRF guard for webhook (and document-fetch) URLs.

A URL is allowed only if it is ``https`` (``http`` too in local mode), carries no credentials, and every
address its host resolves to is publicly routable. Private, loopback, link-local (cloud metadata),
multicast, reserved, unspecified, CGNAT and documentation ranges are refused, in IPv4 and IPv6, including
IPv4 hidden in IPv6 and legacy numeric forms (``2130706433``, ``0x7f.1``,
``0177.0.0.1``), which the system resolver turns into ordinary addresses before we check them. Check at
registration and again at delivery, then connect to the checked address (DNS rebinding).
IPv6 forms that embed or tunnel to IPv4 are refused outright when deprecated or unverifiable
(IPv4-compatible ``::a.b.c.d``, IPv4-translated ``::ffff:0:a.b.c.d``, Teredo ``2001::/32``, local-use NAT64
``64:ff9b:1::/48``, site-local ``fec0::/10``, the 6to4 relay anycast ``192.88.99.0/24``) and checked on the
embedded IPv4 otherwise (mapped ``::ffff:a.b.c.d``, NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16``).
Local mode additionally allows loopback, so ``make dev`` can deliver to a receiver on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from knowrithm_core.errors import ValidationFailed

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Ranges no webhook may target, whatever Python's registry flags say about them.
REFUSED_NETWORKS: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = tuple(
    ipaddress.ip_network(net)
    for net in (
        "::/96",  # IPv4-compatible (deprecated, RFC 4291)
        "::ffff:0:0:0/96",  # IPv4-translated (SIIT, RFC 2765)
        "2001::/32",  # Teredo: the embedded server/client can be anything
        "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215): translator-defined embedding
        "fec0::/10",  # site-local (deprecated, RFC 3879)
        "3fff::/20",  # documentation (RFC 9637)
        "5f00::/16",  # SRv6 SIDs (RFC 9602)
        "192.88.99.0/24",  # 6to4 relay anycast (deprecated, RFC 7526)
    )
)


class UnsafeUrl(ValidationFailed):
    error_code = "unsafe_url"


@dataclass(frozen=True)
class SafeTarget:
    """A checked URL and the addresses it may be connected to."""

    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeUrl(f"The host '{host}' does not resolve.") from exc
    return sorted({str(info[4][0]) for info in infos})


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_refused_range(address: IPAddress) -> bool:
    """True for deprecated, tunnelling or special ranges that are refused whatever they embed."""
    if address.is_reserved:
        return True
    return any(address.version == net.version and address in net for net in REFUSED_NETWORKS)


def is_public(address: IPAddress, *, allow_loopback: bool = False) -> bool:
    if allow_loopback and address.is_loopback:
        return True
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            return is_public(inner, allow_loopback=allow_loopback)
        if address.scope_id:
            return False
    if is_refused_range(address):
        return False
    return address.is_global and not address.is_multicast


def check_url(url: str, *, local_mode: bool = False, resolver: Resolver = system_resolver) -> SafeTarget:
    """Parse, resolve and vet ``url``; raise :class:`UnsafeUrl` (a 400) naming the reason."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl("The URL is not valid.") from exc
    allowed_schemes = {"https", "http"} if local_mode else {"https"}
    if parts.scheme not in allowed_schemes:
        raise UnsafeUrl("Webhook URLs must use https." if not local_mode else "The URL must be http or https.")
    if not parts.hostname:
        raise UnsafeUrl("The URL has no host.")
    if parts.username or parts.password:
        raise UnsafeUrl("The URL must not carry credentials.")
    port = port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname.rstrip(".")
    addresses = resolver(host, port)
    if not addresses:
        raise UnsafeUrl(f"The host '{host}' does not resolve.")
    for raw in addresses:
        address = ipaddress.ip_address(raw.split("%")[0]) if "%" not in raw else None
        if address is None or not is_public(address, allow_loopback=local_mode):
            raise UnsafeUrl(f"The host '{host}' resolves to a private or reserved address ({raw}); refused.")
    return SafeTarget(url=url.strip(), scheme=parts.scheme, host=host, port=port, addresses=tuple(addresses))
