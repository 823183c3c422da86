"""The history fetcher covers every block exactly once, in order, however the node splits and fails its ranges."""

from __future__ import annotations

import asyncio
import itertools
from contextlib import aclosing

import pytest
import pytest_asyncio

from indexer.events import handled_events
from indexer.fetcher import FetcherSettings, LogBatch, LogFetcher
from indexer.rpc import RpcClient, RpcSettings
from indexer.rpc_errors import RangeTooLarge, RpcUnavailable
from indexer.rpc_types import RawLog
from tests.faults.fixtures import BusyChain
from tests.faults.proxy import Fault, FaultKind, FaultProxy

FAST = RpcSettings(timeout=1.0, attempts=4, backoff_base=0.005, backoff_cap=0.02, cooldown=0.0)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def direct_logs(busy_chain: BusyChain) -> list[RawLog]:
    async with RpcClient([busy_chain.node.url]) as client:
        return await client.get_logs(0, busy_chain.head, topics=handled_events().topics())


def _fetcher(client: RpcClient, target: int, settings: FetcherSettings, start: int = 0) -> LogFetcher:
    return LogFetcher(client, topics=handled_events().topics(), start=start, target=target, settings=settings)


async def _fetch_all(url: str, start: int, target: int, settings: FetcherSettings) -> list[LogBatch]:
    async with RpcClient([url], FAST) as client:
        return [batch async for batch in _fetcher(client, target, settings, start)]


def _assert_partition(ranges: list[tuple[int, int]], start: int, target: int) -> None:
    ordered = sorted(ranges)
    assert ordered[0][0] == start and ordered[-1][1] == target
    assert all(a[1] + 1 == b[0] for a, b in itertools.pairwise(ordered)), "a gap or an overlap"
    assert all(first <= last for first, last in ordered)


async def test_every_block_once_and_in_order_across_adaptive_splits(
    proxy: FaultProxy, busy_chain: BusyChain, direct_logs: list[RawLog]
) -> None:
    proxy.max_log_range = 37
    settings = FetcherSettings(initial_range=100, max_range=400, read_ahead=3)
    batches = await _fetch_all(proxy.url, 0, busy_chain.head, settings)

    assert proxy.stats.refused_ranges > 0
    _assert_partition([(b.from_block, b.to_block) for b in batches], 0, busy_chain.head)
    assert [(b.from_block, b.to_block) for b in batches] == sorted((b.from_block, b.to_block) for b in batches)
    # on the wire too: the ranges the node answered cover each block exactly once
    _assert_partition(proxy.stats.log_ranges, 0, busy_chain.head)
    assert max(last - first + 1 for first, last in proxy.stats.log_ranges) <= 37

    logs = [lg for b in batches for lg in b.logs]
    assert logs == direct_logs
    assert all(a.position < b.position for a, b in itertools.pairwise(logs))

    w3 = busy_chain.w3
    for batch in batches:
        assert batch.last_hash == w3.eth.get_block(batch.to_block)["hash"].to_0x_hex()
        assert {lg.block_number for lg in batch.logs} <= batch.block_hashes.keys()
        assert all(batch.block_hashes[lg.block_number] == lg.block_hash for lg in batch.logs)


async def test_ranges_double_after_each_success_up_to_the_max(
    proxy: FaultProxy, busy_chain: BusyChain, direct_logs: list[RawLog]
) -> None:
    async with RpcClient([proxy.url], FAST) as client:
        settings = FetcherSettings(initial_range=4, max_range=64, read_ahead=1)
        fetcher = LogFetcher(
            client, topics=handled_events().topics(), start=0, target=busy_chain.head, settings=settings
        )
        logs = [lg async for batch in fetcher for lg in batch.logs]

    lengths = [last - first + 1 for first, last in proxy.stats.log_ranges]
    assert lengths[:5] == [4, 8, 16, 32, 64]
    assert max(lengths) == 64
    assert logs == direct_logs
    assert (fetcher.blocks_done, fetcher.logs_done) == (busy_chain.head + 1, len(direct_logs))
    assert fetcher.blocks_per_second > 0 and fetcher.logs_per_second > 0
    assert proxy.stats.requests == len(lengths)  # logs and the last header share one request per range


@pytest.mark.parametrize("read_ahead", [1, 4])
async def test_fetches_ahead_concurrently_yet_yields_in_order(
    proxy: FaultProxy, busy_chain: BusyChain, direct_logs: list[RawLog], read_ahead: int
) -> None:
    proxy.inject(Fault(FaultKind.DELAY, seconds=0.3), method="eth_getLogs")  # the first range comes last
    proxy.inject(Fault(FaultKind.DELAY, seconds=0.05), method="eth_getLogs", nth=2, times=1000)
    settings = FetcherSettings(initial_range=50, max_range=50, read_ahead=read_ahead)
    batches = await _fetch_all(proxy.url, 0, busy_chain.head, settings)

    assert proxy.stats.max_in_flight == read_ahead
    assert [b.from_block for b in batches] == list(range(0, busy_chain.head + 1, 50))
    assert [lg for b in batches for lg in b.logs] == direct_logs


async def test_no_log_lost_through_faults_and_range_limits(
    proxy: FaultProxy, busy_chain: BusyChain, direct_logs: list[RawLog]
) -> None:
    proxy.max_log_range = 90
    for nth, kind in zip(range(2, 60, 3), itertools.cycle([FaultKind.RESET, FaultKind.STATUS, FaultKind.TRUNCATE])):
        proxy.inject(Fault(kind, status=503), nth=nth)
    settings = FetcherSettings(initial_range=60, max_range=500, read_ahead=2)
    batches = await _fetch_all(proxy.url, 0, busy_chain.head, settings)

    assert sum(proxy.stats.faults.values()) >= 5 and proxy.stats.refused_ranges > 0
    _assert_partition([(b.from_block, b.to_block) for b in batches], 0, busy_chain.head)
    assert [lg for b in batches for lg in b.logs] == direct_logs


async def test_a_block_the_node_keeps_refusing_raises_after_every_batch_before_it(
    proxy: FaultProxy, busy_chain: BusyChain
) -> None:
    received: list[LogBatch] = []
    async with RpcClient([proxy.url], FAST) as client:
        settings = FetcherSettings(initial_range=100, max_range=100, read_ahead=1)
        fetcher = LogFetcher(
            client, topics=handled_events().topics(), start=0, target=busy_chain.head, settings=settings
        )
        with pytest.raises(RangeTooLarge):
            async for batch in fetcher:
                received.append(batch)
                proxy.max_log_range = 0  # from now on, even single blocks are refused

    assert [(b.from_block, b.to_block) for b in received] == [(0, 99)]
    assert fetcher.range_size == 1


async def test_a_range_the_node_keeps_timing_out_on_is_split(
    proxy: FaultProxy, busy_chain: BusyChain, direct_logs: list[RawLog]
) -> None:
    proxy.inject(Fault(FaultKind.HANG), method="eth_getLogs", times=2)  # both attempts at the first range
    async with RpcClient([proxy.url], RpcSettings(timeout=0.3, attempts=2, backoff_base=0.01)) as client:
        settings = FetcherSettings(initial_range=400, max_range=400, read_ahead=1)
        logs = [lg async for batch in _fetcher(client, busy_chain.head, settings) for lg in batch.logs]

    assert proxy.stats.faults[FaultKind.HANG] == 2
    assert proxy.stats.log_ranges[0] == (0, 199)  # the hung calls never reached the node
    assert logs == direct_logs


async def test_a_node_that_is_gone_is_not_split_for(proxy: FaultProxy, busy_chain: BusyChain) -> None:
    proxy.inject(Fault(FaultKind.STATUS, status=503), times=100)
    async with RpcClient([proxy.url], RpcSettings(attempts=2, backoff_base=0.01)) as client:
        settings = FetcherSettings(initial_range=400, max_range=400, read_ahead=1)
        with pytest.raises(RpcUnavailable):
            [batch async for batch in _fetcher(client, busy_chain.head, settings)]
    assert proxy.stats.requests == 2


async def test_closing_early_cancels_the_fetches_ahead(proxy: FaultProxy, busy_chain: BusyChain) -> None:
    proxy.inject(Fault(FaultKind.DELAY, seconds=0.05), method="eth_getLogs", times=1000)
    async with RpcClient([proxy.url], FAST) as client:
        settings = FetcherSettings(initial_range=20, max_range=20, read_ahead=4)
        fetcher = LogFetcher(
            client, topics=handled_events().topics(), start=0, target=busy_chain.head, settings=settings
        )
        async with aclosing(fetcher.batches()) as batches:
            async for _ in batches:
                break
        assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("getLogs")]
    assert fetcher.blocks_done == 20


async def test_an_empty_span_yields_nothing(proxy: FaultProxy) -> None:
    assert await _fetch_all(proxy.url, 10, 9, FetcherSettings()) == []
    assert proxy.stats.requests == 0
    with pytest.raises(ValueError):
        FetcherSettings(initial_range=10, max_range=5)
