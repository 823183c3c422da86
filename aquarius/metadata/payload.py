"""Decode the `data` of a `setMetaData` call into DDO bytes and then into a DDO object.

The flags byte says what the publisher did to the DDO bytes: bit 1 (value 2) encrypted them with ECIES to the
decryptor's key, bit 0 (value 1) compressed them with lzma. Publishers compress first and encrypt second, so we
decrypt first and decompress second. Every step is bounded: a payload may not expand beyond `max_plaintext_bytes`
and the parsed JSON may not nest deeper than `max_json_depth`.
"""

from __future__ import annotations

import json
import lzma
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntFlag
from itertools import accumulate
from typing import Any

from aquarius.metadata.errors import ErrorCode, MetadataError


class Flags(IntFlag):
    COMPRESSED = 1
    ENCRYPTED = 2


KNOWN_FLAGS = int(Flags.COMPRESSED | Flags.ENCRYPTED)


@dataclass(frozen=True, slots=True)
class PayloadLimits:
    """Bounds applied while decoding one payload."""

    max_plaintext_bytes: int = 5 * 1024 * 1024
    max_json_depth: int = 64
    # The lzma decoder's own memory (its dictionary); xz preset 9 needs 65 MiB.
    lzma_memory_bytes: int = 128 * 1024 * 1024


DEFAULT_LIMITS = PayloadLimits()


def parse_flags(flags: bytes | int) -> Flags:
    """The flags of a `setMetaData` event. An empty `bytes` means no flags, as for the Provider; more than one
    byte, or any bit besides compressed (1) and encrypted (2), is refused with BAD_FLAGS."""
    if isinstance(flags, bytes):
        if len(flags) > 1:
            raise MetadataError(ErrorCode.BAD_FLAGS, f"flags must be one byte, got {len(flags)} bytes 0x{flags.hex()}")
        value = flags[0] if flags else 0
    else:
        value = flags
    if not 0 <= value <= 0xFF:
        raise MetadataError(ErrorCode.BAD_FLAGS, f"flags must be one byte, got {value}")
    unknown = value & ~KNOWN_FLAGS & 0xFF
    if unknown:
        raise MetadataError(
            ErrorCode.BAD_FLAGS,
            f"flags 0x{value:02x} set unknown bits 0x{unknown:02x} (known: 0x01 lzma-compressed, 0x02 ECIES-encrypted)",
        )
    return Flags(value)


def decompress(data: bytes, limits: PayloadLimits = DEFAULT_LIMITS) -> bytes:
    """lzma-decompress `data` (xz or legacy .lzma container; concatenated streams as `lzma.decompress` accepts),
    refusing output beyond `limits.max_plaintext_bytes` without ever producing more than one byte past it."""
    limit = limits.max_plaintext_bytes
    out = bytearray()
    rest = data
    while True:
        decoder = lzma.LZMADecompressor(lzma.FORMAT_AUTO, memlimit=limits.lzma_memory_bytes)
        try:
            out += decoder.decompress(rest, max_length=limit - len(out) + 1)
        except lzma.LZMAError as err:
            raise MetadataError(ErrorCode.DECOMPRESSION_FAILED, f"lzma: {err}") from None
        if len(out) > limit:
            raise MetadataError(ErrorCode.TOO_LARGE, f"decompressed DDO exceeds {limit} bytes")
        if not decoder.eof:
            raise MetadataError(ErrorCode.DECOMPRESSION_FAILED, "lzma: compressed data ended before the stream did")
        rest = decoder.unused_data
        if not rest:
            return bytes(out)


def decode_payload(
    flags: bytes | int,
    data: bytes,
    *,
    decrypt: Callable[[bytes], bytes] | None = None,
    limits: PayloadLimits = DEFAULT_LIMITS,
) -> bytes:
    """The DDO bytes of an on-chain payload: `decrypt` (this indexer's own key) when flags say encrypted, then
    decompress when flags say compressed. Without `decrypt`, an encrypted payload is refused with NO_DECRYPTOR:
    the caller then asks the remote decryptor, which answers with the DDO bytes themselves."""
    parsed = parse_flags(flags)
    if parsed & Flags.ENCRYPTED:
        if decrypt is None:
            raise MetadataError(ErrorCode.NO_DECRYPTOR, "payload is encrypted and no local key can decrypt it")
        data = decrypt(data)
    if parsed & Flags.COMPRESSED:
        data = decompress(data, limits)
    elif len(data) > limits.max_plaintext_bytes:
        raise MetadataError(ErrorCode.TOO_LARGE, f"DDO of {len(data)} bytes exceeds {limits.max_plaintext_bytes}")
    return data


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# Strings are cut out before counting brackets, so that brackets inside them do not count.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1


def _nesting_depth(raw: bytes) -> int:
    """Deepest object/array nesting of a JSON text, measured before parsing: the C parser can exhaust the stack
    on deep nesting rather than fail cleanly."""
    brackets = _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def parse_ddo(plaintext: bytes, limits: PayloadLimits = DEFAULT_LIMITS) -> dict[str, Any]:
    """Parse DDO bytes: UTF-8 (a BOM is refused, as JSON forbids it), strict JSON (no NaN or Infinity), a
    top-level object, nesting at most `limits.max_json_depth` objects/arrays deep."""
    if len(plaintext) > limits.max_plaintext_bytes:
        raise MetadataError(ErrorCode.TOO_LARGE, f"DDO of {len(plaintext)} bytes exceeds {limits.max_plaintext_bytes}")
    try:
        text = plaintext.decode("utf-8")
    except UnicodeDecodeError as err:
        raise MetadataError(
            ErrorCode.NOT_UTF8, f"DDO is not UTF-8: byte 0x{plaintext[err.start]:02x} at offset {err.start}"
        ) from None
    # no deeper than its opening brackets are many: most DDOs are cleared without measuring
    opening = plaintext.count(b"[") + plaintext.count(b"{")
    if opening > limits.max_json_depth and _nesting_depth(plaintext) > limits.max_json_depth:
        raise MetadataError(ErrorCode.TOO_DEEP, f"DDO nests deeper than {limits.max_json_depth} levels")
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as err:
        raise MetadataError(
            ErrorCode.BAD_JSON, f"DDO is not JSON: {err.msg} at line {err.lineno} column {err.colno}"
        ) from None
    except ValueError as err:
        raise MetadataError(ErrorCode.BAD_JSON, f"DDO is not JSON: {err}") from None
    if not isinstance(value, dict):
        raise MetadataError(ErrorCode.NOT_AN_OBJECT, f"DDO must be a JSON object, got {type(value).__name__}")
    return value
