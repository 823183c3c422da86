"""The embedded store's storage methods against a real file: documents, blocks, journal, reorgs, crashes."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from aquarius.store.base import BlockEffects, BlockRef, Collection, StoreError, Write, journal_id
from aquarius.store.sqlite import SqliteStore


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    s = SqliteStore(tmp_path / "store.sqlite")
    await s.open()
    yield s
    await s.close()


def _block(number: int, writes: list[Write], chain_id: int = 1) -> BlockEffects:
    return BlockEffects(chain_id, number, f"0x{number:04x}", f"0x{number - 1:04x}", 1_700_000_000 + number, writes)


def _asset(doc_id: str, name: str) -> Write:
    return Write(Collection.ASSETS, doc_id, {"id": doc_id, "metadata": {"name": name}})


async def test_documents_round_trip_and_survive_reopen(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    s = SqliteStore(path)
    await s.open()
    assert await s.ping()
    await s.write([_asset("did:op:a", "Å first"), _asset("did:op:b", "second"), Write(Collection.META, "x", {"v": 1})])
    await s.write([_asset("did:op:b", "second v2"), Write(Collection.META, "x", None)])
    assert await s.get(Collection.ASSETS, "did:op:a") == {"id": "did:op:a", "metadata": {"name": "Å first"}}
    assert await s.get(Collection.META, "x") is None
    assert await s.get(Collection.ORDERS, "did:op:a") is None  # collections are separate
    await s.close()
    assert not await s.ping()
    with pytest.raises(StoreError):
        await s.get(Collection.ASSETS, "did:op:a")

    again = SqliteStore(path)
    await again.open()
    found = await again.mget(Collection.ASSETS, ["did:op:b", "did:op:missing", "did:op:a"])
    assert list(found) == ["did:op:b", "did:op:missing", "did:op:a"]
    assert found["did:op:b"] == {"id": "did:op:b", "metadata": {"name": "second v2"}}
    assert found["did:op:missing"] is None
    assert await again.mget(Collection.ASSETS, []) == {}
    await again.close()


async def test_open_fails_with_a_store_error_on_an_unusable_path(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(StoreError, match="cannot open"):
        await SqliteStore(tmp_path / "file" / "store.sqlite").open()


async def test_apply_blocks_journals_previous_versions_and_moves_the_cursor(store: SqliteStore) -> None:
    assert await store.cursor(1) is None
    await store.write([_asset("did:op:a", "before")])
    await store.apply_blocks(
        1,
        [
            _block(10, [_asset("did:op:a", "in 10"), _asset("did:op:b", "b in 10"), _asset("did:op:a", "last in 10")]),
            _block(11, []),
            _block(12, [Write(Collection.ASSETS, "did:op:b", None), _asset("did:op:a", "in 12")]),
        ],
    )
    assert await store.cursor(1) == BlockRef(12, "0x000c")
    assert await store.recent_blocks(1, 2) == [BlockRef(12, "0x000c"), BlockRef(11, "0x000b")]
    assert (await store.get(Collection.ASSETS, "did:op:a"))["metadata"]["name"] == "in 12"  # type: ignore[index]
    assert await store.get(Collection.ASSETS, "did:op:b") is None

    j10a = await store.get(Collection.JOURNAL, journal_id(1, 10, Collection.ASSETS, "did:op:a"))
    assert j10a is not None and j10a["before"]["metadata"]["name"] == "before"
    j10b = await store.get(Collection.JOURNAL, journal_id(1, 10, Collection.ASSETS, "did:op:b"))
    assert j10b is not None and j10b["before"] is None
    j12a = await store.get(Collection.JOURNAL, journal_id(1, 12, Collection.ASSETS, "did:op:a"))
    assert j12a is not None and j12a["before"]["metadata"]["name"] == "last in 10"
    assert (await store.get(Collection.CHAINS, "1")) == {"chain_id": 1, "last_block": 12, "last_hash": "0x000c"}


async def test_journal_entries_are_create_only(store: SqliteStore) -> None:
    """A block re-applied after a crash keeps the journal entry written the first time (the true pre-block
    version), even though the document already holds the block's effect."""
    jid = journal_id(1, 5, Collection.ASSETS, "did:op:a")
    first = {"chain_id": 1, "block": 5, "seq": 0, "collection": "assets", "doc_id": "did:op:a", "before": None}
    await store.write([Write(Collection.JOURNAL, jid, first), _asset("did:op:a", "from block 5")])
    await store.apply_blocks(1, [_block(5, [_asset("did:op:a", "from block 5")])])
    assert await store.get(Collection.JOURNAL, jid) == first
    await store.rollback(1, BlockRef(4, "0x0004"))
    assert await store.get(Collection.ASSETS, "did:op:a") is None


async def test_rollback_restores_newest_first_and_forgets_orphans(store: SqliteStore) -> None:
    await store.apply_blocks(1, [_block(1, [_asset("did:op:a", "v1")]), _block(2, [_asset("did:op:a", "v2")])])
    await store.apply_blocks(10, [_block(3, [_asset("did:op:other", "chain 10")], chain_id=10)])
    await store.apply_blocks(
        1,
        [
            _block(3, [_asset("did:op:a", "v3"), _asset("did:op:b", "b3")]),
            _block(4, [_asset("did:op:a", "v4"), Write(Collection.ASSETS, "did:op:b", None)]),
        ],
    )
    await store.rollback(1, BlockRef(2, "0x0002"))
    assert (await store.get(Collection.ASSETS, "did:op:a"))["metadata"]["name"] == "v2"  # type: ignore[index]
    assert await store.get(Collection.ASSETS, "did:op:b") is None
    assert await store.cursor(1) == BlockRef(2, "0x0002")
    assert await store.recent_blocks(1, 10) == [BlockRef(2, "0x0002"), BlockRef(1, "0x0001")]
    assert await store.get(Collection.JOURNAL, journal_id(1, 3, Collection.ASSETS, "did:op:a")) is None
    assert await store.get(Collection.JOURNAL, journal_id(1, 2, Collection.ASSETS, "did:op:a")) is not None
    # the other chain, whose ids share the prefix "1", is untouched
    assert await store.cursor(10) == BlockRef(3, "0x0003")
    assert await store.get(Collection.ASSETS, "did:op:other") is not None

    await store.apply_blocks(1, [_block(3, [_asset("did:op:c", "canonical 3")])])
    assert await store.cursor(1) == BlockRef(3, "0x0003")
    assert await store.get(Collection.ASSETS, "did:op:c") is not None


async def test_prune_forgets_journal_and_hashes_below_a_block(store: SqliteStore) -> None:
    await store.apply_blocks(1, [_block(n, [_asset("did:op:a", f"v{n}")]) for n in range(1, 6)])
    await store.prune(1, 4)
    assert await store.recent_blocks(1, 10) == [BlockRef(5, "0x0005"), BlockRef(4, "0x0004")]
    assert await store.get(Collection.JOURNAL, journal_id(1, 3, Collection.ASSETS, "did:op:a")) is None
    assert await store.get(Collection.JOURNAL, journal_id(1, 4, Collection.ASSETS, "did:op:a")) is not None
    assert await store.cursor(1) == BlockRef(5, "0x0005")


async def test_a_failed_batch_leaves_nothing_behind(store: SqliteStore) -> None:
    await store.apply_blocks(1, [_block(1, [_asset("did:op:a", "v1")])])
    unserialisable = Write(Collection.ASSETS, "did:op:bad", {"new_field": "text", "x": {1, 2}})
    with pytest.raises(TypeError):
        await store.apply_blocks(1, [_block(2, [_asset("did:op:a", "v2"), unserialisable])])
    assert await store.cursor(1) == BlockRef(1, "0x0001")
    assert (await store.get(Collection.ASSETS, "did:op:a"))["metadata"]["name"] == "v1"  # type: ignore[index]
    assert await store.get(Collection.JOURNAL, journal_id(1, 2, Collection.ASSETS, "did:op:a")) is None
    # the field first seen in the failed batch can be mapped again
    await store.write([Write(Collection.ASSETS, "did:op:ok", {"new_field": "text"})])
    assert await store.get(Collection.ASSETS, "did:op:ok") == {"new_field": "text"}


_CHILD = """
import asyncio, sys
from aquarius.store.base import BlockEffects, Collection, Write
from aquarius.store.sqlite import SqliteStore

async def main(path, docs):
    store = SqliteStore(path)
    await store.open()
    for n in range(1, 100):
        writes = [Write(Collection.ASSETS, f"did:op:{i}", {"id": f"did:op:{i}", "block": n,
                  "metadata": {"name": f"asset {i} of block {n}", "tags": ["t%d" % (i % 7), "b%d" % n]}})
                  for i in range(docs)]
        print(f"applying {n}", flush=True)
        await store.apply_blocks(1, [BlockEffects(1, n, f"0x{n:x}", f"0x{n - 1:x}", n, writes)])

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


@pytest.mark.parametrize("kill_at", [1, 3])
async def test_sigkill_during_apply_blocks_leaves_all_or_nothing(tmp_path: Path, kill_at: int) -> None:
    path, docs = tmp_path / "crash.sqlite", 1500
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _CHILD, str(path), str(docs), stdout=asyncio.subprocess.PIPE
    )
    assert child.stdout is not None
    while (await child.stdout.readline()).decode().strip() != f"applying {kill_at}":
        pass
    child.send_signal(signal.SIGKILL)
    assert await child.wait() == -signal.SIGKILL

    store = SqliteStore(path)
    await store.open()
    cursor = await store.cursor(1)
    applied = 0 if cursor is None else cursor.number
    assert applied in (kill_at - 1, kill_at)
    found = await store.mget(Collection.ASSETS, [f"did:op:{i}" for i in range(docs)])
    if applied == 0:
        assert set(found.values()) == {None}
    else:
        assert {doc["block"] for doc in found.values() if doc is not None} == {applied}
        assert None not in found.values()
    assert [b.number for b in await store.recent_blocks(1, 100)] == list(range(applied, 0, -1))
    journal = await store.mget(Collection.JOURNAL, [journal_id(1, applied + 1, Collection.ASSETS, "did:op:0")])
    assert set(journal.values()) == {None}
    await store.close()

    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # the inverted index holds exactly the live documents
    orphans = conn.execute("SELECT count(*) FROM postings WHERE doc NOT IN (SELECT seq FROM docs)").fetchone()
    assert orphans == (0,)
    indexed = conn.execute("SELECT count(DISTINCT doc) FROM postings").fetchone()[0]
    live = conn.execute("SELECT count(*) FROM docs WHERE coll != 'journal'").fetchone()[0]
    assert indexed == live
    names = [json.loads(b)["metadata"]["name"] for (b,) in conn.execute("SELECT body FROM docs WHERE coll='assets'")]
    assert all(name.endswith(f"of block {applied}") for name in names)
    conn.close()


async def test_an_index_built_under_another_schema_or_mapping_is_built_again(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE docs (seq INTEGER PRIMARY KEY, coll TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL);
        CREATE UNIQUE INDEX docs_key ON docs (coll, id);
        CREATE TABLE fields (fid INTEGER PRIMARY KEY, coll TEXT, path TEXT, kind TEXT, UNIQUE (coll, path));
        CREATE TABLE postings (fid, term, doc, tf, PRIMARY KEY (fid, term, doc)) WITHOUT ROWID;
        CREATE TABLE lengths (fid, doc, len, PRIMARY KEY (fid, doc)) WITHOUT ROWID;
        CREATE TABLE field_stats (fid INTEGER PRIMARY KEY, doc_count INTEGER, sum_len INTEGER);
        PRAGMA user_version = 1;
        """
    )
    body = {"id": "did:op:a", "metadata": {"name": "Ocean weather", "additionalInformation": {"x": "free"}}}
    conn.execute("INSERT INTO docs (coll, id, body) VALUES ('assets', 'did:op:a', ?)", (json.dumps(body),))
    conn.commit()
    conn.close()

    async def names(query: dict[str, object]) -> list[str]:
        s = SqliteStore(path)
        await s.open()
        found = await s.search(Collection.ASSETS, {"query": query})
        await s.close()
        return [h["_id"] for h in found["hits"]["hits"]]

    assert await names({"match": {"metadata.name": "weather"}}) == ["did:op:a"]  # version 1 file: index rebuilt
    assert await names({"exists": {"field": "metadata.additionalInformation.x"}}) == []

    conn = sqlite3.connect(path)
    (fid,) = conn.execute("SELECT fid FROM fields WHERE path = 'metadata.name'").fetchone()
    conn.execute("INSERT INTO postings VALUES (?, 'stale', 1, 1, 2)", (fid,))  # as if indexed under other rules
    conn.execute("UPDATE meta SET value = 'built under another asset mapping'")
    conn.commit()
    conn.close()
    assert await names({"match": {"metadata.name": "stale"}}) == []
    assert await names({"match": {"metadata.name": "ocean"}}) == ["did:op:a"]
