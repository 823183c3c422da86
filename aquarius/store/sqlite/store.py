"""The embedded store: one SQLite file in WAL mode, driven from one dedicated thread so that the event loop never
waits on disk. Every public operation is one transaction."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from aquarius.store.base import (
    BlockEffects,
    BlockRef,
    Collection,
    Doc,
    Lease,
    LeaseAction,
    LeaseState,
    Store,
    StoreError,
    Write,
    block_id,
    block_record,
    chain_record,
    decide_lease,
    last_writes,
    plan_block_writes,
)
from aquarius.store.sqlite.indexing import FieldRegistry, IndexWriter
from aquarius.store.sqlite.schema import (
    INDEX_TABLES,
    create_schema,
    index_fingerprint,
    store_fingerprint,
    stored_fingerprint,
)
from aquarius.store.sqlite.search import Searcher

T = TypeVar("T")

# the journal is read by key range only; indexing its `before` copies would double the cost of every block
UNINDEXED = frozenset({Collection.JOURNAL.value})
_CURSOR_KEYS = ("chain_id", "last_block", "last_hash")


def _dumps(doc: Doc) -> str:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def _chain_range(chain_id: int, below: int | None = None, above: int | None = None) -> tuple[str, str]:
    """Key bounds [low, high) of the journal/block ids of one chain: they start `chain:block(12 digits)`."""
    low = f"{chain_id}:" if above is None else block_id(chain_id, above + 1)
    high = f"{chain_id};" if below is None else block_id(chain_id, below)
    return low, high


class SqliteStore(Store):
    def __init__(self, path: Path | str, asset_index_name: str = "aquarius") -> None:
        self.path = Path(path)
        self.asset_index_name = asset_index_name
        self._executor: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None
        self._fields = FieldRegistry()
        self._index = IndexWriter(self._fields)
        self._searcher = Searcher(self._fields, asset_index_name)
        self._data_version: int | None = None

    # --- plumbing -------------------------------------------------------------------------------------------

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._executor is None or self._conn is None:
            raise StoreError("the embedded store is not open")
        conn = self._conn
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, conn)

    async def _transaction(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        def run(conn: sqlite3.Connection) -> T:
            conn.execute("BEGIN IMMEDIATE")
            try:
                self._see_other_writers(conn)
                result = fn(conn)
                self._index.flush(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                self._index.discard(conn)
                raise
            conn.execute("COMMIT")
            return result

        return await self._run(run)

    def _see_other_writers(self, conn: sqlite3.Connection) -> None:
        """Another process sharing the file (a second indexer, `serve` beside `index`) may have mapped new fields
        since this one cached them: reload the cache when anyone else has committed."""
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        if version != self._data_version:
            self._fields.load(conn)
            self._data_version = version

    async def open(self) -> None:
        if self._executor is not None:
            return
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-store")

        def connect() -> sqlite3.Connection:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA busy_timeout = 10000")
            conn.execute("PRAGMA cache_size = -65536")
            create_schema(conn)
            self._fields.load(conn)
            fingerprint = index_fingerprint()
            if stored_fingerprint(conn) != fingerprint:
                conn.execute("BEGIN IMMEDIATE")
                self._rebuild_index(conn)
                store_fingerprint(conn, fingerprint)
                conn.execute("COMMIT")
            return conn

        try:
            self._conn = await asyncio.get_running_loop().run_in_executor(self._executor, connect)
        except (sqlite3.Error, OSError, RuntimeError) as exc:
            self._executor.shutdown(wait=False)
            self._executor = None
            raise StoreError(f"cannot open the embedded store {self.path}: {exc}") from exc

    def _rebuild_index(self, conn: sqlite3.Connection) -> None:
        """Indexes every document again, for a file indexed under another schema or asset mapping."""
        for table in INDEX_TABLES:
            conn.execute(f"DELETE FROM {table}")
        self._fields.load(conn)
        rows = conn.execute(
            "SELECT seq, coll, body FROM docs WHERE coll NOT IN (SELECT value FROM json_each(?)) ORDER BY seq",
            (json.dumps(sorted(UNINDEXED)),),
        )
        for seq, coll, body in rows:
            self._index.add(conn, coll, seq, json.loads(body))
        self._index.flush(conn)

    async def close(self) -> None:
        if self._executor is None:
            return
        if self._conn is not None:
            await self._run(lambda conn: conn.close())
        self._executor.shutdown(wait=True)
        self._executor, self._conn = None, None

    async def ping(self) -> bool:
        if self._conn is None:
            return False
        try:
            return await self._run(lambda conn: conn.execute("SELECT 1").fetchone() == (1,))
        except sqlite3.Error:
            return False

    async def refresh(self) -> None:
        """Every committed write is visible to search at once."""

    # --- documents ------------------------------------------------------------------------------------------

    async def get(self, collection: Collection, doc_id: str) -> Doc | None:
        found = await self.mget(collection, [doc_id])
        return found[doc_id]

    async def mget(self, collection: Collection, ids: Sequence[str]) -> dict[str, Doc | None]:
        wanted = list(ids)
        rows = await self._run(lambda conn: _fetch(conn, collection.value, wanted))
        return {doc_id: rows.get(doc_id) for doc_id in wanted}

    async def write(self, writes: Sequence[Write]) -> None:
        batch = list(writes)
        await self._transaction(lambda conn: self._apply(conn, batch))

    def _apply(self, conn: sqlite3.Connection, writes: Iterable[Write], create_only: bool = False) -> None:
        for w in writes:
            coll = w.collection.value
            row = conn.execute("SELECT seq, body FROM docs WHERE coll = ? AND id = ?", (coll, w.id)).fetchone()
            if row is not None:
                if create_only:
                    continue
                if coll not in UNINDEXED:
                    self._index.remove(conn, coll, row[0], json.loads(row[1]))
                conn.execute("DELETE FROM docs WHERE seq = ?", (row[0],))
            if w.doc is None:
                continue
            # a new seq on every version: an updated document moves to the end of the index order, as in ES
            cur = conn.execute("INSERT INTO docs (coll, id, body) VALUES (?, ?, ?)", (coll, w.id, _dumps(w.doc)))
            if coll not in UNINDEXED:
                assert cur.lastrowid is not None
                self._index.add(conn, coll, cur.lastrowid, w.doc)

    # --- blocks ---------------------------------------------------------------------------------------------

    async def apply_blocks(self, chain_id: int, blocks: Sequence[BlockEffects]) -> None:
        batch = list(blocks)
        if not batch:
            return
        if any(b.chain_id != chain_id for b in batch):
            raise ValueError(f"apply_blocks for chain {chain_id} got a block of another chain")

        def apply(conn: sqlite3.Connection) -> None:
            keys = {(w.collection, w.id) for block in batch for w in block.writes}
            current: dict[tuple[Collection, str], Doc | None] = {}
            for collection in {c for c, _ in keys}:
                found = _fetch(conn, collection.value, [i for c, i in keys if c is collection])
                current.update({(collection, i): found.get(i) for c, i in keys if c is collection})
            effects: list[Write] = []
            for block, journal, writes in plan_block_writes(batch, current):
                self._apply(conn, journal, create_only=True)
                effects += writes
                effects.append(block_record(block))
            # one transaction: a document rewritten by several blocks is indexed once, in its last version
            self._apply(conn, last_writes(effects))
            self._move_cursor(conn, chain_id, batch[-1].ref)

        await self._transaction(apply)

    def _move_cursor(self, conn: sqlite3.Connection, chain_id: int, head: BlockRef) -> None:
        previous = _fetch(conn, Collection.CHAINS.value, [str(chain_id)]).get(str(chain_id)) or {}
        extra = {k: v for k, v in previous.items() if k not in _CURSOR_KEYS}
        self._apply(conn, [chain_record(chain_id, head, extra)])

    async def cursor(self, chain_id: int) -> BlockRef | None:
        record = await self.get(Collection.CHAINS, str(chain_id))
        if record is None or record.get("last_block") is None:
            return None
        return BlockRef(int(record["last_block"]), str(record["last_hash"]))

    async def recent_blocks(self, chain_id: int, limit: int) -> list[BlockRef]:
        low, high = _chain_range(chain_id)

        def read(conn: sqlite3.Connection) -> list[BlockRef]:
            rows = conn.execute(
                "SELECT body FROM docs WHERE coll = ? AND id >= ? AND id < ? ORDER BY id DESC LIMIT ?",
                (Collection.BLOCKS.value, low, high, max(limit, 0)),
            ).fetchall()
            return [BlockRef(int(d["number"]), str(d["hash"])) for d in (json.loads(r[0]) for r in rows)]

        return await self._run(read)

    async def rollback(self, chain_id: int, to: BlockRef) -> None:
        low, high = _chain_range(chain_id, above=to.number)

        def undo(conn: sqlite3.Connection) -> None:
            entries = [
                (doc_id, json.loads(body))
                for doc_id, body in conn.execute(
                    "SELECT id, body FROM docs WHERE coll = ? AND id >= ? AND id < ? ORDER BY id DESC",
                    (Collection.JOURNAL.value, low, high),
                )
            ]
            entries.sort(key=lambda e: (e[1]["block"], e[1]["seq"]), reverse=True)
            for doc_id, entry in entries:
                self._apply(conn, [Write(Collection(entry["collection"]), entry["doc_id"], entry["before"])])
                self._apply(conn, [Write(Collection.JOURNAL, doc_id, None)])
            orphans = conn.execute(
                "SELECT id FROM docs WHERE coll = ? AND id >= ? AND id < ?", (Collection.BLOCKS.value, low, high)
            ).fetchall()
            self._apply(conn, [Write(Collection.BLOCKS, r[0], None) for r in orphans])
            self._move_cursor(conn, chain_id, to)

        await self._transaction(undo)

    async def prune(self, chain_id: int, below_block: int) -> None:
        low, high = _chain_range(chain_id, below=below_block)

        def forget(conn: sqlite3.Connection) -> None:
            conn.execute(
                "DELETE FROM docs WHERE coll = ? AND id >= ? AND id < ?", (Collection.JOURNAL.value, low, high)
            )
            blocks = conn.execute(
                "SELECT id FROM docs WHERE coll = ? AND id >= ? AND id < ?", (Collection.BLOCKS.value, low, high)
            ).fetchall()
            self._apply(conn, [Write(Collection.BLOCKS, r[0], None) for r in blocks])

        await self._transaction(forget)

    # --- leases ---------------------------------------------------------------------------------------------

    async def change_lease(
        self, action: LeaseAction, name: str, holder: str, ttl: float = 0.0, note: Doc | None = None
    ) -> LeaseState:
        """One `BEGIN IMMEDIATE` transaction: it takes the file's write lock before reading, so processes
        sharing the file change a lease one after the other."""

        def change(conn: sqlite3.Connection) -> LeaseState:
            stored = _fetch(conn, Collection.LEASES.value, [name]).get(name)
            current = None if stored is None else Lease.from_doc(stored)
            granted, wanted = decide_lease(current, action, name, holder, ttl, time.time(), note)
            if not granted:
                return LeaseState(False, current)
            self._apply(conn, [Write(Collection.LEASES, name, None if wanted is None else wanted.to_doc())])
            return LeaseState(True, wanted)

        return await self._transaction(change)

    # --- search ---------------------------------------------------------------------------------------------

    async def search(self, collection: Collection, body: Doc) -> Doc:
        def run(conn: sqlite3.Connection) -> Doc:
            self._see_other_writers(conn)
            return self._searcher.search(conn, collection.value, body)

        return await self._run(run)


def _fetch(conn: sqlite3.Connection, collection: str, ids: Sequence[str]) -> dict[str, Any]:
    if not ids:
        return {}
    rows = conn.execute(
        "SELECT id, body FROM docs WHERE coll = ? AND id IN (SELECT value FROM json_each(?))",
        (collection, json.dumps(list(ids))),
    )
    return {doc_id: json.loads(body) for doc_id, body in rows}
