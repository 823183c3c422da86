"""Deploys the real Ocean v4 contract set on a local chain, in the order and with the constructor arguments of
the contracts' own deployment script, and writes an address file in the shape of ocean-contracts' own."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from web3 import Web3
from web3.contract import Contract

from aquarius import contracts

POOL_TEMPLATE_PLACEHOLDER = "0x000000000000000000000000000000000000dEaD"
OCEAN_SUPPLY = 10**24


@dataclass(frozen=True)
class OceanDeployment:
    chain_id: int
    start_block: int
    owner: str
    ocean: str
    opf_collector: str
    router: str
    fixed_rate_exchange: str
    erc20_template: str
    erc20_template_enterprise: str
    erc721_template: str
    dispenser: str
    erc721_factory: str

    def address_book_entry(self) -> dict[str, Any]:
        """The entry this chain would have in ocean-contracts' `addresses/address.json`."""
        return {
            "chainId": self.chain_id,
            "startBlock": self.start_block,
            "Ocean": self.ocean,
            "OPFCommunityFeeCollector": self.opf_collector,
            "Router": self.router,
            "FixedPrice": self.fixed_rate_exchange,
            "ERC20Template": {"1": self.erc20_template, "2": self.erc20_template_enterprise},
            "ERC721Template": {"1": self.erc721_template},
            "Dispenser": self.dispenser,
            "ERC721Factory": self.erc721_factory,
        }

    def write_address_file(self, path: Path, network: str = "development") -> Path:
        book: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
        book[network if network not in book else f"{network}-{self.chain_id}"] = self.address_book_entry()
        path.write_text(json.dumps(book, indent=2))
        return path

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _deploy(w3: Web3, owner: str, name: str, *args: Any) -> tuple[Contract, int]:
    factory = w3.eth.contract(abi=contracts.abi(name), bytecode=contracts.bytecode(name))
    tx = factory.constructor(*args).transact({"from": owner})
    receipt = w3.eth.wait_for_transaction_receipt(tx, poll_latency=0.005)
    if receipt["status"] != 1:
        raise RuntimeError(f"deploying {name} reverted")
    return w3.eth.contract(address=receipt["contractAddress"], abi=contracts.abi(name)), receipt["blockNumber"]


def transact(w3: Web3, call: Any, sender: str) -> Any:
    """Send a contract call from an unlocked account and return its receipt; a revert raises."""
    receipt = w3.eth.wait_for_transaction_receipt(call.transact({"from": sender}), poll_latency=0.005)
    if receipt["status"] != 1:
        raise RuntimeError(f"transaction {receipt['transactionHash'].to_0x_hex()} reverted")
    return receipt


def deploy_ocean(w3: Web3, owner: str | None = None) -> OceanDeployment:
    owner = Web3.to_checksum_address(owner or w3.eth.accounts[0])
    ocean, _ = _deploy(w3, owner, "OceanToken", owner)
    transact(w3, ocean.functions.mint(owner, OCEAN_SUPPLY), owner)
    opf, _ = _deploy(w3, owner, "OPFCommunityFeeCollector", owner, owner)
    router, start_block = _deploy(
        w3, owner, "FactoryRouter", owner, ocean.address, POOL_TEMPLATE_PLACEHOLDER, opf.address, []
    )
    fre, _ = _deploy(w3, owner, "FixedRateExchange", router.address)
    erc20, _ = _deploy(w3, owner, "ERC20Template")
    erc20_enterprise, _ = _deploy(w3, owner, "ERC20TemplateEnterprise")
    erc721, _ = _deploy(w3, owner, "ERC721Template")
    dispenser, _ = _deploy(w3, owner, "Dispenser", router.address)
    factory, _ = _deploy(w3, owner, "ERC721Factory", erc721.address, erc20.address, router.address)
    transact(w3, factory.functions.addTokenTemplate(erc20_enterprise.address), owner)
    transact(w3, router.functions.addFactory(factory.address), owner)
    transact(w3, router.functions.addFixedRateContract(fre.address), owner)
    transact(w3, router.functions.addDispenserContract(dispenser.address), owner)
    return OceanDeployment(
        chain_id=w3.eth.chain_id,
        start_block=start_block,
        owner=owner,
        ocean=ocean.address,
        opf_collector=opf.address,
        router=router.address,
        fixed_rate_exchange=fre.address,
        erc20_template=erc20.address,
        erc20_template_enterprise=erc20_enterprise.address,
        erc721_template=erc721.address,
        dispenser=dispenser.address,
        erc721_factory=factory.address,
    )
