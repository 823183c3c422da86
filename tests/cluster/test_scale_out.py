"""Scale-out as operated: a two-node Elasticsearch cluster (one replica per shard), two `aquarius index`
processes (one chain each) and two `aquarius serve` processes over the same indices.

After a mixed workload both APIs give the same answers and the store equals what one in-process indexer builds
from the same chains. Then the data node is killed while both indexers catch up: the cluster turns yellow,
nothing is lost, the indexers carry on and finish; an index that lived only on that node turns red and the
`/ready` of the API serving it answers 503 until the node is back."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from aquarius.devenv.elasticsearch import ElasticsearchCluster
from aquarius.devenv.publisher import encode_metadata
from aquarius.store.base import Collection, Store
from tests.chain.fixtures import Chain, start_ocean_chain
from tests.cluster.harness import ApiProcess, aquarius_process, cluster_store, serving, store_env
from tests.faults.proxy import Fault, FaultKind, FaultProxy
from tests.indexer.harness import (
    INDEXER_KEY,
    assert_same_store,
    dump,
    indexed_to,
    indexer_settings,
    running_indexer,
    valid_ddo,
)

CHAIN_IDS = (8996, 8997)
CHUNK = 20  # the proxies refuse wider log ranges: a catch-up is many small batches, each a store round
GAP = 40  # empty blocks between the workload's steps
CATCH_UP_TAIL = 400  # empty blocks after the second workload, so that the catch-up outlasts the node's loss
SLOW_LOGS = 0.3  # seconds each eth_getLogs takes during the catch-up


def _workload(chain: Chain, tag: str, tail: int = GAP) -> int:
    """Publish, update, change a state, order, with empty stretches between; returns the chain's head."""
    pub, chain_id = chain.publisher, chain.node.chain_id
    assets = []
    for i in range(4):
        asset = pub.create_asset(f"{tag} {i}", f"T{i}")
        pub.set_metadata(asset.nft, encode_metadata(valid_ddo(asset, f"{tag} asset {i}", chain_id), flags=i % 2))
        assets.append(asset)
        chain.node.rpc("anvil_mine", [hex(GAP)])
    pub.set_metadata(assets[0].nft, encode_metadata(valid_ddo(assets[0], f"{tag} asset 0 updated", chain_id)))
    pub.set_state(assets[1].nft, 4)
    pub.start_order(assets[2].datatoken)
    chain.node.rpc("anvil_mine", [hex(tail)])
    return chain.w3.eth.block_number


async def _cursors(store: Store) -> dict[int, int]:
    return {chain_id: (cursor.number if (cursor := await store.cursor(chain_id)) else -1) for chain_id in CHAIN_IDS}


async def _wait_cursors(
    store: Store, done: Callable[[dict[int, int]], bool], processes: list[asyncio.subprocess.Process]
) -> dict[int, int]:
    """Poll the cursors until `done(cursors)`; every indexer process must stay up meanwhile."""
    async with asyncio.timeout(90):
        while True:
            assert all(p.returncode is None for p in processes), "an indexer exited"
            cursors = await _cursors(store)
            if done(cursors):
                return cursors
            await asyncio.sleep(0.02)


async def _answers(api: ApiProcess, dids: list[str]) -> dict[str, Any]:
    """What an API answers for a DDO by id, a search and each chain's status."""
    answers: dict[str, Any] = {did: await api.get(f"/api/aquarius/assets/ddo/{did}") for did in dids}
    search = {
        "query": {"match": {"metadata.name": "asset"}},
        "sort": [{"chainId": "asc"}, {"nftAddress.keyword": "asc"}],
        "size": 100,
    }
    status, found = await api.post("/api/aquarius/assets/query", search)
    found.pop("took", None)
    answers["query"] = (status, found)
    for chain_id in CHAIN_IDS:
        answers[f"chain {chain_id}"] = await api.get(f"/api/aquarius/chains/status/{chain_id}")
    return answers


async def _same_answers(apis: list[ApiProcess], store: Store) -> dict[str, Any]:
    await store.refresh()
    dids = sorted((await dump(store))[Collection.ASSETS])
    first, second = [await _answers(api, dids) for api in apis]
    assert first == second
    assert first["query"][0] == 200 and first["query"][1]["hits"]["total"]["value"] > 0
    assert all(first[did][0] == 200 for did in dids)
    return first


def _pin_to_node(cluster: ElasticsearchCluster, index_name: str, node_name: str) -> None:
    status, _ = cluster.request(
        "PUT", f"/{index_name}*/_settings", {"index.routing.allocation.require._name": node_name}
    )
    assert status == 200
    cluster.wait_health("wait_for_status=green&wait_for_no_relocating_shards=true")


async def test_two_indexers_two_apis_on_a_two_node_cluster_survive_losing_the_data_node(
    es_cluster: ElasticsearchCluster, tmp_path: Path
) -> None:
    chains = list(await asyncio.gather(*(asyncio.to_thread(start_ocean_chain, c) for c in CHAIN_IDS)))
    try:
        async with AsyncExitStack() as stack:
            await _scenario(stack, es_cluster, chains, tmp_path)
    finally:
        for chain in chains:
            chain.node.stop()


async def _scenario(stack: AsyncExitStack, cluster: ElasticsearchCluster, chains: list[Chain], tmp: Path) -> None:
    data_node = cluster.nodes[1]
    shared = await stack.enter_async_context(cluster_store(cluster, "shared"))
    await stack.enter_async_context(cluster_store(cluster, "redprobe", replicas=0))
    _pin_to_node(cluster, "redprobe", "node-1")
    chain_configs = []
    proxies = []
    for chain in chains:
        proxy = await FaultProxy(chain.node.url).start()
        stack.push_async_callback(proxy.stop)
        proxy.max_log_range = CHUNK
        proxies.append(proxy)
        address_file = chain.deployment.write_address_file(tmp / f"address-{chain.node.chain_id}.json")
        chain_configs.append(
            {
                "chain_id": chain.node.chain_id,
                "rpc_urls": [proxy.url],
                "start_block": chain.deployment.start_block,
                "poll_interval": 0.05,
                "address_file": str(address_file),
            }
        )
    env = store_env(cluster, "shared")
    apis = [
        await stack.enter_async_context(
            serving({**env, "AQUARIUS_CHAINS": json.dumps(chain_configs)}, tmp / f"api{i}.log")
        )
        for i in range(2)
    ]
    probe_api = await stack.enter_async_context(serving(store_env(cluster, "redprobe"), tmp / "probe.log"))

    @asynccontextmanager
    async def indexers() -> AsyncIterator[list[asyncio.subprocess.Process]]:
        async with AsyncExitStack() as running:
            yield [
                await running.enter_async_context(
                    aquarius_process(
                        "index",
                        {
                            **env,
                            "AQUARIUS_CHAINS": json.dumps([config]),
                            "PRIVATE_KEY": INDEXER_KEY,
                            "BLOCKS_CHUNK_SIZE": str(CHUNK),
                        },
                        tmp / f"indexer-{config['chain_id']}.log",
                    )
                )
                for config in chain_configs
            ]

    # Live: both indexers follow their chains while the workload runs.
    async with indexers() as processes:
        heads = await asyncio.gather(*(asyncio.to_thread(_workload, chain, "live") for chain in chains))
        live_heads = dict(zip(CHAIN_IDS, heads, strict=True))
        await _wait_cursors(shared, lambda c: all(c[i] >= live_heads[i] for i in CHAIN_IDS), processes)
    await _same_answers(apis, shared)

    # Catch-up: more history while the indexers are down; the data node dies early in their catch-up.
    heads = await asyncio.gather(*(asyncio.to_thread(_workload, chain, "late", CATCH_UP_TAIL) for chain in chains))
    late_heads = dict(zip(CHAIN_IDS, heads, strict=True))
    for proxy in proxies:
        proxy.inject(Fault(FaultKind.DELAY, seconds=SLOW_LOGS), method="eth_getLogs", times=1_000_000)
    async with indexers() as processes:
        await _wait_cursors(shared, lambda c: all(c[i] > live_heads[i] for i in CHAIN_IDS), processes)
        await asyncio.to_thread(cluster.halt, data_node, signal.SIGKILL)
        after_kill = await _cursors(shared)
        assert all(after_kill[i] < late_heads[i] for i in CHAIN_IDS), f"caught up before the node died: {after_kill}"
        async with asyncio.timeout(30):  # the master promotes the lost primaries' replicas on the other node
            while (health := await shared.health()) != "yellow":
                assert health in ("green", "red"), health
                await asyncio.sleep(0.05)
        status, report = await probe_api.get("/ready")
        assert (status, report["store"], report["store_health"]) == (503, False, "red")

        await _wait_cursors(shared, lambda c: all(c[i] >= late_heads[i] for i in CHAIN_IDS), processes)
        assert not data_node.running and await shared.health() == "yellow"
        for api in apis:
            status, report = await api.get("/ready")
            assert (status, report["store_health"]) == (200, "yellow"), report
        during_outage = await _same_answers(apis, shared)

    await asyncio.to_thread(cluster.resume, data_node)
    status, report = await probe_api.get("/ready")
    assert (status, report["store_health"]) == (200, "green")
    assert await _same_answers(apis, shared) == during_outage

    async with cluster_store(cluster, "reference") as reference:
        runs = [indexer_settings(chain, tmp / f"reference-{chain.node.chain_id}.json") for chain in chains]
        async with running_indexer(runs[0], reference) as first, running_indexer(runs[1], reference) as second:
            await indexed_to(first, late_heads[CHAIN_IDS[0]])
            await indexed_to(second, late_heads[CHAIN_IDS[1]])
        expected = await dump(reference)
    actual = await dump(shared)
    assert {chain_id: actual[Collection.CHAINS][str(chain_id)]["last_block"] for chain_id in CHAIN_IDS} == late_heads
    assert len(actual[Collection.ASSETS]) == 16
    assert_same_store(actual, expected)
