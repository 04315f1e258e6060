"""Outbound URL guard (SECURITY E23): which URLs the server may call, and to which address.

A URL is checked twice: when it is saved (so the user sees the refusal at once) and right
before each call, where the host is resolved again and the connection goes to the very
address that passed the check (no DNS rebinding between check and connect).

Refused: schemes other than http/https, user:password@ in the URL, hosts written as odd
numbers (`0177.0.0.1`, `2130706433`, `0x7f000001`, `127.1`), IPv6 zone ids, and every host
that resolves to a loopback, private, link-local, multicast, reserved, shared or
unspecified address, including IPv4 addresses hidden in IPv6 (mapped, compatible, 6to4,
Teredo, NAT64). A host resolving to several addresses is refused if any one is refused.

An explicit allowlist of "host:port" entries (as written in the URL) lets tests and
trusted local integrations through; odd notations are refused even when allowlisted.
"""

import ipaddress
import os
import re
import socket
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from accord.core.i18n import gettext as _

ALLOWLIST_VARIABLE = "ACCORD_WEBHOOK_ALLOWLIST"
SCHEMES = {"http": 80, "https": 443}
MAX_URL_LENGTH = 2000
DNS_TIMEOUT = 5.0

# A label made only of digits and hex/octal markers: a number, never a DNS name.
_NUMERIC = re.compile(r"(0x[0-9a-f]*|[0-9]+)", re.I)
_HOSTNAME = re.compile(r"[a-z0-9_]([a-z0-9_-]{0,62})?(\.[a-z0-9_]([a-z0-9_-]{0,62})?)*\.?")
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class RefusedURL(ValueError):
    """This URL may not be called; the message says why, in plain words."""


class Unresolvable(RefusedURL):
    """The host name did not resolve (now): refused at save, retried later at send."""


@dataclass(frozen=True)
class Target:
    """A checked URL and the address to connect to."""

    url: str  # normalised
    scheme: str
    host: str  # as written (lower case; IPv6 without brackets)
    port: int
    path: str  # path and query, at least "/"
    address: str  # the IP that passed the check
    allowlisted: bool

    @property
    def host_header(self):
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == SCHEMES[self.scheme] else f"{host}:{self.port}"


def allowlist(config=None, env=None):
    """ "host:port" entries from config.extra["webhook_allowlist"] and the environment."""
    env = os.environ if env is None else env
    entries = list((getattr(config, "extra", None) or {}).get("webhook_allowlist") or ())
    entries += (env.get(ALLOWLIST_VARIABLE) or "").split(",")
    return {e.strip().lower() for e in entries if e and e.strip()}


def parse(url):
    """Split and normalise `url`; refuse what is wrong before any DNS look-up."""
    if not isinstance(url, str) or not url.strip():
        raise RefusedURL(_("Enter a URL."))
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise RefusedURL(_("The URL is longer than %(n)d characters.", n=MAX_URL_LENGTH))
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise RefusedURL(_("The URL contains spaces or control characters."))
    if "\\" in url:
        raise RefusedURL(_("The URL contains a backslash."))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise RefusedURL(_("The URL is not valid (%(error)s).", error=exc)) from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise RefusedURL(_("Only http:// and https:// URLs can be called."))
    if "@" in parts.netloc:
        raise RefusedURL(_("The URL may not contain a user name or password (user@host)."))
    host = (parts.hostname or "").lower()
    if not host:
        raise RefusedURL(_("The URL has no host name."))
    if port == 0:
        raise RefusedURL(_("The URL's port must be between 1 and 65535."))
    host = _check_host_notation(host)
    port = port or SCHEMES[scheme]
    netloc = f"[{host}]" if ":" in host else host
    if port != SCHEMES[scheme]:
        netloc = f"{netloc}:{port}"
    path = parts.path or "/"
    normalised = urlunsplit((scheme, netloc, path, parts.query, ""))
    request_path = path + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port, request_path, normalised


def _check_host_notation(host):
    """The host as a canonical IP literal or a DNS name; odd number notations refused."""
    if ":" in host:  # an IPv6 literal (urlsplit removed the brackets)
        if "%" in host:
            raise RefusedURL(_("IPv6 zone ids are not allowed in URLs."))
        try:
            return str(ipaddress.IPv6Address(host))
        except ValueError:
            raise RefusedURL(_("The URL's IPv6 address is not valid.")) from None
    labels = host.rstrip(".").split(".")
    if _NUMERIC.fullmatch(labels[-1]):
        # The last label is a number: only a canonical dotted quad is accepted. Resolvers
        # read 0177.0.0.1, 2130706433, 0x7f000001 and 127.1 as 127.0.0.1.
        try:
            address = ipaddress.IPv4Address(host)
        except ValueError:
            raise RefusedURL(
                _("Write the host as a name or as a plain dotted IPv4 address (a.b.c.d).")
            ) from None
        if str(address) != host:
            raise RefusedURL(_("Write the host as a plain dotted IPv4 address (a.b.c.d)."))
        return host
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise RefusedURL(_("The URL's host name is not valid.")) from None
    if not _HOSTNAME.fullmatch(ascii_host) or len(ascii_host) > 253:
        raise RefusedURL(_("The URL's host name is not valid."))
    return ascii_host


def refusal(address):
    """Why `address` may not be called, or None if it is a public unicast address."""
    ip = ipaddress.ip_address(address)
    if ip.version == 6:
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            why = refusal(embedded)
            return _("%(why)s inside the IPv6 address %(ip)s", why=why, ip=ip) if why else None
    checks = (
        (ip.is_unspecified, _("an unspecified address")),
        (ip.is_loopback, _("a loopback address")),
        (ip.is_link_local, _("a link-local address")),
        (ip.is_multicast, _("a multicast address")),
        (ip.is_private, _("a private address")),
        (ip.is_reserved, _("a reserved address")),
        (not ip.is_global, _("a non-public address")),
    )
    for refused, why in checks:
        if refused:
            return f"{why} ({ip})"
    return None


def _embedded_ipv4(ip):
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        server, client = ip.teredo
        return client if refusal(client) else server
    if any(ip in net for net in _NAT64) or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def resolve(host, port, timeout=DNS_TIMEOUT):
    """Every address `host` resolves to (an IP literal resolves to itself), within
    `timeout` seconds: getaddrinfo has no timeout of its own, so it runs in a daemon
    thread the caller stops waiting for."""
    outcome = {}

    def look_up():
        try:
            outcome["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=look_up, name="accord-dns", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise Unresolvable(
            _("The host %(host)s did not resolve within %(n)g s.", host=host, n=timeout)
        )
    if "error" in outcome:
        raise Unresolvable(
            _(
                "The host %(host)s cannot be resolved (%(error)s).",
                host=host,
                error=outcome["error"],
            )
        )
    addresses = []
    for _family, _type, _proto, _name, sockaddr in outcome["infos"]:
        if sockaddr[0] not in addresses:
            addresses.append(sockaddr[0])
    if not addresses:
        raise Unresolvable(_("The host %(host)s has no address.", host=host))
    return addresses


def check(url, config=None, env=None, dns_timeout=DNS_TIMEOUT):
    """A `Target` for `url`, or RefusedURL. Resolves the host (DNS) every time."""
    scheme, host, port, path, normalised = parse(url)
    allowed = f"{f'[{host}]' if ':' in host else host}:{port}" in allowlist(config, env)
    addresses = resolve(host, port, dns_timeout)
    if not allowed:
        for address in addresses:
            why = refusal(address.split("%", 1)[0])
            if why:
                raise RefusedURL(
                    _("This URL may not be called: %(host)s points to %(why)s.", host=host, why=why)
                )
    return Target(normalised, scheme, host, port, path, addresses[0], allowed)
