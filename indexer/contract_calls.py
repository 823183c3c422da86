"""Encoding `eth_call` data and decoding answers, for the few view functions the handlers read."""

from __future__ import annotations

from typing import Any

from eth_abi import decode, encode
from eth_utils import function_signature_to_4byte_selector


def call_data(signature: str, *args: Any) -> str:
    """`call_data("ownerOf(uint256)", 1)` -> 0x-hex selector + ABI-encoded arguments."""
    inner = signature[signature.index("(") + 1 : -1]
    types = [t for t in inner.split(",") if t]
    return "0x" + (function_signature_to_4byte_selector(signature) + encode(types, list(args))).hex()


def decode_result(types: list[str], data: bytes) -> tuple[Any, ...]:
    return tuple(decode(types, data))
