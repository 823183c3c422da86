"""The benchmarks' chain: N realistic assets published on anvil with the real Ocean contracts, saved once with
anvil's state dump under `.cache/bench/` and loaded in seconds by every later run.

Per round of assets: one block of `createNftWithErc20`, one block of `setMetaData` (flags 0-3, encrypted ones to
the fixed bench indexer key, DDOs of 1-20 KB) with fixed-rate exchanges and orders, one block of metadata updates,
state changes and more orders. Transactions are signed locally with fixed gas and nonces and sent in JSON-RPC
batches while automine is off, then mined with `evm_mine`.

    .venv/bin/python -m bench.chain_fixture [--n 10000]
"""

from __future__ import annotations

import argparse
import json
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from eth_abi import encode
from eth_account import Account
from eth_utils import function_signature_to_4byte_selector
from eth_utils.abi import abi_to_signature, get_abi_input_types
from pydantic import BaseModel
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD

from aquarius import contracts
from aquarius.devenv.anvil import DEV_CHAIN_ID, AnvilNode, start_anvil
from aquarius.devenv.catalog import AssetSpec, build_ddo
from aquarius.devenv.ocean import OceanDeployment, deploy_ocean
from aquarius.devenv.ports import project_root
from aquarius.devenv.publisher import ZERO_ADDRESS, encode_metadata
from aquarius.did import make_did
from aquarius.metadata.decrypt import LocalDecryptor

BENCH_INDEXER_KEY = "0x" + "b3" * 32
# anvil's published dev key #0 (the default mnemonic's first account): the publisher of every bench asset
PUBLISHER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
ROUND = 200  # assets per round: a round is three blocks (few blocks keep the historical states small)
HISTORY = ["--preserve-historical-states"]  # the indexer reads NFT facts with eth_call at the event's block
TOPICS = ["weather", "traffic", "energy", "health", "finance", "satellite", "retail", "genomics", "maritime"]
CITIES = ["Berlin", "Lisbon", "Oslo", "Nairobi", "Lima", "Osaka", "Toronto", "Cairo", "Perth", "Quito"]
FILLER = "Measurements are quality-checked, deduplicated and published with full provenance. "


class FixtureInfo(BaseModel):
    """What a saved fixture holds, next to its state dump."""

    n: int
    deployment: dict[str, Any]
    head: int
    dids: list[str]
    transactions: int
    build_seconds: float

    def ocean(self) -> OceanDeployment:
        return OceanDeployment(**self.deployment)


def fixture_paths(n: int, chain_id: int = DEV_CHAIN_ID) -> tuple[Path, Path]:
    folder = project_root() / ".cache" / "bench"
    name = f"chain-{n}" if chain_id == DEV_CHAIN_ID else f"chain-{n}-{chain_id}"
    return folder / f"{name}.state.json", folder / f"{name}.info.json"


def ddo_size(i: int) -> int:
    """1-20 KB, spread over the whole range."""
    return 1000 + (i * 7919) % 19_000


def bench_ddo(i: int, nft: str, datatoken: str, chain_id: int, *, revision: int = 0) -> dict[str, Any]:
    topic, city = TOPICS[i % len(TOPICS)], CITIES[(i // len(TOPICS)) % len(CITIES)]
    spec = AssetSpec(
        f"{topic.capitalize()} data {city} #{i}" + (f" (rev {revision})" if revision else ""),
        f"{topic.capitalize()} dataset number {i} from {city}. ",
        kind="algorithm" if i % 10 == 9 else "dataset",
        tags=(topic, city.lower(), "bench"),
        compute=i % 6 == 0,
    )
    ddo = build_ddo(
        spec, nft=nft, datatoken=datatoken, chain_id=chain_id, created=f"2026-01-{1 + i % 28:02d}T09:30:00Z"
    )
    padding = max(0, ddo_size(i) - len(json.dumps(ddo)))
    # the schema caps the description at 7,000 characters: the bulk goes into free-form additional information
    notes = (FILLER * (padding // len(FILLER) + 1))[:padding]
    ddo["metadata"]["additionalInformation"] = {"notes": [notes[k : k + 1000] for k in range(0, len(notes), 1000)]}
    return ddo


@cache
def _function(contract: str, name: str) -> tuple[bytes, list[str]]:
    (abi,) = [x for x in contracts.abi(contract) if x.get("type") == "function" and x.get("name") == name]
    return function_signature_to_4byte_selector(abi_to_signature(abi)), get_abi_input_types(abi)


def encode_call(contract: str, name: str, *args: Any) -> bytes:
    """Call data without building web3 contract objects, which costs more than signing the transaction."""
    selector, types = _function(contract, name)
    return selector + encode(types, list(args))


class _Sender:
    """Signs calls locally with fixed gas and consecutive nonces; sends them in one batch per block."""

    def __init__(self, node: AnvilNode, w3: Web3) -> None:
        self.node, self.w3 = node, w3
        self.account = Account.from_key(PUBLISHER_KEY)
        self.nonce = w3.eth.get_transaction_count(self.account.address)
        self.pending: list[str] = []
        self.sent = 0

    def add(self, to: str, data: bytes, gas: int) -> None:
        tx = {
            "to": to,
            "data": data,
            "nonce": self.nonce,
            "gas": gas,
            "maxFeePerGas": 10**10,
            "maxPriorityFeePerGas": 1,
            "chainId": self.node.chain_id,
            "type": 2,
        }
        self.pending.append(self.account.sign_transaction(tx).raw_transaction.to_0x_hex())
        self.nonce += 1

    def mine(self) -> list[Any]:
        """Send the pending transactions, mine them in one block, return its receipts (all must succeed)."""
        for start in range(0, len(self.pending), 100):  # anvil refuses very large batches as a whole
            body = [
                {"jsonrpc": "2.0", "id": i, "method": "eth_sendRawTransaction", "params": [raw]}
                for i, raw in enumerate(self.pending[start : start + 100])
            ]
            request = urllib.request.Request(
                self.node.url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(request, timeout=120) as response:
                answers = json.loads(response.read())
            errors = [answers] if isinstance(answers, dict) else [a["error"] for a in answers if "error" in a]
            if errors:
                raise RuntimeError(f"{len(errors)} transactions refused, first: {errors[0]}")
        self.sent += len(self.pending)
        self.pending = []
        self.node.rpc("evm_mine")
        receipts = self.w3.eth.get_block_receipts("latest")
        failed = [r["transactionHash"].to_0x_hex() for r in receipts if r["status"] != 1]
        if failed:
            raise RuntimeError(f"{len(failed)} transactions reverted, first: {failed[0]}")
        return list(receipts)


def _publish_round(
    sender: _Sender, factory: Contract, deployment: OceanDeployment, first: int, count: int, key: LocalDecryptor
) -> list[str]:
    me = sender.account.address
    for i in range(first, first + count):
        nft_data = (f"Bench NFT {i}", f"BN{i}", 1, "https://oceanprotocol.com/nft/", True, me)
        erc_data = (1, [f"Bench DT {i}", f"BDT{i}"], [me, ZERO_ADDRESS, me, ZERO_ADDRESS], [10**30, 0], [])
        sender.add(factory.address, encode_call("ERC721Factory", "createNftWithErc20", nft_data, erc_data), 2_000_000)
    receipts = sender.mine()
    nfts = [
        e["args"]["newTokenAddress"]
        for r in receipts
        for e in factory.events.NFTCreated().process_receipt(r, errors=DISCARD)
    ]
    tokens = [
        e["args"]["newTokenAddress"]
        for r in receipts
        for e in factory.events.TokenCreated().process_receipt(r, errors=DISCARD)
    ]

    def set_metadata(i: int, revision: int) -> None:
        ddo = bench_ddo(i, nfts[i - first], tokens[i - first], sender.node.chain_id, revision=revision)
        payload = encode_metadata(ddo, i % 4, encrypt_to=key.public_key_hex)
        args = (
            0,
            "http://127.0.0.1:8030",
            key.address,
            bytes([payload.flags]),
            payload.data,
            payload.metadata_hash,
            [],
        )
        sender.add(
            nfts[i - first], encode_call("ERC721Template", "setMetaData", *args), 400_000 + 80 * len(payload.data)
        )

    def order(i: int) -> None:
        dt = tokens[i - first]
        sender.add(dt, encode_call("ERC20Template", "mint", me, 10**18), 200_000)
        fee = (ZERO_ADDRESS, ZERO_ADDRESS, 0, 0, b"\x00" * 32, b"\x00" * 32, 0, b"")
        sender.add(dt, encode_call("ERC20Template", "startOrder", me, 0, fee, (ZERO_ADDRESS, ZERO_ADDRESS, 0)), 500_000)

    for i in range(first, first + count):
        set_metadata(i, 0)
        if i % 3 == 0:
            addresses = [deployment.ocean, me, me, ZERO_ADDRESS]
            rate = (1 + i % 7) * 10**18
            call = encode_call(
                "ERC20Template", "createFixedRate", deployment.fixed_rate_exchange, addresses, [18, 18, rate, 0, 1]
            )
            sender.add(tokens[i - first], call, 1_000_000)
        if i % 5 == 0:
            order(i)
    sender.mine()
    for i in range(first, first + count):
        if i % 4 == 1:
            set_metadata(i, 1)
        if i % 10 == 7:
            state = 5 if i % 20 == 7 else 2
            sender.add(nfts[i - first], encode_call("ERC721Template", "setMetaDataState", state), 200_000)
        if i % 5 == 0:
            order(i)
    sender.mine()
    return [make_did(a, sender.node.chain_id) for a in nfts]


def build_fixture(n: int, chain_id: int = DEV_CHAIN_ID) -> FixtureInfo:
    """The DDOs and DIDs name the chain id, so a chain of another id is a fixture of its own."""
    state_path, info_path = fixture_paths(n, chain_id)
    state_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    node = start_anvil(chain_id=chain_id, extra_args=[*HISTORY, "--dump-state", str(state_path)])
    try:
        w3 = Web3(Web3.HTTPProvider(node.url))
        deployment = deploy_ocean(w3, Account.from_key(PUBLISHER_KEY).address)
        node.rpc("evm_setBlockGasLimit", [hex(1_000_000_000)])
        node.rpc("evm_mine")
        node.rpc("evm_setAutomine", [False])
        sender = _Sender(node, w3)
        factory = w3.eth.contract(address=deployment.erc721_factory, abi=contracts.abi("ERC721Factory"))
        key = LocalDecryptor(BENCH_INDEXER_KEY)
        dids: list[str] = []
        for first in range(0, n, ROUND):
            dids += _publish_round(sender, factory, deployment, first, min(ROUND, n - first), key)
            if first and first % 1000 == 0:
                print(f"  {first} assets, {sender.sent} txs, {time.monotonic() - started:.0f} s", flush=True)
        info = FixtureInfo(
            n=n,
            deployment=deployment.as_dict(),
            head=w3.eth.block_number,
            dids=dids,
            transactions=sender.sent,
            build_seconds=time.monotonic() - started,
        )
    finally:
        node.stop()  # a graceful stop writes the dump
    info_path.write_text(info.model_dump_json())
    return info


def load_info(n: int, chain_id: int = DEV_CHAIN_ID) -> FixtureInfo:
    state_path, info_path = fixture_paths(n, chain_id)
    if not (state_path.exists() and info_path.exists()):
        return build_fixture(n, chain_id)
    return FixtureInfo.model_validate_json(info_path.read_text())


@contextmanager
def fixture_chain(
    n: int, *, block_time: float | None = None, chain_id: int = DEV_CHAIN_ID
) -> Iterator[tuple[AnvilNode, FixtureInfo]]:
    """A node running the saved N-asset chain (built first if missing); automine on, for later publishing."""
    info = load_info(n, chain_id)
    state_path, _ = fixture_paths(n, chain_id)
    node = start_anvil(chain_id=chain_id, block_time=block_time, extra_args=[*HISTORY, "--load-state", str(state_path)])
    try:
        node.rpc("evm_setAutomine", [True])
        yield node, info
    finally:
        node.stop()


def main(n: int) -> None:
    state_path, _ = fixture_paths(n)
    info = build_fixture(n)
    size = state_path.stat().st_size / 1e6
    print(
        f"chain of {n} assets: {info.transactions} transactions, head block {info.head}, "
        f"built in {info.build_seconds:.1f} s ({n / info.build_seconds:.0f} assets/s), state dump {size:.1f} MB"
    )
    started = time.monotonic()
    with fixture_chain(n) as (node, loaded):
        logs = node.rpc("eth_getLogs", [{"fromBlock": "0x0", "toBlock": hex(loaded.head)}])
    print(f"loaded again in {time.monotonic() - started:.2f} s; eth_getLogs over the whole chain: {len(logs)} logs")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    main(parser.parse_args().n)
