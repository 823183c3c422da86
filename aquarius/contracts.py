"""The Ocean contracts as shipped by the `ocean-contracts` package: ABIs, bytecode and the address book."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any


@cache
def artifact(name: str) -> dict[str, Any]:
    """The Hardhat artifact (abi, bytecode, ...) of a contract, e.g. ``artifact("ERC721Template")``."""
    path = resources.files("artifacts") / f"{name}.json"
    if not path.is_file():
        raise KeyError(f"ocean-contracts has no artifact named {name!r}")
    return json.loads(path.read_text())


def abi(name: str) -> list[dict[str, Any]]:
    return artifact(name)["abi"]


def bytecode(name: str) -> str:
    return artifact(name)["bytecode"]


def bundled_address_file() -> Path:
    return Path(str(resources.files("addresses") / "address.json"))


def load_address_book(path: Path | None = None) -> dict[str, dict[str, Any]]:
    """Network name -> entry (chainId, startBlock, ERC721Factory, Router, FixedPrice, Dispenser, ...)."""
    return json.loads((path or bundled_address_file()).read_text())


def addresses_for_chain(chain_id: int, path: Path | None = None) -> dict[str, Any] | None:
    for entry in load_address_book(path).values():
        if entry.get("chainId") == chain_id:
            return entry
    return None
