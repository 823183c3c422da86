"""Decrypt an encrypted (`flags & 2`) metadata payload.

Locally, with this indexer's own secp256k1 key, for payloads encrypted to it (ECIES as Ocean Provider and Ocean
Node produce with eciespy/eciesjs: uncompressed ephemeral key, HKDF-SHA256, AES-256-GCM).
"""

from __future__ import annotations

import ecies
from eth_account import Account

from aquarius.metadata.errors import ErrorCode, MetadataError


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
