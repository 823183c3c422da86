"""Elasticsearch search bodies answered from the inverted index."""

from __future__ import annotations

import sqlite3
from typing import Any

from aquarius.store.base import UnsupportedQuery
from aquarius.store.sqlite.indexing import FieldRegistry


class Searcher:
    def __init__(self, fields: FieldRegistry, asset_index_name: str) -> None:
        self.fields = fields
        self.asset_index_name = asset_index_name

    def search(self, conn: sqlite3.Connection, collection: str, body: dict[str, Any]) -> dict[str, Any]:
        raise UnsupportedQuery("search is not available yet")
