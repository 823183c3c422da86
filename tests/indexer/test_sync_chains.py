"""Two chains in one process and one store: separate cursors and state, each asset under its own chain."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aquarius.config import ChainConfig, Settings
from aquarius.store.base import BlockRef, Collection
from indexer.daemon import build_chain, run_chains
from tests.chain.fixtures import Chain
from tests.indexer.harness import INDEXER_KEY, publish_assets
from tests.store.backends import sqlite_store


async def test_two_chains_in_one_process(chain: Chain, second_chain: Chain, tmp_path: Path) -> None:
    published = {c.node.chain_id: (c, publish_assets(c, n)) for c, n in ((chain, 3), (second_chain, 2))}
    configs = []
    for c in (chain, second_chain):
        address_file = c.deployment.write_address_file(tmp_path / f"address-{c.node.chain_id}.json")
        configs.append(
            ChainConfig(
                chain_id=c.node.chain_id,
                rpc_urls=[c.node.url],
                start_block=c.deployment.start_block,
                poll_interval=0.05,
                address_file=address_file,
            )
        )
    settings = Settings(chains=configs, private_key=INDEXER_KEY)

    async with sqlite_store(tmp_path / "two.db") as store:
        runtimes = [build_chain(settings, config, store) for config in configs]
        stop = asyncio.Event()
        running = asyncio.create_task(run_chains(runtimes, stop))
        async with asyncio.timeout(60):
            for runtime in runtimes:
                await runtime.sync.wait_for_block(published[runtime.config.chain_id][0].w3.eth.block_number)
        stop.set()
        await running

        for chain_id, (c, assets) in published.items():
            head = c.w3.eth.get_block("latest")
            assert await store.cursor(chain_id) == BlockRef(head["number"], head["hash"].to_0x_hex())
            for i, asset in enumerate(assets):
                stored = await store.get(Collection.ASSETS, asset.did)
                assert stored is not None and stored["chainId"] == chain_id, asset.did
                assert stored["metadata"]["name"] == f"on {chain_id} #{i}"
                assert stored["nft"]["address"] == asset.nft
            found = await store.search(Collection.ASSETS, {"query": {"term": {"chainId": chain_id}}, "size": 100})
            assert {hit["_id"] for hit in found["hits"]["hits"]} == {a.did for a in assets}
        chains = await store.search(Collection.CHAINS, {"query": {"match_all": {}}})
        assert {hit["_id"] for hit in chains["hits"]["hits"]} == {"8996", "8997"}
