"""Keeping the inverted index in step with the documents, inside the caller's transaction. A document's entries
are a function of its body and the mapping, which only grows: removing a document derives them again from the
stored body and deletes them by key. Field statistics are summed in memory and written once per transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from functools import lru_cache
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
# (fid, term, doc, tf, field length)
Posting = tuple[int, Any, int, int, int]


class FieldRegistry:
    """The mapping as it stands: every field seen so far per collection, cached from the `fields` table."""

    def __init__(self) -> None:
        self._fields: dict[tuple[str, str], Field] = {}
        self._targets: dict[tuple[str, str], tuple[Field, ...]] = {}

    def load(self, conn: sqlite3.Connection) -> None:
        self._fields = {
            (coll, path): Field(fid, coll, path, Kind(kind))
            for fid, coll, path, kind in conn.execute("SELECT fid, coll, path, kind FROM fields")
        }
        self._targets = {}

    def get(self, collection: str, path: str) -> Field | None:
        return self._fields.get((collection, path))

    def in_collection(self, collection: str) -> list[Field]:
        return [f for (coll, _), f in self._fields.items() if coll == collection]

    def _create(self, conn: sqlite3.Connection, collection: str, path: str, kind: Kind) -> Field:
        cur = conn.execute("INSERT INTO fields (coll, path, kind) VALUES (?, ?, ?)", (collection, path, kind.value))
        assert cur.lastrowid is not None
        field = Field(cur.lastrowid, collection, path, kind)
        self._fields[(collection, path)] = field
        self._targets = {}  # a new `.keyword` sub-field can change where an existing path's values go
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

    def targets(self, conn: sqlite3.Connection, collection: str, path: str, value: Any) -> tuple[Field, ...]:
        """Every field a value at `path` is indexed into: its own and its `.keyword` sub-field."""
        key = (collection, path)
        found = self._targets.get(key)
        if found is not None:
            return found
        field = self.resolve(conn, collection, path, value)
        if field is None:
            return ()
        keyword = self._fields.get((collection, path + KEYWORD_SUFFIX))
        found = (field, keyword) if keyword is not None and field.kind is not Kind.KEYWORD else (field,)
        self._targets[key] = found
        return found


@lru_cache(maxsize=65_536)
def _tokens(text: str) -> tuple[str, ...]:
    # names, authors, endpoints and tags repeat across documents: analyse each distinct string once
    return tuple(tokenize(text))


class IndexWriter:
    def __init__(self, fields: FieldRegistry) -> None:
        self.fields = fields
        self._stats: dict[int, list[int]] = {}  # fid -> [document count delta, length sum delta]

    def _terms(
        self, conn: sqlite3.Connection, collection: str, doc: dict[str, Any]
    ) -> dict[int, tuple[Kind, dict[Any, int]]]:
        """fid -> (kind, term -> frequency) for one document; a present text field without tokens has no terms."""
        out: dict[int, tuple[Kind, dict[Any, int]]] = {}
        for path, value in leaves(doc, disabled_objects(collection)):
            for field in self.fields.targets(conn, collection, path, value):
                entry = out.get(field.fid)
                if entry is None:
                    entry = out[field.fid] = (field.kind, {})
                terms = entry[1]
                if field.kind is Kind.TEXT:
                    for token in _tokens(value if isinstance(value, str) else coerce(Kind.TEXT, value)):
                        terms[token] = terms.get(token, 0) + 1
                    continue
                stored = coerce(field.kind, value)
                if stored is not None:
                    terms[stored] = 1
        return out

    def _entries(
        self, conn: sqlite3.Connection, collection: str, seq: int, doc: dict[str, Any], sign: int
    ) -> tuple[list[Posting], list[tuple[int, int]]]:
        postings: list[Posting] = []
        empty: list[tuple[int, int]] = []
        for fid, (kind, terms) in self._terms(conn, collection, doc).items():
            if not terms:
                if kind is Kind.TEXT:
                    empty.append((fid, seq))
                continue
            length = sum(terms.values()) if kind is Kind.TEXT else len(terms)
            postings.extend((fid, term, seq, tf, length) for term, tf in terms.items())
            stats = self._stats.get(fid)
            if stats is None:
                stats = self._stats[fid] = [0, 0]
            stats[0] += sign
            stats[1] += sign * length
        return postings, empty

    def add(self, conn: sqlite3.Connection, collection: str, seq: int, doc: dict[str, Any]) -> None:
        postings, empty = self._entries(conn, collection, seq, doc, 1)
        conn.executemany("INSERT INTO postings (fid, term, doc, tf, len) VALUES (?, ?, ?, ?, ?)", postings)
        if empty:
            conn.executemany("INSERT INTO empty_text (fid, doc) VALUES (?, ?)", empty)

    def remove(self, conn: sqlite3.Connection, collection: str, seq: int, doc: dict[str, Any]) -> None:
        """Removes the entries `add` made for this body under this seq."""
        postings, empty = self._entries(conn, collection, seq, doc, -1)
        conn.executemany("DELETE FROM postings WHERE fid = ? AND term = ? AND doc = ?", (p[:3] for p in postings))
        if empty:
            conn.executemany("DELETE FROM empty_text WHERE fid = ? AND doc = ?", empty)

    def flush(self, conn: sqlite3.Connection) -> None:
        """Writes the statistics of the transaction; call before COMMIT."""
        conn.executemany(
            "INSERT INTO field_stats (fid, doc_count, sum_len) VALUES (?, ?, ?) ON CONFLICT (fid) DO UPDATE SET "
            "doc_count = doc_count + excluded.doc_count, sum_len = sum_len + excluded.sum_len",
            _stat_rows(self._stats),
        )
        self._stats = {}

    def discard(self, conn: sqlite3.Connection) -> None:
        """After a ROLLBACK: the fields and statistics of the failed transaction are gone."""
        self._stats = {}
        self.fields.load(conn)


def _stat_rows(stats: dict[int, list[int]]) -> Iterator[tuple[int, int, int]]:
    for fid, (count, total) in stats.items():
        if count or total:
            yield fid, count, total
