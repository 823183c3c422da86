"""Which decryptor URLs the indexer may call. The URL comes from the publisher's `setMetaData` call, so without
a policy any publisher could make the indexer POST to internal services (SSRF)."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from aquarius.metadata.errors import ErrorCode, MetadataError

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class DecryptorUrlPolicy:
    """`allow_private` admits loopback, private, link-local and other non-global addresses (a local development
    Provider); `allowed_schemes` lists the URL schemes that may be called."""

    allowed_schemes: frozenset[str] = frozenset({"https", "http"})
    allow_private: bool = False

    def check_url(self, url: str) -> str:
        """The host of `url` when its form is acceptable; DECRYPTOR_URL_REFUSED otherwise. A literal IP host is
        checked here; a name is checked after resolution, address by address, by `PolicyResolver`."""
        parts = urlsplit(url)
        if parts.scheme not in self.allowed_schemes:
            allowed = ", ".join(sorted(self.allowed_schemes))
            raise MetadataError(
                ErrorCode.DECRYPTOR_URL_REFUSED, f"decryptor URL {url!r}: scheme must be one of {allowed}"
            )
        if not parts.hostname:
            raise MetadataError(ErrorCode.DECRYPTOR_URL_REFUSED, f"decryptor URL {url!r} names no host")
        if parts.username is not None or parts.password is not None:
            raise MetadataError(ErrorCode.DECRYPTOR_URL_REFUSED, f"decryptor URL {url!r} carries credentials")
        try:
            literal = ipaddress.ip_address(parts.hostname)
        except ValueError:
            return parts.hostname
        self.check_address(parts.hostname, literal)
        return parts.hostname

    def check_address(self, host: str, address: IpAddress) -> None:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if not self.allow_private and not address.is_global:
            raise MetadataError(
                ErrorCode.DECRYPTOR_URL_REFUSED,
                f"decryptor host {host!r} resolves to {address}, a non-public address (loopback, private, "
                "link-local or reserved)",
            )
        if address.is_multicast or address.is_unspecified:
            raise MetadataError(ErrorCode.DECRYPTOR_URL_REFUSED, f"decryptor host {host!r} resolves to {address}")


class PolicyResolver(AbstractResolver):
    """Resolves like aiohttp's default resolver and refuses the host when any of its addresses is refused by the
    policy. The connection then goes to exactly the addresses checked, so a second, different DNS answer cannot
    slip past the check."""

    def __init__(self, policy: DecryptorUrlPolicy) -> None:
        self._policy = policy
        self._resolver = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._resolver.resolve(host, port, family)
        for result in results:
            self._policy.check_address(host, ipaddress.ip_address(result["host"]))
        return results

    async def close(self) -> None:
        await self._resolver.close()
