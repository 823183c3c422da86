"""Check DDO bytes against the `metaDataHash` of their `setMetaData` event.

Two conventions exist in the wild: the Provider and Aquarius hash the DDO bytes themselves; Ocean Node's
publishers hash the ASCII string `0x` + hex of the DDO bytes. Both are accepted, nothing else.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

from aquarius.metadata.errors import ErrorCode, MetadataError


class HashConvention(StrEnum):
    BYTES = "bytes"
    HEX_STRING = "hex_string"


def _expected_bytes(metadata_hash: bytes | str) -> bytes:
    if isinstance(metadata_hash, bytes):
        return metadata_hash
    text = metadata_hash.removeprefix("0x").removeprefix("0X")
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise MetadataError(ErrorCode.HASH_MISMATCH, f"metaDataHash {metadata_hash!r} is not hex") from None


def check_metadata_hash(plaintext: bytes, metadata_hash: bytes | str) -> HashConvention:
    """Which convention `metadata_hash` (32 bytes, or hex with or without `0x`) follows for `plaintext`;
    HASH_MISMATCH, naming the event's hash and both hashes computed, when neither does."""
    expected = _expected_bytes(metadata_hash)
    of_bytes = hashlib.sha256(plaintext).digest()
    if expected == of_bytes:
        return HashConvention.BYTES
    of_hex = hashlib.sha256(b"0x" + plaintext.hex().encode("ascii")).digest()
    if expected == of_hex:
        return HashConvention.HEX_STRING
    raise MetadataError(
        ErrorCode.HASH_MISMATCH,
        f"metaDataHash 0x{expected.hex()} matches neither sha256(DDO bytes) 0x{of_bytes.hex()} "
        f"nor sha256('0x' + hex(DDO bytes)) 0x{of_hex.hex()}",
    )
