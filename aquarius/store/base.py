"""The one store interface both backends implement, and the block bookkeeping they share.

Data flows chain -> indexer -> store <- api. The indexer never writes a document outside `apply_blocks`
(except the few non-chain records: retry queue, purgatory lists); every document write a block causes is
journaled with the document's previous version, so that a reorg can undo the block exactly.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

Doc = dict[str, Any]


class Collection(StrEnum):
    """Logical collections. `ASSETS` is the one clients search; its public name is the configured index name."""

    ASSETS = "assets"
    STATES = "states"  # asset state record per DID (last outcome), served by /state/ddo
    ORDERS = "orders"
    HISTORY = "history"
    RETRIES = "retries"
    CHAINS = "chains"  # cursor and status per chain
    BLOCKS = "blocks"  # hashes of the recently applied blocks per chain (reorg detection)
    JOURNAL = "journal"  # previous versions of documents written by recent blocks (reorg undo)
    META = "meta"  # small named records: purgatory lists
    LEASES = "leases"  # who may write what a name guards (a chain's documents), until when


class StoreError(RuntimeError):
    """The store is unreachable or refused an operation."""


class UnsupportedQuery(ValueError):
    """A query uses a construct the backend does not support; the message names it (the API answers 400)."""


class BadQuery(ValueError):
    """A query is malformed (the API answers 400 with this message)."""


@dataclass(frozen=True, slots=True)
class Write:
    """Replace document `id` of `collection` with `doc`; `doc=None` deletes it."""

    collection: Collection
    id: str
    doc: Doc | None


@dataclass(frozen=True, slots=True)
class BlockRef:
    number: int
    hash: str


@dataclass(slots=True)
class BlockEffects:
    """Everything one block does to the store, in log order. Empty blocks are allowed (they move the cursor)."""

    chain_id: int
    number: int
    hash: str
    parent_hash: str
    timestamp: int
    writes: list[Write] = field(default_factory=list)

    @property
    def ref(self) -> BlockRef:
        return BlockRef(self.number, self.hash)


def journal_id(chain_id: int, block: int, collection: Collection, doc_id: str) -> str:
    return f"{chain_id}:{block:012d}:{collection.value}:{doc_id}"


def block_id(chain_id: int, number: int) -> str:
    return f"{chain_id}:{number:012d}"


def plan_block_writes(
    blocks: Sequence[BlockEffects], current: Mapping[tuple[Collection, str], Doc | None]
) -> list[tuple[BlockEffects, list[Write], list[Write]]]:
    """For each block: its journal entries (the previous version of every document it writes, taken from
    `current` and from the earlier blocks of the same batch) and its effective writes (last write per document).

    Journal entries must be written create-only: after a crash between the journal and the cursor, a re-applied
    block finds its entries present and keeps them, so the journal always holds the true pre-block versions.
    """
    state: dict[tuple[Collection, str], Doc | None] = dict(current)
    planned = []
    for block in blocks:
        last: dict[tuple[Collection, str], Write] = {}
        for w in block.writes:
            last[(w.collection, w.id)] = w
        journal = []
        for seq, (key, w) in enumerate(last.items()):
            journal.append(
                Write(
                    Collection.JOURNAL,
                    journal_id(block.chain_id, block.number, w.collection, w.id),
                    {
                        "chain_id": block.chain_id,
                        "block": block.number,
                        "seq": seq,
                        "collection": w.collection.value,
                        "doc_id": w.id,
                        "before": state.get(key),
                    },
                )
            )
            state[key] = w.doc
        planned.append((block, journal, list(last.values())))
    return planned


def last_writes(writes: Iterable[Write], keep_all: frozenset[Collection] = frozenset()) -> list[Write]:
    """The last write of each document, ordered by those last writes: a document written twice still ends
    after the ones written in between, as if every write were applied. Writes to `keep_all` collections are all
    kept, in place. For writing a range of blocks at once: the journal keeps each block's previous versions."""
    kept: dict[object, Write] = {}
    for position, w in enumerate(writes):
        key = position if w.collection in keep_all else (w.collection, w.id)
        kept.pop(key, None)
        kept[key] = w
    return list(kept.values())


def chain_record(chain_id: int, head: BlockRef, extra: Doc | None = None) -> Write:
    doc: Doc = {"chain_id": chain_id, "last_block": head.number, "last_hash": head.hash, **(extra or {})}
    return Write(Collection.CHAINS, str(chain_id), doc)


def block_record(block: BlockEffects) -> Write:
    return Write(
        Collection.BLOCKS,
        block_id(block.chain_id, block.number),
        {
            "chain_id": block.chain_id,
            "number": block.number,
            "hash": block.hash,
            "parent_hash": block.parent_hash,
            "timestamp": block.timestamp,
        },
    )


@dataclass(frozen=True, slots=True)
class Lease:
    """`holder` alone may write what `name` guards until `expires` (seconds since the epoch). `note` is what the
    holder publishes about its work (a chain's holder: the head it sees)."""

    name: str
    holder: str
    expires: float
    note: Doc = field(default_factory=dict)

    def to_doc(self) -> Doc:
        return {"name": self.name, "holder": self.holder, "expires": self.expires, "note": self.note}

    @classmethod
    def from_doc(cls, doc: Doc) -> Lease:
        return cls(str(doc["name"]), str(doc["holder"]), float(doc["expires"]), dict(doc.get("note") or {}))


class LeaseAction(StrEnum):
    ACQUIRE = "acquire"  # free, expired or already ours: it becomes ours for `ttl`
    RENEW = "renew"  # still ours (even past its expiry, as long as nobody took it): ours for `ttl` more
    RELEASE = "release"  # ours: deleted, so that a successor takes it at once


@dataclass(frozen=True, slots=True)
class LeaseState:
    granted: bool  # the action was done
    lease: Lease | None  # the lease as stored afterwards; None when nobody holds it


def decide_lease(
    current: Lease | None, action: LeaseAction, name: str, holder: str, ttl: float, now: float, note: Doc | None
) -> tuple[bool, Lease | None]:
    """Whether `action` by `holder` is allowed on `current` at `now`, and the lease to store then (None: delete).
    The backends run this between an atomic read and a conditional write."""
    ours = current is not None and current.holder == holder
    free = current is None or current.expires <= now
    if action is LeaseAction.RELEASE:
        return ours, None
    if not (ours or (action is LeaseAction.ACQUIRE and free)):
        return False, current
    kept_note = current.note if ours and current is not None else {}
    return True, Lease(name, holder, now + ttl, kept_note if note is None else note)


class Store(abc.ABC):
    """A document store with Elasticsearch's query DSL. Backends: Elasticsearch and embedded SQLite."""

    asset_index_name: str  # the public name clients see in `_index`, e.g. "aquarius"

    @abc.abstractmethod
    async def open(self) -> None:
        """Connect and create what is missing (indices/tables); safe to call on an existing store."""

    @abc.abstractmethod
    async def close(self) -> None: ...

    @abc.abstractmethod
    async def ping(self) -> bool:
        """True when the store answers."""

    async def health(self) -> str:
        """ "ok", or "unreachable" when the store does not answer. A backend spread over several nodes reports
        more ("red": it answers but some documents can be neither read nor written)."""
        return "ok" if await self.ping() else "unreachable"

    @abc.abstractmethod
    async def get(self, collection: Collection, doc_id: str) -> Doc | None: ...

    @abc.abstractmethod
    async def mget(self, collection: Collection, ids: Sequence[str]) -> dict[str, Doc | None]:
        """Every id of `ids` as a key, None for missing ones; one round trip."""

    @abc.abstractmethod
    async def search(self, collection: Collection, body: Doc) -> Doc:
        """An Elasticsearch search body -> an Elasticsearch response body (took, timed_out, _shards, hits,
        aggregations). Raises BadQuery or UnsupportedQuery."""

    async def read_for_block(
        self, chain_id: int, block: int, collection: Collection, ids: Sequence[str]
    ) -> dict[str, Doc | None]:
        """The documents as they were before `block` of the chain was applied. Equal to `mget` except on a
        backend without multi-document transactions after a crash in the middle of `apply_blocks`, where some
        effects of blocks after the cursor may already be written: there the journal holds the true versions."""
        return await self.mget(collection, ids)

    @abc.abstractmethod
    async def write(self, writes: Sequence[Write]) -> None:
        """Non-block writes (retry queue, purgatory lists...), applied in order; durable when this returns."""

    @abc.abstractmethod
    async def apply_blocks(self, chain_id: int, blocks: Sequence[BlockEffects]) -> None:
        """Apply the blocks' writes, journal them, record their hashes and move the chain's cursor to the last
        block. The cursor moves only once every effect is durable; re-applying a block after a crash at any
        point yields the same store."""

    @abc.abstractmethod
    async def cursor(self, chain_id: int) -> BlockRef | None:
        """The last applied block of the chain, None before the first."""

    @abc.abstractmethod
    async def recent_blocks(self, chain_id: int, limit: int) -> list[BlockRef]:
        """The last `limit` applied blocks of the chain, newest first."""

    @abc.abstractmethod
    async def rollback(self, chain_id: int, to: BlockRef) -> None:
        """Undo every block of the chain after `to` (restoring journaled versions, newest first) and set the
        cursor to `to`."""

    @abc.abstractmethod
    async def prune(self, chain_id: int, below_block: int) -> None:
        """Forget journal entries and block hashes of blocks below `below_block` (outside the reorg window)."""

    @abc.abstractmethod
    async def change_lease(
        self, action: LeaseAction, name: str, holder: str, ttl: float = 0.0, note: Doc | None = None
    ) -> LeaseState:
        """Read the lease `name`, apply `decide_lease` and write the result, atomically: of two holders racing,
        at most one is granted. Expiry times are the writers' wall clocks."""

    async def acquire_lease(self, name: str, holder: str, ttl: float, note: Doc | None = None) -> LeaseState:
        return await self.change_lease(LeaseAction.ACQUIRE, name, holder, ttl, note)

    async def renew_lease(self, name: str, holder: str, ttl: float, note: Doc | None = None) -> LeaseState:
        return await self.change_lease(LeaseAction.RENEW, name, holder, ttl, note)

    async def release_lease(self, name: str, holder: str) -> bool:
        return (await self.change_lease(LeaseAction.RELEASE, name, holder)).granted

    async def read_lease(self, name: str) -> Lease | None:
        doc = await self.get(Collection.LEASES, name)
        return None if doc is None else Lease.from_doc(doc)

    @abc.abstractmethod
    async def refresh(self) -> None:
        """Make every acknowledged write visible to search (a no-op where that is always true)."""
