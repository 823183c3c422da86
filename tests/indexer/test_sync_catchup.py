"""Catch-up equals live: the same history indexed from scratch gives the same store as following it live."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from aquarius.devenv.elasticsearch import ElasticsearchNode
from aquarius.store.base import Collection, Store
from tests.indexer.conftest import History
from tests.indexer.harness import assert_same_store, dump, indexed_to, indexer_settings, running_indexer
from tests.store.backends import elasticsearch_store, sqlite_store


@pytest.fixture(params=["sqlite", "elasticsearch"])
async def fresh_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[str, Store]]:
    if request.param == "sqlite":
        async with sqlite_store(tmp_path / "catchup.db") as store:
            yield request.param, store
    else:
        node: ElasticsearchNode = request.getfixturevalue("es")
        async with elasticsearch_store(node, "history_catchup") as store:
            yield request.param, store


async def test_catch_up_equals_live(history: History, fresh_store: tuple[str, Store], tmp_path: Path) -> None:
    kind, store = fresh_store
    assert history.head - history.chain.deployment.start_block >= 2000
    assert history.live_events[kind] >= 500

    settings = indexer_settings(history.chain, tmp_path / "address.json")
    # parts much smaller than the history: each is prepared while the one before it is written
    async with running_indexer(settings, store, part_logs=97) as runtime:
        await indexed_to(runtime, history.head)
        assert runtime.sync.status.events == history.live_events[kind]

    caught_up = await dump(store)
    assert len(caught_up[Collection.STATES]) > 100  # the batch-published assets' DDOs are rejections, recorded
    assert set(caught_up[Collection.ASSETS]) == {asset.did for asset in history.assets}
    assert_same_store(caught_up, history.live[kind])
