"""The tables of the embedded store: documents, and the inverted index kept beside them in the same file."""

from __future__ import annotations

import hashlib
import sqlite3

from aquarius.store.sqlite.mapping import ASSET_MAPPING_FILE

SCHEMA_VERSION = 2

_DOCUMENT_DDL = """
CREATE TABLE IF NOT EXISTS docs (
    seq INTEGER PRIMARY KEY,  -- insertion order: the tie-break Elasticsearch's index order gives
    coll TEXT NOT NULL,
    id TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS docs_key ON docs (coll, id);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

# A document's entries are derived from its body alone, so they are removed by primary key after deriving them
# again: no index by document to maintain on every insert.
_INDEX_DDL = """
CREATE TABLE IF NOT EXISTS fields (
    fid INTEGER PRIMARY KEY,
    coll TEXT NOT NULL,
    path TEXT NOT NULL,
    kind TEXT NOT NULL,
    UNIQUE (coll, path)
);
-- term has no declared type on purpose: tokens stay text, numbers stay numbers (no affinity conversion);
-- len is the field's length in the document (tokens for text, distinct values otherwise): BM25 norms
CREATE TABLE IF NOT EXISTS postings (
    fid INTEGER NOT NULL,
    term NOT NULL,
    doc INTEGER NOT NULL,
    tf INTEGER NOT NULL,
    len INTEGER NOT NULL,
    PRIMARY KEY (fid, term, doc)
) WITHOUT ROWID;
-- text fields a document has without a single token: `exists` still matches them
CREATE TABLE IF NOT EXISTS empty_text (
    fid INTEGER NOT NULL,
    doc INTEGER NOT NULL,
    PRIMARY KEY (fid, doc)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS field_stats (
    fid INTEGER PRIMARY KEY,
    doc_count INTEGER NOT NULL,  -- documents with at least one term, as BM25 counts them
    sum_len INTEGER NOT NULL
);
"""
INDEX_TABLES = ("fields", "postings", "empty_text", "field_stats")
_VERSION_1_INDEX_TABLES = ("fields", "postings", "lengths", "field_stats")


def create_schema(conn: sqlite3.Connection) -> None:
    """Creates the tables; a version 1 file keeps its documents and loses its index, which is then rebuilt."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version not in (0, 1, SCHEMA_VERSION):
        raise RuntimeError(f"embedded store file has schema version {version}, this build reads {SCHEMA_VERSION}")
    if version == 1:
        for table in _VERSION_1_INDEX_TABLES:
            conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.executescript(_DOCUMENT_DDL + _INDEX_DDL)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def index_fingerprint() -> str:
    """What the index was built from: a file built under another schema or asset mapping is indexed again."""
    digest = hashlib.sha256(ASSET_MAPPING_FILE.read_bytes())
    return f"{SCHEMA_VERSION}:{digest.hexdigest()}"


def stored_fingerprint(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = 'index'").fetchone()
    return None if row is None else str(row[0])


def store_fingerprint(conn: sqlite3.Connection, fingerprint: str) -> None:
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('index', ?)", (fingerprint,))
