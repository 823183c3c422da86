"""Every store backend, opened empty, for tests that must hold for all of them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from aquarius.devenv.elasticsearch import ElasticsearchNode
from aquarius.store.base import Store
from aquarius.store.elasticsearch import ElasticsearchStore
from aquarius.store.sqlite import SqliteStore


@asynccontextmanager
async def elasticsearch_store(node: ElasticsearchNode, index_name: str = "aquarius") -> AsyncIterator[Store]:
    store = ElasticsearchStore(node.url, index_name=index_name, basic_auth=node.auth, replicas=0)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


@asynccontextmanager
async def sqlite_store(path: Path, index_name: str = "aquarius") -> AsyncIterator[Store]:
    store = SqliteStore(path, asset_index_name=index_name)
    await store.open()
    try:
        yield store
    finally:
        await store.close()
