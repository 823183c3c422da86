"""The Ocean contract addresses of a configured chain, from the ocean-contracts address file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aquarius import contracts
from aquarius.config import ChainConfig, ConfigError, Settings


def chain_contracts(settings: Settings, chain: ChainConfig) -> dict[str, Any]:
    """The address-book entry of the chain (ERC721Factory, Router, FixedPrice, Dispenser, startBlock, ...)."""
    path: Path | None = chain.address_file or settings.address_file
    try:
        entry = contracts.addresses_for_chain(chain.chain_id, path)
    except (OSError, ValueError) as err:
        raise ConfigError(f"ADDRESS_FILE: cannot read {path}: {err}") from None
    if entry is None:
        where = str(path) if path else "the address file bundled with ocean-contracts"
        raise ConfigError(
            f"chain {chain.chain_id}: no Ocean contracts listed for this chain id in {where}; "
            "set ADDRESS_FILE (or the chain's address_file) to a file that lists them"
        )
    return entry


def start_block(chain: ChainConfig, entry: dict[str, Any]) -> int:
    return chain.start_block if chain.start_block is not None else int(entry.get("startBlock", 0))
