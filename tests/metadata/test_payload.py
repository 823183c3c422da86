"""Decoding on-chain metadata payloads: flags, bounded decompression, strict bounded JSON."""

from __future__ import annotations

import json
import lzma
import time
import tracemalloc

import coincurve
import pytest

from aquarius.devenv.publisher import encode_metadata
from aquarius.metadata.decrypt import LocalDecryptor
from aquarius.metadata.errors import ErrorCode, MetadataError
from aquarius.metadata.payload import Flags, PayloadLimits, decode_payload, decompress, parse_ddo, parse_flags

DDO = {"id": "did:op:" + "a" * 64, "version": "4.5.0", "metadata": {"name": "Ünïcode asset", "tags": ["a", "b"]}}


@pytest.fixture(scope="module")
def decryptor() -> LocalDecryptor:
    return LocalDecryptor(coincurve.PrivateKey().to_hex())


def _code(call: object) -> ErrorCode:
    with pytest.raises(MetadataError) as caught:
        call()  # type: ignore[operator]
    return caught.value.code


@pytest.mark.parametrize("flags", [0, 1, 2, 3])
def test_every_flag_combination_round_trips(flags: int, decryptor: LocalDecryptor) -> None:
    payload = encode_metadata(DDO, flags, encrypt_to=decryptor.public_key_hex)
    plaintext = decode_payload(bytes([flags]), payload.data, decrypt=decryptor.decrypt)
    assert plaintext == payload.plaintext
    assert parse_ddo(plaintext) == DDO


def test_flags_are_one_byte_with_known_bits_only() -> None:
    assert parse_flags(b"") == Flags(0)
    assert parse_flags(b"\x03") == Flags.COMPRESSED | Flags.ENCRYPTED
    assert parse_flags(2) == Flags.ENCRYPTED
    for bad in (b"\x04", b"\x80", b"\x07", b"\x00\x01", 256, -1):
        with pytest.raises(MetadataError) as caught:
            parse_flags(bad)
        assert caught.value.code is ErrorCode.BAD_FLAGS
    with pytest.raises(MetadataError, match=r"flags 0x05 set unknown bits 0x04"):
        parse_flags(b"\x05")


def test_encrypted_payload_without_a_local_key_asks_for_the_remote_decryptor(decryptor: LocalDecryptor) -> None:
    payload = encode_metadata(DDO, 2, encrypt_to=decryptor.public_key_hex)
    assert _code(lambda: decode_payload(b"\x02", payload.data)) is ErrorCode.NO_DECRYPTOR


def test_payload_encrypted_to_another_key_fails_decryption(decryptor: LocalDecryptor) -> None:
    other = coincurve.PrivateKey().public_key.format().hex()
    payload = encode_metadata(DDO, 3, encrypt_to=other)
    assert _code(lambda: decode_payload(b"\x03", payload.data, decrypt=decryptor.decrypt)) is (
        ErrorCode.DECRYPTION_FAILED
    )


def test_flag_says_compressed_but_data_is_not() -> None:
    raw = json.dumps(DDO).encode()
    assert _code(lambda: decode_payload(b"\x01", raw)) is ErrorCode.DECOMPRESSION_FAILED
    truncated = lzma.compress(raw)[:-8]
    with pytest.raises(MetadataError, match="ended before the stream did"):
        decode_payload(b"\x01", truncated)


def test_concatenated_streams_decompress_like_lzma_decompress() -> None:
    data = lzma.compress(b'{"a":') + lzma.compress(b"1}")
    assert decompress(data) == lzma.decompress(data) == b'{"a":1}'


def test_legacy_lzma_container_is_accepted() -> None:
    raw = json.dumps(DDO).encode()
    assert decode_payload(b"\x01", lzma.compress(raw, format=lzma.FORMAT_ALONE)) == raw


def test_a_gigabyte_bomb_is_refused_quickly_with_bounded_memory() -> None:
    # 256 concatenated xz streams of 4 MiB of zeros each: 1 GiB for `lzma.decompress`, 40 kB on chain.
    stream = lzma.compress(bytes(4 << 20), preset=0)
    bomb = stream * 256
    limits = PayloadLimits(max_plaintext_bytes=5 << 20)
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(MetadataError) as caught:
            decode_payload(b"\x01", bomb, limits=limits)
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.code is ErrorCode.TOO_LARGE
    assert "exceeds 5242880 bytes" in caught.value.message
    assert elapsed < 2.0
    assert peak < 3 * limits.max_plaintext_bytes


def test_a_single_stream_bomb_stops_at_the_limit() -> None:
    bomb = lzma.compress(bytes(16 << 20), preset=0)
    limits = PayloadLimits(max_plaintext_bytes=1 << 20)
    assert _code(lambda: decode_payload(b"\x01", bomb, limits=limits)) is ErrorCode.TOO_LARGE
    assert len(decompress(bomb, PayloadLimits(max_plaintext_bytes=16 << 20))) == 16 << 20


def test_plain_payload_beyond_the_limit_is_refused() -> None:
    limits = PayloadLimits(max_plaintext_bytes=100)
    assert _code(lambda: decode_payload(b"\x00", b"{" + b" " * 100 + b"}", limits=limits)) is ErrorCode.TOO_LARGE
    assert _code(lambda: parse_ddo(b"{" + b" " * 100 + b"}", limits)) is ErrorCode.TOO_LARGE


def test_json_errors_are_precise() -> None:
    with pytest.raises(MetadataError, match=r"not UTF-8: byte 0xff at offset 7") as caught:
        parse_ddo(b'{"a": "\xff"}')
    assert caught.value.code is ErrorCode.NOT_UTF8
    with pytest.raises(MetadataError, match=r"line 2 column 1") as caught:
        parse_ddo(b'{"a": 1,\n}')
    assert caught.value.code is ErrorCode.BAD_JSON
    assert _code(lambda: parse_ddo(b'{"a": NaN}')) is ErrorCode.BAD_JSON
    assert _code(lambda: parse_ddo(b"\xef\xbb\xbf{}")) is ErrorCode.BAD_JSON
    with pytest.raises(MetadataError, match="got list") as caught:
        parse_ddo(b"[1, 2]")
    assert caught.value.code is ErrorCode.NOT_AN_OBJECT


def test_json_depth_is_bounded() -> None:
    limits = PayloadLimits(max_json_depth=8)
    assert parse_ddo(b'{"a":' * 8 + b"1" + b"}" * 8, limits)
    assert _code(lambda: parse_ddo(b'{"a":' * 9 + b"1" + b"}" * 9, limits)) is ErrorCode.TOO_DEEP
    assert _code(lambda: parse_ddo(b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}")) is ErrorCode.TOO_DEEP


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    limits = PayloadLimits(max_json_depth=2)
    assert parse_ddo(b'{"a": "[[[[{{{{\\"[[[", "b": [1]}', limits) == {"a": '[[[[{{{{"[[[', "b": [1]}


def test_depth_scan_of_a_large_document_is_fast() -> None:
    doc = json.dumps({"items": [{"name": "x" * 40, "tags": ["[", "]", "{"]} for _ in range(40_000)]}).encode()
    assert len(doc) > 3 << 20
    started = time.monotonic()
    assert len(parse_ddo(doc)["items"]) == 40_000
    assert time.monotonic() - started < 1.5
