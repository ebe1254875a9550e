"""The rules about URLs in one place: what is a URL, a link, a public address.

An article link taken from a feed or a URL list was written by a stranger: fetched as is, it
could reach this machine (loopback), the local network, or a cloud metadata endpoint
(link-local). `public_addresses` resolves a host and refuses every address that is not on
the public internet; the fetcher then connects to the address it checked, never to the name.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from .errors import InputError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Resolves (host, port) to the addresses a connection would use.
Resolver = Callable[[str, int], list[str]]

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class AddressRefused(InputError):
    """A host resolves to an address that is not public, or does not resolve."""


def has_scheme(text: str) -> bool:
    """True for anything written with a scheme (`https://`, `ftp://`): a URL, not a path."""
    return bool(_SCHEME.match(text))


def http_url_problem(url: str) -> str | None:
    """Why a URL is not an absolute http(s) URL with a host; None when it is one."""
    if not url.isprintable() or any(c.isspace() for c in url.strip()):
        return "a URL cannot hold spaces or control characters"
    try:
        parts = urlsplit(url.strip())
        if parts.scheme.lower() not in ("http", "https"):
            return "only http and https URLs can be fetched"
        if not parts.hostname:
            return "the URL has no host"
        parts.port  # noqa: B018 (reading the port validates it)
    except ValueError as error:  # an invalid port or IPv6 literal
        return f"invalid URL ({error})"
    return None


def is_http_url(url: str | None) -> bool:
    """True for an absolute http(s) URL with a host: the only links fetched or shown."""
    return bool(url) and http_url_problem(url or "") is None


def shown(url: str) -> str:
    """The URL as an error line shows it: quoted if it holds a line break or a control."""
    return url if url.isprintable() else repr(url)


def is_public_address(address: str | IPAddress) -> bool:
    """Whether an address is on the public internet.

    Refused: loopback, private (RFC 1918, unique local), link-local, shared CGNAT
    (100.64/10), reserved, documentation, multicast, unspecified and broadcast addresses,
    and IPv6 forms that embed one of those (IPv4-mapped, 6to4, Teredo, NAT64).
    """
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return is_public_address(embedded)
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified or ip.is_loopback:
        return False
    if ip.is_link_local or ip.is_private or (ip.version == 4 and ip in _CGNAT):
        return False
    return ip.is_global


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]  # the client's address, which the packets reach
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the operating system resolves a host to, in its order."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise AddressRefused(f"cannot resolve {host}: {error}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def addresses_of(host: str, port: int, resolve: Resolver = system_resolver) -> list[str]:
    """The host itself if it is an address, else the addresses the resolver gives for it."""
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        pass
    addresses = resolve(host, port)
    if not addresses:
        raise AddressRefused(f"cannot resolve {host}: no address")
    return addresses


def public_addresses(host: str, port: int, resolve: Resolver = system_resolver) -> list[str]:
    """The host's addresses, if every one is public; AddressRefused otherwise.

    A host that resolves to any non-public address is refused as a whole: which of its
    addresses a connection would use is not ours to predict.
    """
    addresses = addresses_of(host, port, resolve)
    for address in addresses:
        try:
            public = is_public_address(address.split("%")[0])  # drop an IPv6 zone
        except ValueError:
            raise AddressRefused(f"{host} resolves to an invalid address {address!r}") from None
        if not public:
            named = address != host.strip("[]")
            shown = f"{host} resolves to {address}, which" if named else host
            raise AddressRefused(
                f"{shown} is not a public address; only public addresses are fetched for "
                "links from feeds and URL lists (allow_private_addresses = true allows it)"
            )
    return addresses
