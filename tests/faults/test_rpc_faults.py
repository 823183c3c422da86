"""The RPC client through a misbehaving network: it loses nothing and gives up only after its retries."""

from __future__ import annotations

import asyncio
import time

import pytest
import pytest_asyncio

from indexer.rpc import RpcClient, RpcSettings
from indexer.rpc_errors import RpcUnavailable
from indexer.rpc_types import RawLog
from tests.faults.fixtures import BusyChain
from tests.faults.proxy import Fault, FaultKind, FaultProxy

FAST = RpcSettings(timeout=0.5, attempts=4, backoff_base=0.01, backoff_cap=0.05, cooldown=0.0)
CHUNK = 40


async def _logs_in_chunks(client: RpcClient, head: int) -> list[RawLog]:
    logs: list[RawLog] = []
    for start in range(0, head + 1, CHUNK):
        logs += await client.get_logs(start, min(start + CHUNK - 1, head))
    return logs


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def direct_logs(busy_chain: BusyChain) -> list[RawLog]:
    async with RpcClient([busy_chain.node.url]) as client:
        logs = await client.get_logs(0, busy_chain.head)
    assert len(logs) >= 300 and len({lg.block_number for lg in logs}) >= 40
    return logs


@pytest.mark.parametrize(
    "fault",
    [
        Fault(FaultKind.DELAY, seconds=0.05),
        Fault(FaultKind.HANG),
        Fault(FaultKind.STATUS, status=429),
        Fault(FaultKind.STATUS, status=503),
        Fault(FaultKind.RESET),
        Fault(FaultKind.TRUNCATE),
    ],
    ids=["delay", "timeout", "http429", "http503", "reset", "truncated"],
)
async def test_no_log_lost_through_a_fault(
    proxy: FaultProxy, busy_chain: BusyChain, direct_logs: list[RawLog], fault: Fault
) -> None:
    # retries count too: requests 2, 7, 12, ... fail once each, request 4 fails and so does its retry
    for nth in range(2, busy_chain.head // CHUNK, 5):
        proxy.inject(fault, method="eth_getLogs", nth=nth)
    proxy.inject(fault, method="eth_getLogs", nth=4, times=2)
    async with RpcClient([proxy.url], FAST) as client:
        logs = await _logs_in_chunks(client, busy_chain.head)

    assert proxy.stats.faults[fault.kind] == len(range(2, busy_chain.head // CHUNK, 5)) + 2
    assert logs == direct_logs


async def test_no_log_lost_while_the_only_url_is_down_for_a_while(
    proxy: FaultProxy, busy_chain: BusyChain, direct_logs: list[RawLog]
) -> None:
    settings = RpcSettings(timeout=0.5, attempts=1000, backoff_base=0.005, backoff_cap=0.01, cooldown=0.0)
    async with RpcClient([proxy.url], settings) as client:
        await proxy.go_down()
        fetching = asyncio.create_task(_logs_in_chunks(client, busy_chain.head))
        deadline = time.monotonic() + 10
        while client.health()[0].failures < 3:  # refused a few times, still retrying
            assert time.monotonic() < deadline and not fetching.done()
            await asyncio.sleep(0.005)
        assert proxy.stats.requests == 0
        await proxy.come_back()
        logs = await fetching

    assert logs == direct_logs
    assert client.health()[0].failures == 0


async def test_gives_up_with_rpc_unavailable_after_its_attempts(proxy: FaultProxy) -> None:
    proxy.inject(Fault(FaultKind.STATUS, status=503), times=100)
    async with RpcClient([proxy.url], FAST) as client:
        with pytest.raises(RpcUnavailable) as caught:
            await client.block_number()
    assert proxy.stats.requests == FAST.attempts
    assert "503" in str(caught.value)


async def test_second_url_takes_over_and_the_primary_returns_after_its_cooldown(busy_chain: BusyChain) -> None:
    primary, secondary = FaultProxy(busy_chain.node.url), FaultProxy(busy_chain.node.url)
    await primary.start()
    await secondary.start()
    now = [1000.0]
    settings = RpcSettings(timeout=0.5, attempts=2, backoff_base=0.01, backoff_cap=0.01, cooldown=10.0)
    try:
        async with RpcClient([primary.url, secondary.url], settings, clock=lambda: now[0]) as client:
            assert await client.block_number() == busy_chain.head
            assert (primary.stats.requests, secondary.stats.requests) == (1, 0)

            await primary.go_down()
            assert await client.block_number() == busy_chain.head
            assert secondary.stats.requests == 1
            assert client.preferred_url == secondary.url

            await primary.come_back()
            now[0] += 9.0  # still cooling down: the secondary keeps the calls
            assert await client.chain_id() == 8996
            assert (primary.stats.requests, secondary.stats.requests) == (1, 2)

            now[0] += 2.0  # cool-down over: the primary is tried first again, and answers
            assert await client.chain_id() == 8996
            assert (primary.stats.requests, secondary.stats.requests) == (2, 2)
            assert client.preferred_url == primary.url

            # failing again right away, it is passed over twice as long
            await primary.go_down()
            await client.block_number()
            assert client.health()[0].down_until == pytest.approx(now[0] + 10.0)
            now[0] += 10.5
            await client.block_number()  # the probe at the end of the cool-down fails again
            assert client.health()[0].failures == 2
            assert client.health()[0].down_until == pytest.approx(now[0] + 20.0)
            assert client.preferred_url == secondary.url
    finally:
        await primary.stop()
        await secondary.stop()
