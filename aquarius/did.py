"""Asset identifiers: an asset's DID is derived from its data NFT address and chain id."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from eth_utils import to_checksum_address


# every event of an asset derives its DID again; the checksum (keccak) is the costly part
@lru_cache(maxsize=65_536)
def did_hash(nft_address: str, chain_id: int) -> str:
    return hashlib.sha256((to_checksum_address(nft_address) + str(chain_id)).encode()).hexdigest()


def make_did(nft_address: str, chain_id: int, prefix: str = "did:op:") -> str:
    """`did:op:` + sha256(checksum(nftAddress) + str(chainId)); DDO v5 uses the `did:ope:` prefix."""
    return prefix + did_hash(nft_address, chain_id)
