"""The tables of the embedded store: documents, and the inverted index kept beside them in the same file."""

from __future__ import annotations

import sqlite3

SCHEMA_VERSION = 1

_DDL = """
CREATE TABLE IF NOT EXISTS docs (
    seq INTEGER PRIMARY KEY,  -- insertion order: the tie-break Elasticsearch's index order gives
    coll TEXT NOT NULL,
    id TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS docs_key ON docs (coll, id);
CREATE TABLE IF NOT EXISTS fields (
    fid INTEGER PRIMARY KEY,
    coll TEXT NOT NULL,
    path TEXT NOT NULL,
    kind TEXT NOT NULL,
    UNIQUE (coll, path)
);
-- term has no declared type on purpose: tokens stay text, numbers stay numbers (no affinity conversion)
CREATE TABLE IF NOT EXISTS postings (
    fid INTEGER NOT NULL,
    term NOT NULL,
    doc INTEGER NOT NULL,
    tf INTEGER NOT NULL,
    PRIMARY KEY (fid, term, doc)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS postings_doc ON postings (doc);
-- one row per field a document has; len = tokens (text) or distinct values (other kinds)
CREATE TABLE IF NOT EXISTS lengths (
    fid INTEGER NOT NULL,
    doc INTEGER NOT NULL,
    len INTEGER NOT NULL,
    PRIMARY KEY (fid, doc)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS lengths_doc ON lengths (doc);
CREATE TABLE IF NOT EXISTS field_stats (
    fid INTEGER PRIMARY KEY,
    doc_count INTEGER NOT NULL,  -- documents with at least one term, as BM25 counts them
    sum_len INTEGER NOT NULL
);
"""


def create_schema(conn: sqlite3.Connection) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version not in (0, SCHEMA_VERSION):
        raise RuntimeError(f"embedded store file has schema version {version}, this build reads {SCHEMA_VERSION}")
    conn.executescript(_DDL)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
