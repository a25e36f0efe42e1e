"""Where a webhook may deliver: to public internet addresses only, unless the installation allows
internal ones (``WEBHOOKS_ALLOW_INTERNAL``, for self-hosters whose receivers sit on their own network).

Without this check an admin could make the server POST to itself or its neighbours
(``http://127.0.0.1:…``, ``http://169.254.169.254/…``: server-side request forgery). The rule:

- only ``http://`` and ``https://``, and no user name or password in the address;
- the host is resolved (every A and AAAA answer) and refused if ANY address is not public: loopback,
  private (RFC 1918, unique local), link-local, shared (100.64.0.0/10), multicast, unspecified,
  reserved, a cloud metadata address, or an IPv6 form of any of these (IPv4-mapped or -compatible,
  NAT64, 6to4, Teredo);
- the caller connects to the addresses checked here (``Target.addresses``), never to the name again: a
  second lookup could answer differently (DNS rebinding).

Metadata, multicast and unspecified addresses are refused even when internal targets are allowed: no
receiver lives there. The check is pure apart from ``resolve_host`` (the system's resolver), which a
caller may replace with the ``resolve`` argument; tests replace it so that they never query DNS.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]

SCHEMES = {"http": 80, "https": 443}

# Where clouds answer with credentials for the machine asking. Some are also in a refused range, but
# they stay refused when internal targets are allowed; Azure's 168.63.129.16 is even a public address.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in (
        "169.254.169.254",  # AWS, Google Cloud, Azure, OpenStack, DigitalOcean, Oracle Cloud
        "169.254.170.2",  # AWS ECS task credentials
        "100.100.100.200",  # Alibaba Cloud
        "168.63.129.16",  # Azure WireServer
        "192.0.0.192",  # Oracle Cloud (classic)
        "fd00:ec2::254",  # AWS over IPv6
    )
)
SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT; is_private says False for it
THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
PRIVATE_V4 = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")
SITE_LOCAL = ipaddress.ip_network("fec0::/10")
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class TargetError(Exception):
    """The delivery cannot go to this address; ``str()`` says why, in words, without a full stop."""


class TargetRefused(TargetError):
    """Refused by the rule above: sending is never tried. ``internal``: refused only because the
    address is not public (``WEBHOOKS_ALLOW_INTERNAL`` would let it through)."""

    def __init__(self, reason: str, *, internal: bool = False) -> None:
        super().__init__(reason)
        self.internal = internal


class TargetNotFound(TargetError):
    """The host name has no address right now (it may have one later)."""


@dataclass(frozen=True)
class AddressKind:
    """Why an address is not public, in words ("a loopback address"); ``internal``: it is one of the
    installation's own network's, which ``WEBHOOKS_ALLOW_INTERNAL`` allows (metadata never is)."""

    words: str
    internal: bool


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to (NAT64, 6to4, Teredo server and client)."""
    found: list[ipaddress.IPv4Address] = []
    if any(address in network for network in NAT64):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    return found


def address_kind(address: IPAddress) -> AddressKind | None:
    """Why this address is not a public one, or None when it is. Python's ``is_global`` alone is not
    enough: it calls multicast addresses and 64:ff9b::/96 (NAT64) global, says nothing of the IPv4 address
    inside an IPv6 one, and knows no metadata addresses."""
    if address in METADATA_ADDRESSES:
        return AddressKind("a cloud metadata address", internal=False)
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # the kernel sends these to the IPv4 address: judge that one
            inner = address_kind(address.ipv4_mapped)
            return _form_of(address.ipv4_mapped, inner) if inner else None
        if address in IPV4_COMPATIBLE and int(address) > 1:  # ::a.b.c.d, deprecated; :: and ::1 below
            inner_address = ipaddress.IPv4Address(int(address))
            inner = address_kind(inner_address)
            if inner is not None:
                return _form_of(inner_address, inner)
        for inner_address in _embedded_ipv4(address):
            inner = address_kind(inner_address)
            if inner is not None:
                return _form_of(inner_address, inner)
    if address.is_unspecified:
        return AddressKind("the unspecified address (this machine)", internal=False)
    if address.is_multicast:
        return AddressKind("a multicast address", internal=False)
    if address.is_loopback:
        return AddressKind("a loopback address", internal=True)
    if address.is_link_local:
        return AddressKind("a link-local address", internal=True)
    if isinstance(address, ipaddress.IPv4Address):
        if address in SHARED:
            return AddressKind("a shared address (carrier-grade NAT, 100.64.0.0/10)", internal=True)
        if address in THIS_NETWORK:
            return AddressKind("an address of this network (0.0.0.0/8)", internal=False)
        if any(address in network for network in PRIVATE_V4):
            return AddressKind("a private network address", internal=True)
    else:
        if address in UNIQUE_LOCAL:
            return AddressKind("a private network address (unique local)", internal=True)
        if address in SITE_LOCAL:
            return AddressKind("a site-local address", internal=True)
    if address.is_reserved or address.is_private or not address.is_global:
        return AddressKind("a reserved address, not on the public internet", internal=True)
    return None


def _form_of(inner_address: ipaddress.IPv4Address, inner: AddressKind) -> AddressKind:
    return AddressKind(f"an IPv6 form of {inner_address}, {inner.words}", internal=inner.internal)


def system_resolve(host: str, port: int) -> list[str]:
    """Every address (A and AAAA) the system's resolver gives for the host, in its order, without
    repeats. Raises ``OSError`` (``socket.gaierror``) when there is none."""
    addresses: list[str] = []
    for family, _, _, _, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        if family in (socket.AF_INET, socket.AF_INET6) and sockaddr[0] not in addresses:
            addresses.append(str(sockaddr[0]))
    return addresses


resolve_host: Resolver = system_resolve  # looked up at each call: tests put a table in its place


@dataclass(frozen=True)
class Target:
    """A checked destination. ``host`` goes into the Host header and the TLS server name (IDNA ASCII, or
    the IP address without brackets); ``addresses`` are the only ones to connect to, in the resolver's
    order; ``path`` is the request target (path and query)."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


def webhook_target(url: str, *, allow_internal: bool, resolve: Resolver | None = None) -> Target:
    """Check a webhook's URL and resolve its host once. Raises ``TargetRefused`` (never to be sent) or
    ``TargetNotFound`` (the name has no address now)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetRefused("the port is not a number from 1 to 65535") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise TargetRefused("only http:// and https:// addresses are allowed")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("the address holds a user name or password (receivers check the signature instead)")
    if port == 0:
        raise TargetRefused("the port is not a number from 1 to 65535")
    hostname = parts.hostname or ""
    if not hostname:
        raise TargetRefused("the address names no host")
    port = port or SCHEMES[scheme]
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        literal: IPAddress | None = ipaddress.ip_address(hostname)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [hostname]
        host = hostname
    else:
        try:
            host = hostname.rstrip(".").encode("idna").decode("ascii")
        except UnicodeError:
            raise TargetRefused(f"{hostname} is not a valid host name") from None
        try:
            addresses = list((resolve or resolve_host)(host, port))
        except (OSError, UnicodeError):
            addresses = []
        if not addresses:
            raise TargetNotFound(f"no address found for {host}")
    for address in addresses:
        try:
            kind = address_kind(ipaddress.ip_address(address))
        except ValueError:
            raise TargetRefused(f"{host} resolves to {address!r}, which is not an IP address") from None
        if kind is None or (allow_internal and kind.internal):
            continue
        said = f"{address} is {kind.words}" if literal is not None else f"{host} resolves to {address}, {kind.words}"
        raise TargetRefused(said, internal=kind.internal)
    return Target(scheme=scheme, host=host, port=port, path=path, addresses=tuple(addresses))
