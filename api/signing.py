"""Signatures over DDO hashes (the validate route's proof, checked on chain by `setMetaData`) and the check of
the request signatures Ocean-Node-era clients send with their validate calls."""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import keccak

# What the validate route answers when the indexer has no key: the original server's shape.
UNSIGNED: dict[str, Any] = {"hash": "", "publicKey": "", "r": "", "s": "", "v": ""}


class ValidationSigner:
    """Signs `sha256` digests the way the data NFT contract verifies validator proofs:
    `ecrecover(keccak256("\\x19Ethereum Signed Message:\\n32" ‖ digest), v, r, s)`."""

    def __init__(self, private_key: str) -> None:
        self._account = Account.from_key(private_key)

    @property
    def address(self) -> str:
        return str(self._account.address)

    def proof(self, digest: bytes) -> dict[str, Any]:
        signed = self._account.sign_message(encode_defunct(primitive=digest))
        # r and s are one-element lists: clients read r[0] and s[0]
        return {
            "hash": "0x" + digest.hex(),
            "publicKey": self.address,
            "r": [f"0x{signed.r:064x}"],
            "s": [f"0x{signed.s:064x}"],
            "v": signed.v,
        }


def signed_by(address: str, signature: str, messages: list[str]) -> bool:
    """True when `signature` is `address`'s personal signature of one of `messages`, either over the
    keccak256 of the message (ocean.js) or over the message text itself."""
    for message in messages:
        for signable in (encode_defunct(primitive=keccak(text=message)), encode_defunct(text=message)):
            try:
                signer = Account.recover_message(signable, signature=signature)
            except Exception:  # malformed signatures come in every shape; each means "not signed by address"
                return False
            if signer.lower() == address.lower():
                return True
    return False
