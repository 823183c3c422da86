"""The embedded store: SQLite with Elasticsearch's query semantics."""

from aquarius.store.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]
