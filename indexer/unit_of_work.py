"""The documents one batch of blocks reads and writes: reads go through the batch's own writes first, then to
the store as it was before the block; writes are collected per block, in log order, for `Store.apply_blocks`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from aquarius.store.base import BlockEffects, Collection, Doc, Store, Write

_NOT_LOADED = object()


def copy_json(value: Any) -> Any:
    """A deep copy of a JSON-shaped value (dicts, lists, scalars), several times faster than `copy.deepcopy`,
    which keeps a memo for shared and cyclic references that JSON documents never have."""
    if isinstance(value, dict):
        return {key: copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_json(item) for item in value]
    return value


class UnitOfWork:
    def __init__(self, store: Store, chain_id: int) -> None:
        self.store = store
        self.chain_id = chain_id
        self._overlay: dict[tuple[Collection, str], Doc | None] = {}
        self._undo: list[tuple[tuple[Collection, str], object]] = []
        self._blocks: list[BlockEffects] = []

    def begin_block(self, number: int, block_hash: str, parent_hash: str = "", timestamp: int = 0) -> BlockEffects:
        block = BlockEffects(self.chain_id, number, block_hash, parent_hash, timestamp)
        self._blocks.append(block)
        return block

    @property
    def blocks(self) -> list[BlockEffects]:
        return self._blocks

    @property
    def _current(self) -> BlockEffects:
        if not self._blocks:
            raise RuntimeError("no block begun")
        return self._blocks[-1]

    async def get(self, collection: Collection, doc_id: str) -> Doc | None:
        return (await self.get_many(collection, [doc_id]))[doc_id]

    async def get_many(self, collection: Collection, ids: Sequence[str]) -> dict[str, Doc | None]:
        """Copies of the documents, as of the current block: a handler may change them freely before `put`."""
        missing = [i for i in ids if (collection, i) not in self._overlay]
        if missing:
            found = await self.store.read_for_block(self.chain_id, self._current.number, collection, missing)
            for doc_id, doc in found.items():
                self._overlay[(collection, doc_id)] = doc
        return {i: copy_json(self._overlay[(collection, i)]) for i in ids}

    async def prefetch(self, first_block: int, keys: Iterable[tuple[Collection, str]]) -> None:
        """Load, in one multi-get per collection, the documents a batch will read: its versions before
        `first_block` are what each block of the batch starts from, as nothing earlier in the batch wrote them."""
        wanted: dict[Collection, list[str]] = {}
        for collection, doc_id in keys:
            if (collection, doc_id) not in self._overlay:
                wanted.setdefault(collection, []).append(doc_id)
        for collection, ids in wanted.items():
            found = await self.store.read_for_block(self.chain_id, first_block, collection, list(dict.fromkeys(ids)))
            for doc_id, doc in found.items():
                self._overlay[(collection, doc_id)] = doc

    def put(self, collection: Collection, doc_id: str, doc: Doc) -> None:
        # one copy serves the overlay and the write: neither is ever changed in place (reads hand out copies)
        self._set(collection, doc_id, copy_json(doc))

    def delete(self, collection: Collection, doc_id: str) -> None:
        self._set(collection, doc_id, None)

    def _set(self, collection: Collection, doc_id: str, doc: Doc | None) -> None:
        key = (collection, doc_id)
        self._undo.append((key, self._overlay.get(key, _NOT_LOADED)))
        self._overlay[key] = doc
        self._current.writes.append(Write(collection, doc_id, doc))

    def savepoint(self) -> tuple[int, int]:
        return len(self._current.writes), len(self._undo)

    def rollback_to(self, savepoint: tuple[int, int]) -> None:
        """Forget what a failed handler wrote since `savepoint`, so the rest of the block is unaffected."""
        writes, undo = savepoint
        del self._current.writes[writes:]
        while len(self._undo) > undo:
            key, previous = self._undo.pop()
            if previous is _NOT_LOADED:
                self._overlay.pop(key, None)
            else:
                self._overlay[key] = previous  # type: ignore[assignment]
