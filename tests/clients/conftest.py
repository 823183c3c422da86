"""Real Ocean clients against the running service: anvil with the Ocean contracts, the indexer following it into
the embedded store, the API on a loopback port, and a client library in a subprocess speaking JSON lines.

The clients are installed under `.cache/clients/` by `scripts/install-clients.sh` (run here too; it does nothing
when they are in place)."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from api.app import create_app
from api.signing import ValidationSigner
from aquarius.devenv.catalog import AssetSpec, build_ddo
from aquarius.devenv.ports import free_port
from aquarius.devenv.publisher import DataAsset, encode_metadata
from aquarius.metadata.validation import validate_ddo
from aquarius.store.base import Doc
from tests.chain.fixtures import Chain
from tests.indexer.harness import INDEXER_KEY, indexer_settings, running_indexer
from tests.store.backends import sqlite_store

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CLIENTS = ROOT / ".cache" / "clients"
# A client that hangs must fail the test, not the suite.
REPLY_TIMEOUT = 60


@pytest.fixture(scope="session")
def clients_installed() -> Path:
    subprocess.run([str(ROOT / "scripts" / "install-clients.sh")], check=True)
    return CLIENTS


@dataclass
class RequestLog:
    """Every request the API answered, in order, so a test can wait until a client has really asked."""

    entries: list[tuple[str, int]] = field(default_factory=list)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def record(self, request: web.Request, response: web.StreamResponse) -> None:
        async with self.changed:
            self.entries.append((request.path_qs, response.status))
            self.changed.notify_all()

    async def wait_for(self, path_end: str, status: int, *, after: int = 0) -> None:
        def seen() -> bool:
            return any(p.endswith(path_end) and s == status for p, s in self.entries[after:])

        async with asyncio.timeout(REPLY_TIMEOUT), self.changed:
            await self.changed.wait_for(seen)


@dataclass
class Live:
    chain: Chain
    url: str
    log: RequestLog
    indexer_address: str

    def ddo(self, asset: DataAsset, name: str) -> dict[str, Any]:
        spec = AssetSpec(name=name, kind="dataset", description=f"{name}, published for a client", tags=("client",))
        ddo = build_ddo(spec, nft=asset.nft, datatoken=asset.datatoken, chain_id=self.chain.node.chain_id)
        ddo["version"] = "4.1.0"  # the version ocean.py writes back when it serialises a DDO
        return ddo

    def publish(self, asset: DataAsset, ddo: dict[str, Any]) -> str:
        receipt = self.chain.publisher.set_metadata(asset.nft, encode_metadata(ddo))
        return str(receipt["transactionHash"].to_0x_hex())

    @asynccontextmanager
    async def pending_update(self, asset: DataAsset, ddo: dict[str, Any]) -> AsyncIterator[str]:
        """Send an update with mining paused and yield its transaction hash; the block is mined on exit, so a
        client can be made to wait for a transaction it already knows."""
        w3, pub = self.chain.w3, self.chain.publisher
        payload = encode_metadata(ddo)
        w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
        try:
            call = pub.nft(asset.nft).functions.setMetaData(
                0, "http://127.0.0.1:8030", "0x", bytes([payload.flags]), payload.data, payload.metadata_hash, []
            )
            tx = call.transact({"from": pub.account}).to_0x_hex()
            yield tx
            w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        finally:
            w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
        assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1


@pytest.fixture
async def live(chain: Chain, tmp_path: Path) -> AsyncIterator[Live]:
    settings = indexer_settings(chain, tmp_path / "address.json")

    def validator(ddo: Doc) -> dict[str, str]:
        return validate_ddo(ddo).errors

    log = RequestLog()
    async with sqlite_store(tmp_path / "aquarius.sqlite") as store, running_indexer(settings, store):
        app = create_app(settings, store, validator=validator)
        app.on_response_prepare.append(log.record)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        host, port = "127.0.0.1", free_port()
        try:
            await web.TCPSite(runner, host, port).start()
            yield Live(chain, f"http://{host}:{port}", log, ValidationSigner(INDEXER_KEY).address)
        finally:
            await runner.cleanup()


class ClientError(Exception):
    """The client library raised; the message is its own."""


class ClientProcess:
    """One client library in a subprocess: `call` sends a request and returns the reply; `send` and `reply`
    split the two, for calls that wait on something the test does in between."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def send(self, call: str, **args: Any) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"call": call, "args": args}).encode() + b"\n")
        await self.process.stdin.drain()

    async def reply(self) -> Any:
        assert self.process.stdout is not None
        async with asyncio.timeout(REPLY_TIMEOUT):
            line = await self.process.stdout.readline()
        if not line:
            raise ClientError(f"the client exited with status {await self.process.wait()}")
        answer = json.loads(line)
        if "error" in answer:
            raise ClientError(answer["error"])
        return answer["result"]

    async def call(self, call: str, **args: Any) -> Any:
        await self.send(call, **args)
        return await self.reply()


@asynccontextmanager
async def client_process(*command: str) -> AsyncIterator[ClientProcess]:
    process = await asyncio.create_subprocess_exec(
        *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=2**24
    )
    try:
        yield ClientProcess(process)
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            async with asyncio.timeout(10):
                await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()


@pytest.fixture
def ocean_py(clients_installed: Path) -> Callable[[], Any]:
    python = clients_installed / "ocean-py-venv" / "bin" / "python"
    return lambda: client_process(str(python), str(HERE / "ocean_py_driver.py"))


@pytest.fixture
def ocean_js(clients_installed: Path) -> Callable[[str], Any]:
    modules = clients_installed / "ocean-js"
    return lambda package: client_process("node", str(HERE / "ocean_js_driver.cjs"), str(modules), package)
