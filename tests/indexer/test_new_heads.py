"""Live mode with a websocket new-head subscription, against real anvil: a notice wakes the sync long before its
poll interval; a cut socket falls back to polling and is re-established; bad endpoint settings are refused."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web

from aquarius.admin import print_status
from aquarius.config import ChainConfig, ConfigError, Settings, load_settings
from aquarius.devenv.ports import free_port
from aquarius.devenv.publisher import DataAsset, encode_metadata
from aquarius.store.base import Collection, Store
from indexer.daemon import ChainRuntime
from indexer.new_heads import NewHeads
from tests.chain.fixtures import Chain
from tests.faults.tcp_relay import TcpRelay
from tests.indexer.harness import indexer_settings, running_indexer, valid_ddo
from tests.store.backends import sqlite_store

LONG_POLL = 30.0  # the fallback poll: a test that sees a block within WOKEN saw it through the subscription
WOKEN = 3.0


def live_settings(chain: Chain, folder: Path, *, ws_url: str, poll_interval: float) -> Settings:
    settings = indexer_settings(chain, folder / "address.json")
    config = ChainConfig.model_validate(
        {**settings.chains[0].model_dump(), "ws_url": ws_url, "poll_interval": poll_interval}
    )
    return settings.model_copy(update={"chains": [config]})


@pytest_asyncio.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with sqlite_store(tmp_path / "live.db") as opened:
        yield opened


async def subscribed_and_caught_up(runtime: ChainRuntime) -> NewHeads:
    assert runtime.new_heads is not None
    async with asyncio.timeout(10):
        await runtime.new_heads.subscribed.wait()
        await runtime.sync.caught_up.wait()
    return runtime.new_heads


async def publish(chain: Chain, name: str) -> tuple[DataAsset, int]:
    """A valid asset in two new blocks; returns it and the new head."""

    def run() -> tuple[DataAsset, int]:
        asset = chain.publisher.create_asset(name, "LIVE")
        chain.publisher.set_metadata(asset.nft, encode_metadata(valid_ddo(asset, name, chain.node.chain_id)))
        return asset, chain.w3.eth.block_number

    return await asyncio.to_thread(run)


async def applied_within(runtime: ChainRuntime, store: Store, block: int, asset: DataAsset, seconds: float) -> None:
    async with asyncio.timeout(seconds):
        await runtime.sync.wait_for_block(block)
    stored = await store.get(Collection.ASSETS, asset.did)
    assert stored is not None and stored["nft"]["address"] == asset.nft


async def test_a_new_head_wakes_the_sync_long_before_the_poll_interval(
    chain: Chain, store: Store, tmp_path: Path
) -> None:
    ws_url = chain.node.url.replace("http://", "ws://")
    settings = live_settings(chain, tmp_path, ws_url=ws_url, poll_interval=LONG_POLL)
    async with running_indexer(settings, store) as runtime:
        new_heads = await subscribed_and_caught_up(runtime)
        assert new_heads.status.live_mode == "subscription"
        for round_ in range(2):  # the second block comes in while the loop waits again after the first
            asset, head = await publish(chain, f"live {round_}")
            await applied_within(runtime, store, head, asset, WOKEN)
        assert new_heads.status.head == head
        assert (new_heads.status.connects, new_heads.status.drops) == (1, 0)


async def test_a_cut_subscription_falls_back_to_polling_and_is_re_established(
    chain: Chain, store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="indexer.new_heads")
    relay = await TcpRelay(chain.node.port).start()
    settings = live_settings(chain, tmp_path, ws_url=relay.url("ws"), poll_interval=0.2)
    try:
        async with running_indexer(settings, store) as runtime:
            new_heads = await subscribed_and_caught_up(runtime)

            await relay.cut()  # the relay carries only the socket: requests go to the node directly
            asset, head = await publish(chain, "while the socket is down")
            await applied_within(runtime, store, head, asset, 10)
            assert not new_heads.subscribed.is_set()
            assert new_heads.status.live_mode == "polling"
            assert (new_heads.status.connects, new_heads.status.drops) == (1, 1)
            assert new_heads.status.last_error is not None

            runtime.sync.poll_interval = LONG_POLL  # from here on only a notice can apply a block in time
            await relay.restore()
            async with asyncio.timeout(20):
                await new_heads.subscribed.wait()
            assert (new_heads.status.connects, new_heads.status.drops) == (2, 1)
            asset, head = await publish(chain, "after the socket is back")
            await applied_within(runtime, store, head, asset, WOKEN)
            assert new_heads.status.head == head
    finally:
        await relay.cut()
    said = [r.getMessage() for r in caplog.records if r.name == "indexer.new_heads"]
    endpoint = f"chain 8996: new-head subscription on {relay.url('ws')}"
    assert said[0] == f"{endpoint} established"
    assert said[1].startswith(f"{endpoint} dropped (") and "polling until it is back" in said[1]
    assert f"{endpoint} established again" in said[2:]


async def test_a_node_refusing_the_subscription_is_polled(chain: Chain, store: Store, tmp_path: Path) -> None:
    refusals = 0

    async def refuse(request: web.Request) -> web.WebSocketResponse:
        nonlocal refusals
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        ask = await socket.receive_json()
        await socket.send_json({"jsonrpc": "2.0", "id": ask["id"], "error": {"code": -32601, "message": "no"}})
        refusals += 1
        await socket.close()
        return socket

    app = web.Application()
    app.router.add_get("/", refuse)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        settings = live_settings(chain, tmp_path, ws_url=f"ws://127.0.0.1:{port}", poll_interval=0.2)
        async with running_indexer(settings, store) as runtime:
            asset, head = await publish(chain, "polled")
            await applied_within(runtime, store, head, asset, 10)
            assert runtime.new_heads is not None
            status = runtime.new_heads.status
            assert refusals >= 1
            assert (status.live_mode, status.connects) == ("polling", 0)
            assert status.last_error is not None and "eth_subscribe refused" in status.last_error
    finally:
        await runner.cleanup()


async def test_status_names_the_live_mode(chain: Chain, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = live_settings(chain, tmp_path, ws_url="ws://127.0.0.1:1", poll_interval=5)
    polled = ChainConfig.model_validate({**settings.chains[0].model_dump(), "chain_id": 8997, "ws_url": None})
    settings = settings.model_copy(update={"chains": [settings.chains[0], polled], "sqlite_path": tmp_path / "s.db"})
    await print_status(settings)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("chain 8996: head ")
    assert lines[0].endswith(", live mode subscription (polling every 5s as fallback)")
    assert lines[1].endswith(", live mode polling every 5s")


@pytest.mark.parametrize(
    ("chains", "message"),
    [
        (
            [{"chain_id": 1, "rpc_urls": ["wss://node"]}],
            "AQUARIUS_CHAINS.0: Value error, chain 1 has no http(s):// RPC URL: requests (eth_getLogs, batched "
            "eth_call) go over HTTP(S)",
        ),
        (
            [{"chain_id": 1, "rpc_urls": ["https://node"], "ws_url": "https://node"}],
            "AQUARIUS_CHAINS.0.ws_url: Value error, 'https://node' is not a websocket URL",
        ),
        (
            [{"chain_id": 1, "rpc_urls": ["https://node", "wss://node/a"], "ws_url": "wss://node/b"}],
            "more than one websocket URL ['wss://node/a', 'wss://node/b']",
        ),
        ([{"chain_id": 1, "rpc_urls": ["https://node"], "ws_url": "wss:/node"}], "is not an RPC URL"),
    ],
)
def test_bad_subscription_endpoints_are_refused(chains: list[dict[str, object]], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings({"AQUARIUS_CHAINS": json.dumps(chains)})
    assert message in str(err.value)


def test_a_websocket_events_rpc_alone_is_refused() -> None:
    with pytest.raises(ConfigError, match="EVENTS_RPC is a websocket URL: requests go over HTTP"):
        load_settings({"EVENTS_RPC": "ws://127.0.0.1:8545", "CHAIN_ID": "8996"})


def test_a_websocket_entry_of_rpc_urls_is_the_subscription_endpoint() -> None:
    chains = '[{"chain_id": 1, "rpc_urls": ["wss://node/key", "https://a", "https://b"]}]'
    (chain,) = load_settings({"AQUARIUS_CHAINS": chains}).chains
    assert (chain.rpc_urls, chain.ws_url) == (["https://a", "https://b"], "wss://node/key")
    (plain,) = load_settings({"EVENTS_RPC": "http://127.0.0.1:8545", "CHAIN_ID": "8996"}).chains
    assert plain.ws_url is None
