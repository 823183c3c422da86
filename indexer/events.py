"""The events the indexer handles, taken from the Ocean contracts' ABIs, and the decoding of one raw log.

Decoding is pure: a log's own topics and data in, a `DecodedLog` or a `LogDecodeError` out. An event is known by
its topic0 *and* its number of topics, because ERC721 and ERC20 `Transfer` share a signature but not a layout.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import eth_abi
from eth_abi.exceptions import DecodingError
from eth_utils import event_abi_to_log_topic

from aquarius import contracts
from indexer.rpc_types import RawLog, checksum_address

__all__ = [
    "HANDLED_EVENTS",
    "DecodedLog",
    "EventSet",
    "EventSpec",
    "LogDecodeError",
    "MalformedLog",
    "UnknownEvent",
    "decode_log",
    "handled_events",
]

HANDLED_EVENTS: Mapping[str, str] = {
    # event name -> the ocean-contracts artifact whose ABI defines it as its emitter emits it
    "MetadataCreated": "ERC721Template",
    "MetadataUpdated": "ERC721Template",
    "MetadataState": "ERC721Template",
    "MetadataValidated": "ERC721Template",
    "TokenURIUpdate": "ERC721Template",
    "Transfer": "ERC721Template",
    "DataChanged": "ERC721Template",
    "NFTCreated": "ERC721Factory",
    "TokenCreated": "ERC721Factory",
    "OrderStarted": "ERC20Template",
    "OrderReused": "ERC20Template",
    "ExchangeCreated": "FixedRateExchange",
    "ExchangeRateChanged": "FixedRateExchange",
    "ExchangeActivated": "FixedRateExchange",
    "ExchangeDeactivated": "FixedRateExchange",
    "DispenserCreated": "Dispenser",
    "DispenserActivated": "Dispenser",
    "DispenserDeactivated": "Dispenser",
}


class LogDecodeError(ValueError):
    """A log cannot be turned into a handled event; `log` is the raw log."""

    def __init__(self, message: str, log: RawLog) -> None:
        super().__init__(f"{message} (block {log.block_number}, tx {log.transaction_hash}, log {log.log_index})")
        self.log = log


class UnknownEvent(LogDecodeError):
    """The log's topic0 and topic count match no handled event (e.g. an ERC20 `Transfer`)."""


class MalformedLog(LogDecodeError):
    """The log looks like a handled event but its topics or data do not decode as that event's ABI says."""


@dataclass(frozen=True)
class _Input:
    name: str
    type: str
    indexed: bool


@dataclass(frozen=True)
class EventSpec:
    """One handled event: its name, signature, topic0 and inputs in ABI order."""

    name: str
    signature: str
    topic0: str
    inputs: tuple[_Input, ...]

    @property
    def topic_count(self) -> int:
        return 1 + sum(i.indexed for i in self.inputs)

    @classmethod
    def from_abi(cls, entry: Mapping[str, Any]) -> EventSpec:
        inputs = tuple(_Input(i["name"], _canonical_type(i), bool(i.get("indexed"))) for i in entry["inputs"])
        signature = f"{entry['name']}({','.join(i.type for i in inputs)})"
        return cls(entry["name"], signature, "0x" + event_abi_to_log_topic(dict(entry)).hex(), inputs)


@dataclass(frozen=True, slots=True)
class DecodedLog:
    """A handled event, decoded from one log. `args` maps each ABI input name to its value: addresses
    checksummed, bytes and hashes as lower-case 0x-hex, integers as int, strings and booleans as such. An indexed
    dynamic value (string, bytes, array) is only its keccak hash on chain, so it is that topic's 0x-hex."""

    chain_id: int
    block_number: int
    block_hash: str
    tx_hash: str
    tx_index: int
    log_index: int
    address: str
    event: str
    args: Mapping[str, Any]

    @property
    def key(self) -> tuple[int, str, int]:
        """`(chainId, txHash, logIndex)`: what makes the effects of this event idempotent."""
        return (self.chain_id, self.tx_hash, self.log_index)


class EventSet:
    """A set of events to fetch and decode, looked up by topic0 and topic count."""

    def __init__(self, specs: Iterable[EventSpec]) -> None:
        self.specs = tuple(specs)
        self._by_key = {(s.topic0, s.topic_count): s for s in self.specs}
        if len(self._by_key) != len(self.specs):
            raise ValueError("two events share a topic0 and a topic count")

    def topics(self) -> list[list[str]]:
        """The `eth_getLogs` topic filter matching any of these events (by topic0 only: it may also match events
        with the same signature and another layout, which `decode` refuses)."""
        return [sorted({s.topic0 for s in self.specs})]

    def spec_for(self, log: RawLog) -> EventSpec | None:
        if not log.topics:
            return None
        return self._by_key.get((log.topics[0], len(log.topics)))

    def handles(self, log: RawLog) -> bool:
        return self.spec_for(log) is not None

    def decode(self, log: RawLog, chain_id: int) -> DecodedLog:
        """Decode exactly this log's own topics and data; `UnknownEvent` or `MalformedLog` if it cannot be."""
        spec = self.spec_for(log)
        if spec is None:
            topic0 = log.topics[0] if log.topics else "none"
            raise UnknownEvent(f"no handled event has topic0 {topic0} with {len(log.topics)} topics", log)
        indexed = [i for i in spec.inputs if i.indexed]
        plain = [i for i in spec.inputs if not i.indexed]
        values: dict[str, Any] = {}
        try:
            for given, topic in zip(indexed, log.topics[1:], strict=True):
                values[given.name] = _topic_value(given.type, topic)
            decoded = eth_abi.decode([i.type for i in plain], bytes.fromhex(log.data[2:]))
        except (DecodingError, ValueError, OverflowError) as err:
            raise MalformedLog(f"{spec.name}: {err}", log) from err
        for given, value in zip(plain, decoded, strict=True):
            values[given.name] = _plain(given.type, value)
        return DecodedLog(
            chain_id=chain_id,
            block_number=log.block_number,
            block_hash=log.block_hash,
            tx_hash=log.transaction_hash,
            tx_index=log.transaction_index,
            log_index=log.log_index,
            address=log.address,
            event=spec.name,
            args={i.name: values[i.name] for i in spec.inputs},
        )


@cache
def handled_events() -> EventSet:
    """Every event of `HANDLED_EVENTS`, from the ABIs bundled with `ocean-contracts`."""
    specs = []
    for name, artifact in HANDLED_EVENTS.items():
        entries = [e for e in contracts.abi(artifact) if e.get("type") == "event" and e.get("name") == name]
        if len(entries) != 1:
            raise LookupError(f"{artifact} has {len(entries)} events named {name}")
        specs.append(EventSpec.from_abi(entries[0]))
    return EventSet(specs)


def decode_log(log: RawLog, chain_id: int) -> DecodedLog:
    """Decode one raw log as one of the handled events (see `EventSet.decode`)."""
    return handled_events().decode(log, chain_id)


def _canonical_type(entry: Mapping[str, Any]) -> str:
    kind = str(entry["type"])
    if kind.startswith("tuple"):
        raise ValueError(f"event input {entry.get('name')!r}: tuple inputs are not supported")
    return kind


def _topic_value(kind: str, topic: str) -> Any:
    # NOTE: the common static types are read straight from the hex (eth_abi is the bulk of decoding time),
    # with the same strictness: an address or uintN topic with stray high bits is malformed
    if _is_dynamic(kind) or kind == "bytes32":
        return topic
    if kind == "address":
        if topic[2:26].strip("0"):
            raise ValueError(f"address topic {topic} has non-zero padding")
        return checksum_address("0x" + topic[26:])
    if kind.startswith("uint"):
        value = int(topic, 16)
        if value.bit_length() > int(kind[4:] or 256):
            raise ValueError(f"{kind} topic {topic} is out of range")
        return value
    return _plain(kind, eth_abi.decode([kind], bytes.fromhex(topic[2:]))[0])


def _is_dynamic(kind: str) -> bool:
    return kind in ("string", "bytes") or kind.endswith("]")


def _plain(kind: str, value: Any) -> Any:
    if kind.endswith("]"):
        inner = kind[: kind.rindex("[")]
        return [_plain(inner, v) for v in value]
    if kind == "address":
        return checksum_address(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value
