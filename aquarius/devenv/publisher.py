"""One call per publisher action on a chain with the Ocean contracts: what the tests, the demo and the
benchmarks use to produce every event the indexer handles."""

from __future__ import annotations

import hashlib
import json
import lzma
from dataclasses import dataclass
from typing import Any, Literal

import ecies
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import TxReceipt

from aquarius import contracts
from aquarius.devenv.ocean import OceanDeployment, transact
from aquarius.devenv.solidity import compile_contract
from aquarius.did import make_did

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
HashConvention = Literal["bytes", "hex"]


@dataclass(frozen=True)
class DataAsset:
    """A data NFT with its first datatoken, as created by the factory."""

    nft: str
    datatoken: str
    did: str
    tx_hash: str
    block: int


@dataclass(frozen=True)
class MetadataPayload:
    """What goes into `setMetaData`: the flags byte, the on-chain data and the hash of the plaintext."""

    flags: int
    data: bytes
    metadata_hash: bytes
    plaintext: bytes


def encode_metadata(
    ddo: dict[str, Any] | bytes,
    flags: int = 0,
    *,
    encrypt_to: str | None = None,
    hash_convention: HashConvention = "bytes",
) -> MetadataPayload:
    """Build the on-chain payload for a DDO: compress (flags & 1), then encrypt (flags & 2) to `encrypt_to`.

    `hash_convention` picks between the two conventions publishers use: "bytes" hashes the DDO bytes (Provider,
    Aquarius); "hex" hashes the ASCII `0x`-hex string of the JSON bytes (Ocean Node's publishers).
    """
    plaintext = ddo if isinstance(ddo, bytes) else json.dumps(ddo, separators=(",", ":")).encode()
    data = plaintext
    if flags & 1:
        data = lzma.compress(data)
    if flags & 2:
        if not encrypt_to:
            raise ValueError("flags & 2 needs the decryptor's public key (encrypt_to)")
        data = ecies.encrypt(encrypt_to, data)
    if hash_convention == "bytes":
        digest = hashlib.sha256(plaintext).digest()
    else:
        digest = hashlib.sha256(("0x" + plaintext.hex()).encode()).digest()
    return MetadataPayload(flags=flags, data=data, metadata_hash=digest, plaintext=plaintext)


def sign_proof(validator: LocalAccount, metadata_hash: bytes) -> tuple[str, int, bytes, bytes]:
    """A `MetadataValidated` proof: the validator's EIP-191 signature of the 32-byte metadata hash."""
    signed = validator.sign_message(encode_defunct(primitive=metadata_hash))
    return (validator.address, signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big"))


def _no_provider_fee() -> tuple[Any, ...]:
    return (ZERO_ADDRESS, ZERO_ADDRESS, 0, 0, b"\x00" * 32, b"\x00" * 32, 0, b"")


class OceanPublisher:
    """Acts as one publisher account (unlocked on the node) against one Ocean deployment."""

    def __init__(self, w3: Web3, deployment: OceanDeployment, account: str | None = None) -> None:
        self.w3 = w3
        self.deployment = deployment
        self.account = Web3.to_checksum_address(account or w3.eth.accounts[0])
        self.factory = self._contract("ERC721Factory", deployment.erc721_factory)
        self.fixed_rate = self._contract("FixedRateExchange", deployment.fixed_rate_exchange)
        self.dispenser = self._contract("Dispenser", deployment.dispenser)
        self._batch_publisher: Contract | None = None

    def _contract(self, name: str, address: str) -> Contract:
        return self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=contracts.abi(name))

    def nft(self, address: str) -> Contract:
        return self._contract("ERC721Template", address)

    def datatoken(self, address: str) -> Contract:
        return self._contract("ERC20Template", address)

    def _send(self, call: Any, sender: str | None = None) -> TxReceipt:
        return transact(self.w3, call, sender or self.account)

    def create_asset(
        self,
        name: str = "Data NFT",
        symbol: str = "DNFT",
        *,
        token_uri: str = "https://oceanprotocol.com/nft/",
        transferable: bool = True,
        datatoken_name: str = "Datatoken 1",
        datatoken_symbol: str = "DT1",
    ) -> DataAsset:
        """Mint a data NFT with one datatoken through the real factory (NFTCreated, TokenCreated, Transfer)."""
        nft_data = (name, symbol, 1, token_uri, transferable, self.account)
        erc_data = (
            1,
            [datatoken_name, datatoken_symbol],
            [self.account, ZERO_ADDRESS, self.account, ZERO_ADDRESS],
            [10**30, 0],
            [],
        )
        receipt = self._send(self.factory.functions.createNftWithErc20(nft_data, erc_data))
        created = self.factory.events.NFTCreated().process_receipt(receipt, errors=DISCARD)[0]
        token = self.factory.events.TokenCreated().process_receipt(receipt, errors=DISCARD)[0]
        nft = created["args"]["newTokenAddress"]
        return DataAsset(
            nft=nft,
            datatoken=token["args"]["newTokenAddress"],
            did=make_did(nft, self.w3.eth.chain_id),
            tx_hash=receipt["transactionHash"].to_0x_hex(),
            block=receipt["blockNumber"],
        )

    def set_metadata(
        self,
        nft: str,
        payload: MetadataPayload,
        *,
        state: int = 0,
        decryptor_url: str = "http://127.0.0.1:8030",
        decryptor_address: str = "0x",
        validators: list[LocalAccount] | None = None,
        metadata_hash: bytes | None = None,
    ) -> TxReceipt:
        """`setMetaData`: MetadataCreated on the NFT's first call, MetadataUpdated after; one
        MetadataValidated per validator. `metadata_hash` overrides the payload's (to publish a wrong one)."""
        digest = metadata_hash if metadata_hash is not None else payload.metadata_hash
        proofs = [sign_proof(v, digest) for v in validators or []]
        call = self.nft(nft).functions.setMetaData(
            state, decryptor_url, decryptor_address, bytes([payload.flags]), payload.data, digest, proofs
        )
        return self._send(call)

    def set_state(self, nft: str, state: int) -> TxReceipt:
        return self._send(self.nft(nft).functions.setMetaDataState(state))

    def set_token_uri(self, nft: str, uri: str) -> TxReceipt:
        return self._send(self.nft(nft).functions.setTokenURI(1, uri))

    def transfer(self, nft: str, to: str) -> TxReceipt:
        """ERC721 Transfer. The contract wipes the old owner's roles, so this publisher loses control."""
        return self._send(self.nft(nft).functions.transferFrom(self.account, Web3.to_checksum_address(to), 1))

    def set_data(self, nft: str, key: bytes | str, value: bytes) -> TxReceipt:
        """ERC725 `setNewData` (DataChanged). A str key is hashed with keccak256, as ERC725 tools do."""
        key32 = Web3.keccak(text=key) if isinstance(key, str) else key
        return self._send(self.nft(nft).functions.setNewData(key32, value))

    def mint(self, datatoken: str, to: str, amount: int = 10**18) -> TxReceipt:
        return self._send(self.datatoken(datatoken).functions.mint(Web3.to_checksum_address(to), amount))

    def start_order(self, datatoken: str, *, consumer: str | None = None, service_index: int = 0) -> TxReceipt:
        """OrderStarted: mints the one datatoken the order spends, then orders it for `consumer`."""
        consumer = Web3.to_checksum_address(consumer or self.account)
        self.mint(datatoken, self.account)
        call = self.datatoken(datatoken).functions.startOrder(
            consumer, service_index, _no_provider_fee(), (ZERO_ADDRESS, ZERO_ADDRESS, 0)
        )
        return self._send(call)

    def reuse_order(self, datatoken: str, order_tx: str) -> TxReceipt:
        return self._send(self.datatoken(datatoken).functions.reuseOrder(HexBytes(order_tx), _no_provider_fee()))

    def create_fixed_rate(self, datatoken: str, rate: int = 10**18, *, market_fee: int = 0) -> str:
        """A FixedRateExchange selling `datatoken` for OCEAN at `rate` (1e18-scaled); returns the exchange id."""
        call = self.datatoken(datatoken).functions.createFixedRate(
            self.fixed_rate.address,
            [self.deployment.ocean, self.account, self.account, ZERO_ADDRESS],
            [18, 18, rate, market_fee, 1],
        )
        receipt = self._send(call)
        created = self.fixed_rate.events.ExchangeCreated().process_receipt(receipt, errors=DISCARD)[0]
        return HexBytes(created["args"]["exchangeId"]).to_0x_hex()

    def set_rate(self, exchange_id: str, rate: int) -> TxReceipt:
        return self._send(self.fixed_rate.functions.setRate(HexBytes(exchange_id), rate))

    def toggle_exchange(self, exchange_id: str) -> TxReceipt:
        """ExchangeDeactivated when active, ExchangeActivated when not."""
        return self._send(self.fixed_rate.functions.toggleExchangeState(HexBytes(exchange_id)))

    def create_dispenser(self, datatoken: str, *, max_tokens: int = 10**18, max_balance: int = 10**18) -> TxReceipt:
        call = self.datatoken(datatoken).functions.createDispenser(
            self.dispenser.address, max_tokens, max_balance, True, ZERO_ADDRESS
        )
        return self._send(call)

    def toggle_dispenser(self, datatoken: str, *, active: bool) -> TxReceipt:
        token = Web3.to_checksum_address(datatoken)
        if active:
            return self._send(self.dispenser.functions.activate(token, 10**18, 10**18))
        return self._send(self.dispenser.functions.deactivate(token))

    def publish_many(
        self, payloads: list[MetadataPayload], *, decryptor_url: str = "http://127.0.0.1:8030"
    ) -> tuple[TxReceipt, list[DataAsset]]:
        """Several assets (NFT + datatoken + MetadataCreated each) in ONE transaction, via a helper contract
        that creates them through the real factory and hands each NFT to this publisher."""
        helper = self._batch_helper()
        requests = [
            (
                f"Batch asset {i}",
                f"BA{i}",
                "https://oceanprotocol.com/nft/",
                decryptor_url,
                bytes([p.flags]),
                p.data,
                p.metadata_hash,
            )
            for i, p in enumerate(payloads)
        ]
        receipt = self._send(helper.functions.publish(self.factory.address, requests, self.account))
        chain_id = self.w3.eth.chain_id
        assets = [
            DataAsset(
                nft=ev["args"]["nft"],
                datatoken=ev["args"]["datatoken"],
                did=make_did(ev["args"]["nft"], chain_id),
                tx_hash=receipt["transactionHash"].to_0x_hex(),
                block=receipt["blockNumber"],
            )
            for ev in helper.events.AssetPublished().process_receipt(receipt, errors=DISCARD)
        ]
        return receipt, assets

    def _batch_helper(self) -> Contract:
        # a chain reverted to an earlier snapshot may have lost the helper since it was deployed
        if self._batch_publisher is None or not self.w3.eth.get_code(self._batch_publisher.address):
            compiled = compile_contract("BatchPublisher")
            deployer = self.w3.eth.contract(abi=compiled["abi"], bytecode=compiled["bytecode"])
            receipt = self._send(deployer.constructor())
            self._batch_publisher = self.w3.eth.contract(address=receipt["contractAddress"], abi=compiled["abi"])
        return self._batch_publisher


def new_account() -> LocalAccount:
    return Account.create()
