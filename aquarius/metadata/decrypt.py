"""Decrypt an encrypted (`flags & 2`) metadata payload.

Locally, with this indexer's own secp256k1 key, for payloads encrypted to it (ECIES as Ocean Provider and Ocean
Node produce with eciespy/eciesjs: uncompressed ephemeral key, HKDF-SHA256, AES-256-GCM).

Remotely, by asking the decryptor named in the event (`POST {decryptorUrl}/api/services/decrypt`), signed with
the indexer's key the way Aquarius signed: the decryptor re-reads the transaction, decrypts, decompresses, checks
the hash and answers with the DDO bytes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import aiohttp
import ecies
from eth_account import Account
from eth_keys import keys
from eth_utils import keccak, to_checksum_address

from aquarius.metadata.decryptor_url import DecryptorUrlPolicy, PolicyResolver
from aquarius.metadata.errors import ErrorCode, MetadataError
from aquarius.metadata.payload import DEFAULT_LIMITS


class LocalDecryptor:
    """Decrypts payloads encrypted to this indexer's key. `decrypt` fits `payload.decode_payload(decrypt=...)`."""

    def __init__(self, private_key: str) -> None:
        self._key = private_key.removeprefix("0x")
        account = Account.from_key(bytes.fromhex(self._key))
        self.address: str = account.address
        self.public_key_hex: str = ecies.PrivateKey.from_hex("secp256k1", self._key).public_key.to_bytes(True).hex()

    def decrypt(self, data: bytes) -> bytes:
        """The plaintext of `data`; DECRYPTION_FAILED when it was not encrypted to this key or is damaged."""
        try:
            return ecies.decrypt(self._key, data)
        except (ValueError, TypeError) as err:
            raise MetadataError(
                ErrorCode.DECRYPTION_FAILED,
                f"ECIES decryption with key {self.address} failed: {err or type(err).__name__}",
            ) from None


def decrypt_request_signature(private_key: keys.PrivateKey, message: str) -> str:
    """`0x` + r‖s‖v (v 0 or 1) of keccak256("\\x19Ethereum Signed Message:\\n32" ‖ keccak256(message)), as the
    Provider verifies it."""
    digest = keccak(b"\x19Ethereum Signed Message:\n32" + keccak(text=message))
    return "0x" + private_key.sign_msg_hash(digest).to_bytes().hex()


@dataclass(frozen=True, slots=True)
class RemoteDecryptorSettings:
    timeout_seconds: float = 4.0
    max_response_bytes: int = DEFAULT_LIMITS.max_plaintext_bytes
    policy: DecryptorUrlPolicy = field(default_factory=DecryptorUrlPolicy)


class RemoteDecryptor:
    """Asks an event's decryptor for the DDO bytes of a transaction. Use as an async context manager (it owns an
    HTTP session whose resolver enforces the URL policy).

    Outcomes: the DDO bytes; MetadataError DECRYPTOR_URL_REFUSED (the policy refused the URL: final);
    DECRYPTOR_REFUSED (the decryptor answered 403: final, no retry); DECRYPTOR_UNAVAILABLE (timeout, connection
    error, any other status, oversized answer: retryable).
    """

    def __init__(self, private_key: str, settings: RemoteDecryptorSettings | None = None) -> None:
        self._key = keys.PrivateKey(bytes.fromhex(private_key.removeprefix("0x")))
        self.address: str = self._key.public_key.to_checksum_address()
        self._settings = settings or RemoteDecryptorSettings()
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> RemoteDecryptor:
        connector = aiohttp.TCPConnector(resolver=PolicyResolver(self._settings.policy))
        self._session = aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=self._settings.timeout_seconds)
        )
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def request_body(self, tx_id: str, chain_id: int, nft_address: str) -> dict[str, Any]:
        """The JSON body of the decrypt request, with a fresh nanosecond nonce (the Provider requires nonces to
        grow per decrypter address)."""
        nonce = str(time.time_ns())
        signature = decrypt_request_signature(self._key, f"{tx_id}{self.address}{chain_id}{nonce}")
        return {
            "transactionId": tx_id,
            "chainId": chain_id,
            "decrypterAddress": self.address,
            "dataNftAddress": to_checksum_address(nft_address),
            "signature": signature,
            "nonce": nonce,
        }

    async def decrypt(self, decryptor_url: str, *, tx_id: str, chain_id: int, nft_address: str) -> bytes:
        """The DDO bytes of the metadata event in transaction `tx_id` of NFT `nft_address` on `chain_id`."""
        if self._session is None:
            raise RuntimeError("RemoteDecryptor is used outside `async with`")
        self._settings.policy.check_url(decryptor_url)
        url = decryptor_url.rstrip("/") + "/api/services/decrypt"
        body = self.request_body(tx_id, chain_id, nft_address)
        limit = self._settings.max_response_bytes
        try:
            async with self._session.post(url, json=body, allow_redirects=False) as response:
                answer = await response.content.read(limit + 1)
                status = response.status
        except (aiohttp.ClientError, TimeoutError, OSError) as err:
            raise MetadataError(
                ErrorCode.DECRYPTOR_UNAVAILABLE, f"no answer from decryptor {url}: {type(err).__name__} {err}".strip()
            ) from None
        if status == 403:
            raise MetadataError(ErrorCode.DECRYPTOR_REFUSED, f"decryptor {url} refused (403): {_excerpt(answer)}")
        if status not in (200, 201):
            raise MetadataError(
                ErrorCode.DECRYPTOR_UNAVAILABLE, f"decryptor {url} answered {status}: {_excerpt(answer)}"
            )
        if len(answer) > limit:
            raise MetadataError(ErrorCode.DECRYPTOR_UNAVAILABLE, f"decryptor {url} answered more than {limit} bytes")
        return answer


def _excerpt(body: bytes) -> str:
    return body[:200].decode("utf-8", "replace")
