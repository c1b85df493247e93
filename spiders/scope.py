"""Crawl scope: which addresses a site's crawl may ever fetch.

A notice on a public portal that redirects to ``http://127.0.0.1:8080/admin`` (or a link to
a host whose DNS answers with a private address) must not become a stored page: that would
be a server-side request forgery path into the machine running the crawl. Every request —
start URL, link, robots.txt, each redirect hop — passes :class:`ScopeMiddleware`, which
refuses:

- any scheme but http(s) (``file://``, ``ftp://``, ``data:``);
- a host outside the site's ``allowed_domains``;
- a host that resolves to a loopback, link-local, private, multicast or reserved address,
  unless it is one of the hosts of the site's own start URLs (the sample portal on
  127.0.0.1, an intranet portal) or the site allows private addresses.

The address is checked before the request (on every address the host resolves to) and again
on the address the response actually came from, so a DNS answer that changes between the
two checks (rebinding) still never reaches the archive. A refused request reaches the
spider's errback as :class:`OutOfScope`; its reason is recorded with the capture.
"""
from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest

from spiders.links import LinkRules

ALLOWED_SCHEMES = ("http", "https")
# Every refusal's message starts with this, so a capture's error says what happened.
REFUSED = "refused"


class OutOfScope(IgnoreRequest):
    """A request (or a redirect hop) the site's crawl scope does not allow."""


def forbidden_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """What kind of address a public crawl must not reach, or None for a public address."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind in ("loopback", "link_local", "private", "multicast", "reserved", "unspecified"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    if not ip.is_global:  # shared address space (100.64/10), documentation ranges, ...
        return "non-public"
    return None


class SiteScope:
    """The scope of one site's crawl (pure: no I/O; addresses are passed in)."""

    def __init__(self, allowed_domains: tuple[str, ...], start_urls: tuple[str, ...], *,
                 allow_private: bool = False) -> None:
        self.rules = LinkRules(allowed_domains, attachment_extensions=())
        self.allow_private = allow_private
        self.own_hosts = frozenset((urlsplit(url).hostname or "").lower() for url in start_urls)

    def refuse_url(self, url: str) -> str | None:
        """Why ``url`` is out of scope before any lookup, or None."""
        parts = urlsplit(url)
        if parts.scheme.lower() not in ALLOWED_SCHEMES:
            return f"{REFUSED}: {url} is not http(s)"
        if not parts.hostname:
            return f"{REFUSED}: {url} has no host"
        if not self.rules.allows(url):
            return f"{REFUSED}: {parts.hostname} is not one of the site's allowed_domains"
        return None

    def private_allowed(self, host: str) -> bool:
        return self.allow_private or host.lower() in self.own_hosts

    def refuse_address(self, url: str, address: str) -> str | None:
        """Why fetching ``url`` from ``address`` is out of scope, or None."""
        host = urlsplit(url).hostname or ""
        if self.private_allowed(host):
            return None
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return f"{REFUSED}: {host} resolved to {address!r}, not an IP address"
        kind = forbidden_address(ip)
        if kind is None:
            return None
        return (f"{REFUSED}: {host} is at {ip}, a {kind} address "
                "(set allow_private = true for a site on a private network)")


class ScopeMiddleware:
    """Downloader middleware applying the spider's :class:`SiteScope` to every request.

    Placed before the robots.txt middleware, so no robots.txt is fetched from a refused host.
    """

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self._addresses: dict[str, list[str]] = {}

    @classmethod
    def from_crawler(cls, crawler) -> ScopeMiddleware:
        return cls(crawler)

    def _scope(self) -> SiteScope | None:
        return getattr(self.crawler.spider, "scope", None)

    async def _resolve(self, host: str) -> list[str]:
        try:
            return [str(ipaddress.ip_address(host.strip("[]")))]
        except ValueError:
            pass
        if host not in self._addresses:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
            except OSError:
                return []  # the download fails with the resolver's own error
            self._addresses[host] = sorted({info[4][0] for info in infos})
        return self._addresses[host]

    async def process_request(self, request):
        scope = self._scope()
        if scope is None:
            return
        reason = scope.refuse_url(request.url)
        host = urlsplit(request.url).hostname or ""
        if reason is None and not scope.private_allowed(host):
            for address in await self._resolve(host):
                if (reason := scope.refuse_address(request.url, address)) is not None:
                    break
        if reason is not None:
            raise OutOfScope(reason)

    def process_response(self, request, response):
        scope = self._scope()
        address = getattr(response, "ip_address", None)
        if scope is not None and address is not None:
            reason = scope.refuse_address(request.url, str(address))
            if reason is not None:
                raise OutOfScope(reason)
        return response
