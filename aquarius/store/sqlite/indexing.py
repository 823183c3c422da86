"""Keeping the inverted index in step with the documents: one call per document written or deleted, inside the
caller's transaction."""

from __future__ import annotations

import sqlite3
from collections import Counter
from typing import Any

from aquarius.store.sqlite.analysis import tokenize
from aquarius.store.sqlite.mapping import (
    Field,
    Kind,
    coerce,
    disabled_objects,
    dynamic_kind,
    explicit_fields,
    leaves,
)

KEYWORD_SUFFIX = ".keyword"


class FieldRegistry:
    """The mapping as it stands: every field seen so far per collection, cached from the `fields` table."""

    def __init__(self) -> None:
        self._fields: dict[tuple[str, str], Field] = {}

    def load(self, conn: sqlite3.Connection) -> None:
        self._fields = {
            (coll, path): Field(fid, coll, path, Kind(kind))
            for fid, coll, path, kind in conn.execute("SELECT fid, coll, path, kind FROM fields")
        }

    def get(self, collection: str, path: str) -> Field | None:
        return self._fields.get((collection, path))

    def in_collection(self, collection: str) -> list[Field]:
        return [f for (coll, _), f in self._fields.items() if coll == collection]

    def _create(self, conn: sqlite3.Connection, collection: str, path: str, kind: Kind) -> Field:
        cur = conn.execute("INSERT INTO fields (coll, path, kind) VALUES (?, ?, ?)", (collection, path, kind.value))
        assert cur.lastrowid is not None
        field = Field(cur.lastrowid, collection, path, kind)
        self._fields[(collection, path)] = field
        return field

    def resolve(self, conn: sqlite3.Connection, collection: str, path: str, value: Any) -> Field | None:
        """The field `path` indexes into, mapping it (and its `.keyword` sub-field) on first sight."""
        known = self._fields.get((collection, path))
        if known is not None:
            return known
        explicit = explicit_fields(collection)
        kind = explicit.get(path) or dynamic_kind(value)
        if kind is None:
            return None
        field = self._create(conn, collection, path, kind)
        keyword = path + KEYWORD_SUFFIX
        if explicit.get(keyword) is Kind.KEYWORD or (path not in explicit and kind is Kind.TEXT):
            self._create(conn, collection, keyword, Kind.KEYWORD)
        return field


def _field_values(
    conn: sqlite3.Connection, registry: FieldRegistry, collection: str, doc: dict[str, Any]
) -> dict[int, tuple[Counter[Any], int]]:
    """fid -> (term frequencies, field length) for one document."""
    out: dict[int, tuple[Counter[Any], int]] = {}

    def add(field: Field, value: Any) -> None:
        terms, length = out.get(field.fid, (Counter(), 0))
        if field.kind is Kind.TEXT:
            tokens = tokenize(coerce(Kind.TEXT, value))
            terms.update(tokens)
            out[field.fid] = (terms, length + len(tokens))
            return
        stored = coerce(field.kind, value)
        if stored is None:
            return
        terms[stored] = 1
        out[field.fid] = (terms, len(terms))

    for path, value in leaves(doc, disabled_objects(collection)):
        field = registry.resolve(conn, collection, path, value)
        if field is None:
            continue
        add(field, value)
        keyword = registry.get(collection, path + KEYWORD_SUFFIX)
        if keyword is not None and field.kind is not Kind.KEYWORD:
            add(keyword, value)
    return out


def index_document(
    conn: sqlite3.Connection, registry: FieldRegistry, collection: str, seq: int, doc: dict[str, Any]
) -> None:
    values = _field_values(conn, registry, collection, doc)
    conn.executemany(
        "INSERT INTO postings (fid, term, doc, tf) VALUES (?, ?, ?, ?)",
        [(fid, term, seq, tf) for fid, (terms, _) in values.items() for term, tf in terms.items()],
    )
    conn.executemany(
        "INSERT INTO lengths (fid, doc, len) VALUES (?, ?, ?)", [(fid, seq, n) for fid, (_, n) in values.items()]
    )
    conn.executemany(
        "INSERT INTO field_stats (fid, doc_count, sum_len) VALUES (?, ?, ?) ON CONFLICT (fid) DO UPDATE SET "
        "doc_count = doc_count + excluded.doc_count, sum_len = sum_len + excluded.sum_len",
        [(fid, 1 if n else 0, n) for fid, (_, n) in values.items()],
    )


def unindex_document(conn: sqlite3.Connection, seq: int) -> None:
    lengths = conn.execute("SELECT fid, len FROM lengths WHERE doc = ?", (seq,)).fetchall()
    conn.executemany(
        "UPDATE field_stats SET doc_count = doc_count - ?, sum_len = sum_len - ? WHERE fid = ?",
        [(1 if n else 0, n, fid) for fid, n in lengths],
    )
    conn.execute("DELETE FROM postings WHERE doc = ?", (seq,))
    conn.execute("DELETE FROM lengths WHERE doc = ?", (seq,))
