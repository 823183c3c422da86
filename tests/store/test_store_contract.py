"""The store contract every backend must keep: block application, cursor, journaled undo, search basics."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from aquarius.devenv.elasticsearch import ElasticsearchNode
from aquarius.store.base import BadQuery, BlockEffects, BlockRef, Collection, Store, Write
from aquarius.store.elasticsearch import ElasticsearchStore
from tests.store.backends import elasticsearch_store

CHAIN = 8996


@pytest.fixture(params=["elasticsearch"])
async def store(request: pytest.FixtureRequest, es: ElasticsearchNode) -> AsyncIterator[Store]:
    async with elasticsearch_store(es) as opened:
        yield opened


def block(number: int, *writes: Write, chain: int = CHAIN) -> BlockEffects:
    return BlockEffects(chain, number, f"0x{number:064x}", f"0x{number - 1:064x}", 1_700_000_000 + number, list(writes))


def asset(name: str, **extra: object) -> Write:
    return Write(Collection.ASSETS, "did:op:1", {"metadata": {"name": name}, **extra})


async def test_apply_blocks_moves_cursor_and_records_hashes(store: Store) -> None:
    assert await store.cursor(CHAIN) is None
    await store.apply_blocks(CHAIN, [block(10, asset("v1")), block(11), block(12, asset("v2"))])
    await store.refresh()
    assert await store.cursor(CHAIN) == BlockRef(12, f"0x{12:064x}")
    assert [b.number for b in await store.recent_blocks(CHAIN, 2)] == [12, 11]
    assert (await store.get(Collection.ASSETS, "did:op:1")) == {"metadata": {"name": "v2"}}
    assert await store.cursor(CHAIN + 1) is None


async def test_reapplying_blocks_after_a_crash_changes_nothing(store: Store) -> None:
    await store.apply_blocks(CHAIN, [block(1, asset("v1"))])
    batch = [block(2, asset("v2")), block(3, asset("v3"))]
    await store.apply_blocks(CHAIN, batch)
    await store.apply_blocks(CHAIN, batch)  # as after a crash before the cursor was known to have moved
    await store.refresh()
    assert (await store.get(Collection.ASSETS, "did:op:1")) == {"metadata": {"name": "v3"}}
    await store.rollback(CHAIN, BlockRef(1, f"0x{1:064x}"))
    assert (await store.get(Collection.ASSETS, "did:op:1")) == {"metadata": {"name": "v1"}}


async def test_rollback_restores_every_document_and_the_cursor(store: Store) -> None:
    other = Write(Collection.ORDERS, "order-1", {"did": "did:op:1"})
    await store.apply_blocks(CHAIN, [block(5, asset("created"))])
    await store.apply_blocks(
        CHAIN,
        [
            block(6, asset("updated"), other),
            block(7, Write(Collection.ASSETS, "did:op:1", None), asset("recreated")),
            block(8, Write(Collection.ORDERS, "order-1", None)),
        ],
    )
    await store.apply_blocks(CHAIN + 1, [block(6, Write(Collection.ASSETS, "did:op:other", {"x": 1}), chain=CHAIN + 1)])
    await store.refresh()

    await store.rollback(CHAIN, BlockRef(6, f"0x{6:064x}"))
    assert (await store.get(Collection.ASSETS, "did:op:1")) == {"metadata": {"name": "updated"}}
    assert (await store.get(Collection.ORDERS, "order-1")) == {"did": "did:op:1"}
    assert await store.cursor(CHAIN) == BlockRef(6, f"0x{6:064x}")
    assert [b.number for b in await store.recent_blocks(CHAIN, 10)] == [6, 5]

    await store.rollback(CHAIN, BlockRef(4, f"0x{4:064x}"))
    assert await store.get(Collection.ASSETS, "did:op:1") is None
    assert await store.get(Collection.ORDERS, "order-1") is None
    # the other chain's effects are untouched
    assert (await store.get(Collection.ASSETS, "did:op:other")) == {"x": 1}
    assert await store.cursor(CHAIN + 1) == BlockRef(6, f"0x{6:064x}")


async def test_prune_forgets_old_blocks_only(store: Store) -> None:
    await store.apply_blocks(CHAIN, [block(n, asset(f"v{n}")) for n in range(1, 6)])
    await store.prune(CHAIN, 4)
    await store.refresh()
    assert [b.number for b in await store.recent_blocks(CHAIN, 10)] == [5, 4]
    await store.rollback(CHAIN, BlockRef(4, f"0x{4:064x}"))
    assert (await store.get(Collection.ASSETS, "did:op:1")) == {"metadata": {"name": "v4"}}


async def test_mget_and_write(store: Store) -> None:
    await store.write([Write(Collection.STATES, "a", {"valid": True}), Write(Collection.STATES, "b", {"valid": False})])
    await store.write([Write(Collection.STATES, "b", None), Write(Collection.STATES, "never-existed", None)])
    assert await store.mget(Collection.STATES, ["a", "b", "c"]) == {"a": {"valid": True}, "b": None, "c": None}
    assert await store.mget(Collection.STATES, []) == {}


async def test_search_answers_in_elasticsearch_shape_with_the_logical_index_name(store: Store) -> None:
    await store.apply_blocks(CHAIN, [block(1, asset("Weather Berlin"))])
    await store.refresh()
    body = {"query": {"bool": {"filter": [{"term": {"_index": "aquarius"}}, {"match": {"metadata.name": "berlin"}}]}}}
    found = await store.search(Collection.ASSETS, body)
    assert found["hits"]["total"] == {"value": 1, "relation": "eq"}
    assert [(h["_index"], h["_id"]) for h in found["hits"]["hits"]] == [("aquarius", "did:op:1")]
    elsewhere = {"query": {"term": {"_index": "another-index"}}}
    assert (await store.search(Collection.ASSETS, elsewhere))["hits"]["total"]["value"] == 0


async def test_malformed_query_is_a_bad_query(store: Store) -> None:
    with pytest.raises(BadQuery):
        await store.search(Collection.ASSETS, {"query": {"range": {"nft.state": {"gt": "not-a-number"}}}})


async def test_elasticsearch_reads_pre_block_versions_after_a_crash_before_the_cursor(es: ElasticsearchNode) -> None:
    """Without transactions, a crash after the effects of a batch but before its cursor leaves later versions in
    place; reading for a re-run must give the versions from before each block, from the journal."""
    async with elasticsearch_store(es) as store:
        await store.apply_blocks(CHAIN, [block(1, asset("v1"))])
        await store.apply_blocks(CHAIN, [block(2, asset("v2")), block(3, asset("v3"))])
        # what a crash between the effects and the cursor of the second batch leaves behind
        crashed = {"chain_id": CHAIN, "last_block": 1, "last_hash": f"0x{1:064x}", "pending_to": 3}
        await store.write([Write(Collection.CHAINS, str(CHAIN), crashed)])

    async with elasticsearch_store(es) as restarted:
        assert await restarted.cursor(CHAIN) == BlockRef(1, f"0x{1:064x}")
        assert await restarted.read_for_block(CHAIN, 2, Collection.ASSETS, ["did:op:1"]) == {
            "did:op:1": {"metadata": {"name": "v1"}}
        }
        assert await restarted.read_for_block(CHAIN, 3, Collection.ASSETS, ["did:op:1"]) == {
            "did:op:1": {"metadata": {"name": "v2"}}
        }
        assert await restarted.read_for_block(CHAIN, 4, Collection.ASSETS, ["did:op:1"]) == {
            "did:op:1": {"metadata": {"name": "v3"}}
        }


async def test_a_range_writes_each_document_once_and_still_undoes_block_by_block(es: ElasticsearchNode) -> None:
    def order(state: str) -> Write:
        return Write(Collection.ORDERS, "order-1", {"state": state})

    async with elasticsearch_store(es) as store:
        assert isinstance(store, ElasticsearchStore)
        await store.apply_blocks(CHAIN, [block(1, order("a")), block(2, order("b")), block(3, order("c"))])
        found = await store.client.get(index=store.alias(Collection.ORDERS), id="order-1")
        assert found["_source"] == {"state": "c"} and found["_version"] == 1
        await store.rollback(CHAIN, BlockRef(2, f"0x{2:064x}"))
        assert await store.get(Collection.ORDERS, "order-1") == {"state": "b"}
        await store.rollback(CHAIN, BlockRef(1, f"0x{1:064x}"))
        assert await store.get(Collection.ORDERS, "order-1") == {"state": "a"}
