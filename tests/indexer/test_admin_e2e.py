"""Operator commands on a real indexed chain: purge a chain, index it again from the start or from a block."""

from __future__ import annotations

from pathlib import Path

from aquarius.admin import purge_chain, rewind_chain
from aquarius.config import Settings
from aquarius.devenv.publisher import encode_metadata
from aquarius.store.base import Collection, Doc
from tests.chain.fixtures import Chain
from tests.indexer.harness import indexed_to, indexer_settings, running_indexer
from tests.indexer.test_metadata_e2e import ddo_for
from tests.store.backends import sqlite_store


async def _index(settings: Settings, head: int) -> dict[str, Doc | None]:
    async with sqlite_store(settings.sqlite_path) as store:
        async with running_indexer(settings, store) as runtime:
            await indexed_to(runtime, head)
        found = await store.search(Collection.ASSETS, {"query": {"match_all": {}}, "size": 100})
        ids = [h["_id"] for h in found["hits"]["hits"]]
        return await store.mget(Collection.ASSETS, ids)


async def test_purge_then_reindex_from_start_and_from_a_block(chain: Chain, tmp_path: Path) -> None:
    pub = chain.publisher
    first = pub.create_asset("first", "F")
    pub.set_metadata(first.nft, encode_metadata(ddo_for(first.did, first.nft, "first asset", first.datatoken)))
    middle = chain.w3.eth.block_number + 1
    second = pub.create_asset("second", "S")
    pub.set_metadata(second.nft, encode_metadata(ddo_for(second.did, second.nft, "second asset", second.datatoken)))
    pub.start_order(second.datatoken)
    pub.start_order(second.datatoken)
    head = chain.w3.eth.block_number
    settings = indexer_settings(chain, tmp_path / "address.json", sqlite_path=tmp_path / "store.sqlite")

    indexed = await _index(settings, head)
    assert set(indexed) == {first.did, second.did}
    assert (indexed[second.did] or {})["stats"]["orders"] == 2

    removed = await purge_chain(settings, 8996)
    assert removed["assets"] == 2 and removed["orders"] == 2
    async with sqlite_store(settings.sqlite_path) as store:
        assert await store.cursor(8996) is None
        assert (await store.search(Collection.ASSETS, {"query": {"match_all": {}}}))["hits"]["total"]["value"] == 0

    await rewind_chain(settings, 8996, 0)
    assert await _index(settings, head) == indexed

    # applying a range again changes nothing: orders are not counted twice, no update is undone
    await rewind_chain(settings, 8996, middle)
    async with sqlite_store(settings.sqlite_path) as store:
        cursor = await store.cursor(8996)
        assert cursor is not None and cursor.number == middle - 1
    assert await _index(settings, head) == indexed
