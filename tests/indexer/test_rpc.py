"""The RPC client against a real node (through the proxy, which counts what goes over the wire)."""

from __future__ import annotations

import itertools

import aiohttp
import pytest
from web3 import Web3

from indexer.rpc import RpcClient, RpcSettings
from indexer.rpc_errors import RangeTooLarge, RpcError
from tests.faults.fixtures import BusyChain
from tests.faults.proxy import Fault, FaultKind, FaultProxy

FAST = RpcSettings(timeout=2.0, attempts=3, backoff_base=0.01, backoff_cap=0.02)


async def test_batch_sends_one_http_request_for_many_calls(proxy: FaultProxy, busy_chain: BusyChain) -> None:
    numbers = list(range(100, 160))
    async with RpcClient([proxy.url], FAST) as client:
        blocks = await client.get_blocks(numbers)
    assert proxy.stats.requests == 1
    assert proxy.stats.calls["eth_getBlockByNumber"] == len(numbers)

    assert [b.number for b in blocks] == numbers
    for block in blocks:
        expected = busy_chain.w3.eth.get_block(block.number)
        assert block.hash == expected["hash"].to_0x_hex()
        assert block.parent_hash == expected["parentHash"].to_0x_hex()
        assert block.timestamp == expected["timestamp"]
    assert all(b.parent_hash == a.hash for a, b in itertools.pairwise(blocks))


async def test_long_batches_are_split_by_max_batch(proxy: FaultProxy) -> None:
    async with RpcClient([proxy.url], RpcSettings(max_batch=16)) as client:
        blocks = await client.get_blocks(list(range(1, 41)))
    assert [b.number for b in blocks] == list(range(1, 41))
    assert proxy.stats.requests == 3


async def test_batch_surfaces_errors_per_item(proxy: FaultProxy, busy_chain: BusyChain) -> None:
    ocean = busy_chain.deployment.ocean
    total_supply, unknown_selector = "0x18160ddd", "0xdeadbeef"
    async with RpcClient([proxy.url], FAST) as client:
        answers = await client.batch([("eth_blockNumber", []), ("no_such_method", []), ("eth_chainId", [])])
        calls = await client.batch_call([(ocean, total_supply, "latest"), (ocean, unknown_selector, "latest")])

    assert int(answers[0], 16) == busy_chain.head
    assert isinstance(answers[1], RpcError) and answers[1].code == -32601
    assert answers[2] == "0x2324"
    assert int.from_bytes(calls[0], "big") == 10**24  # the deployment minted 1e24 OCEAN
    assert isinstance(calls[1], RpcError) and "revert" in calls[1].message
    assert proxy.stats.requests == 2  # nothing retried


async def test_node_errors_are_raised_at_once_not_retried(proxy: FaultProxy, busy_chain: BusyChain) -> None:
    async with RpcClient([proxy.url], FAST) as client:
        with pytest.raises(RpcError) as caught:
            await client.call(busy_chain.deployment.ocean, "0xdeadbeef")
    assert caught.value.code == 3
    assert proxy.stats.requests == 1


async def test_oversized_log_ranges_raise_range_too_large(proxy: FaultProxy) -> None:
    proxy.max_log_range = 10
    async with RpcClient([proxy.url], FAST) as client:
        with pytest.raises(RangeTooLarge) as caught:
            await client.get_logs(0, 10)
        assert caught.value.message == "query returned more than 10000 results"
        assert len(await client.get_logs(1, 10)) > 0

        proxy.inject(Fault(FaultKind.STATUS, status=413), method="eth_getLogs")
        with pytest.raises(RangeTooLarge):
            await client.get_logs(1, 2)
    assert proxy.stats.calls["eth_getLogs"] == 3


async def test_transactions_and_receipts(proxy: FaultProxy, busy_chain: BusyChain) -> None:
    asset = busy_chain.assets[-1]
    async with RpcClient([proxy.url], FAST) as client:
        tx = await client.get_transaction(asset.tx_hash)
        receipts = await client.get_receipts([a.tx_hash for a in busy_chain.assets[-3:]])
        with pytest.raises(RpcError, match="not found"):
            await client.get_receipt("0x" + "ab" * 32)

    assert tx.hash == asset.tx_hash and tx.block_number == asset.block
    assert tx.sender == busy_chain.deployment.owner
    assert tx.to == Web3.to_checksum_address(busy_chain.deployment.erc721_factory)
    assert [r.transaction_hash for r in receipts] == [a.tx_hash for a in busy_chain.assets[-3:]]
    assert all(r.status == 1 and r.logs for r in receipts)
    assert {lg.address for lg in receipts[-1].logs} >= {asset.nft, asset.datatoken}
    assert proxy.stats.requests == 3


async def test_a_shared_session_is_left_open_and_only_http_urls_are_taken(proxy: FaultProxy) -> None:
    async with aiohttp.ClientSession() as session:
        async with RpcClient([proxy.url], FAST, session=session) as client:
            assert await client.chain_id() == 8996
        assert not session.closed
    with pytest.raises(ValueError, match="HTTP"):
        RpcClient(["ws://127.0.0.1:8546"])
    with pytest.raises(ValueError):
        RpcClient([])
