"""The chain objects the indexer reads over JSON-RPC, validated as they come in: hex quantities become ints,
addresses become checksummed, hashes and byte strings stay lower-case 0x-hex."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any

from eth_utils import to_checksum_address
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

__all__ = [
    "Address",
    "Block",
    "HexData",
    "HexInt",
    "RawLog",
    "Receipt",
    "Transaction",
    "checksum_address",
    "to_quantity",
]


def _hex_int(value: Any) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.startswith(("0x", "0X")):
        return int(value, 16)
    raise ValueError(f"expected a 0x-hex quantity, got {value!r}")


def _hex_bytes(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith(("0x", "0X")):
        raise ValueError(f"expected 0x-hex data, got {value!r}")
    bytes.fromhex(value[2:])  # rejects odd lengths and non-hex digits
    return value.lower()


@lru_cache(maxsize=65_536)
def checksum_address(value: str | bytes) -> str:
    """EIP-55 form of an address. Cached: the same few contracts and accounts come back in most logs, and the
    keccak behind the checksum is the bulk of the cost of parsing a log."""
    return to_checksum_address(value)


def _address(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected an address, got {value!r}")
    return checksum_address(value.lower())


HexInt = Annotated[int, BeforeValidator(_hex_int)]
HexData = Annotated[str, BeforeValidator(_hex_bytes)]
Address = Annotated[str, BeforeValidator(_address)]


def to_quantity(number: int) -> str:
    """A block number or amount in JSON-RPC's quantity encoding."""
    return hex(number)


class _Wire(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")


class Block(_Wire):
    """A block header: what cursor and reorg bookkeeping need."""

    number: HexInt
    hash: HexData
    parent_hash: HexData = Field(alias="parentHash")
    timestamp: HexInt


class RawLog(_Wire):
    """A log as the node returned it, not decoded. `(block_number, log_index)` orders logs within a chain."""

    address: Address
    topics: tuple[HexData, ...]
    data: HexData
    block_number: HexInt = Field(alias="blockNumber")
    block_hash: HexData = Field(alias="blockHash")
    transaction_hash: HexData = Field(alias="transactionHash")
    transaction_index: HexInt = Field(alias="transactionIndex")
    log_index: HexInt = Field(alias="logIndex")
    removed: bool = False

    @property
    def position(self) -> tuple[int, int]:
        return (self.block_number, self.log_index)


class Transaction(_Wire):
    """A mined transaction: who sent it, to whom, and where it sits."""

    hash: HexData
    sender: Address = Field(alias="from")
    to: Address | None = None
    input: HexData
    block_number: HexInt | None = Field(default=None, alias="blockNumber")
    block_hash: HexData | None = Field(default=None, alias="blockHash")


class Receipt(_Wire):
    """A transaction receipt with all of its logs (e.g. the `MetadataValidated` proofs next to a metadata event)."""

    transaction_hash: HexData = Field(alias="transactionHash")
    status: HexInt
    sender: Address = Field(alias="from")
    to: Address | None = None
    block_number: HexInt = Field(alias="blockNumber")
    block_hash: HexData = Field(alias="blockHash")
    logs: tuple[RawLog, ...]
