"""Where the registry may send: HTTPS in production, and only to public addresses.

A webhook URL must use HTTPS when ``DELIVERY_REQUIRE_HTTPS`` is on (by default, when
``DEBUG`` is off), and its host may resolve only to global addresses: loopback, private,
link-local, multicast, reserved, unspecified, shared (carrier-grade NAT, 100.64.0.0/10),
IPv6 unique local and site-local, IPv4-mapped IPv6 and 6to4 addresses of such are
refused, unless the address is in a network the secretariat allows explicitly
(``DELIVERY_ALLOWED_NETWORKS``, CIDRs).

The check runs twice. When an endpoint's URL is saved, ``validate_webhook_url`` (a
validator of the model field, so the API and the admin answer 400 naming the field)
refuses a URL whose host resolves to a forbidden address; a name that does not resolve
yet is accepted. Before every new connection, ``notifications.http`` calls
``checked_addresses``: the host is resolved again, every address must pass, and the
connection goes to a checked address only. A name that pointed to a public address when
it was saved and to an internal one later (DNS rebinding) is refused there.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
DEFAULT_PORTS = {"http": 80, "https": 443}
SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")
UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")


class DestinationRefused(Exception):
    """The registry may not send to this URL or address; the message says why."""


@dataclass(frozen=True)
class Destination:
    """What a URL names: scheme, host (without brackets), port, and the request target."""

    scheme: str
    host: str
    port: int
    target: str


def destination_of(url: str) -> Destination:
    """Parse a webhook URL and apply the scheme rule; raise ``DestinationRefused``."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise DestinationRefused(_("A webhook URL must start with https:// (or http://)."))
    if scheme != "https" and settings.DELIVERY_REQUIRE_HTTPS:
        raise DestinationRefused(_("A webhook URL must use HTTPS."))
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError as exc:
        raise DestinationRefused(_("The port of the URL is not valid.")) from exc
    if not parts.hostname:
        raise DestinationRefused(_("The URL has no host."))
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Destination(scheme, parts.hostname, port, target)


def resolve(host: str, port: int) -> list[str]:
    """Every address of ``host``: the one DNS lookup of outbound HTTP (tests patch it)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def checked_addresses(host: str, port: int) -> list[str]:
    """The addresses to connect to for ``host``, each one allowed; raise if any is not.

    An IP literal is its own address. Resolution errors (``OSError``) are left to the
    caller: they are transport failures, not refusals.
    """
    addresses = [host] if literal(host) else resolve(host, port)
    for address in addresses:
        reason = refusal(address)
        if reason:
            shown = host if host == address else f"{host} ({address})"
            raise DestinationRefused(
                _("%(host)s is %(reason)s; the registry does not send there.")
                % {"host": shown, "reason": reason}
            )
    return addresses


def literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


def refusal(address: str) -> str | None:
    """Why ``address`` may not be reached, or ``None`` when it may."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if any(ip.version == net.version and ip in net for net in allowed_networks()):
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return _("an IPv4-mapped IPv6 address")
        if ip.sixtofour is not None and refusal(str(ip.sixtofour)):
            return _("a 6to4 address of a non-public IPv4 address")
    return address_class(ip)


def address_class(ip: IPAddress) -> str | None:
    """The forbidden class ``ip`` belongs to, or ``None`` for a public address."""
    classes = (
        (ip.is_loopback, _("a loopback address")),
        (ip.is_unspecified, _("the unspecified address")),
        (ip.is_link_local, _("a link-local address")),
        (ip.is_multicast, _("a multicast address")),
        (ip in SHARED_ADDRESS_SPACE, _("a shared (carrier-grade NAT) address")),
        (ip in UNIQUE_LOCAL, _("a unique local IPv6 address")),
        (getattr(ip, "is_site_local", False), _("a site-local IPv6 address")),
        (ip.is_reserved, _("a reserved address")),
        (ip.is_private, _("a private address")),
        (not ip.is_global, _("not a public address")),
    )
    return next((label for forbidden, label in classes if forbidden), None)


def allowed_networks() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return _parse_networks(tuple(settings.DELIVERY_ALLOWED_NETWORKS))


@functools.lru_cache(maxsize=8)
def _parse_networks(cidrs: Iterable[str]) -> tuple:
    try:
        return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DELIVERY_ALLOWED_NETWORKS: {exc}") from exc


def validate_webhook_url(url: str) -> None:
    """Refuse, with a ``ValidationError``, a URL the registry would not send to.

    A name that does not resolve now is accepted: every send checks it again.
    """
    try:
        destination = destination_of(url)
        checked_addresses(destination.host, destination.port)
    except DestinationRefused as exc:
        raise ValidationError(str(exc), code="forbidden_destination") from exc
    except OSError:
        return
