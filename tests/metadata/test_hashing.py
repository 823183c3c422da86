"""The two metaDataHash conventions, and nothing else."""

from __future__ import annotations

import hashlib

import pytest

from aquarius.devenv.publisher import encode_metadata
from aquarius.metadata.errors import ErrorCode, MetadataError
from aquarius.metadata.hashing import HashConvention, check_metadata_hash

DDO = {"id": "did:op:" + "b" * 64, "version": "4.1.0", "metadata": {"name": "hash me"}}


@pytest.mark.parametrize(
    ("convention", "expected"), [("bytes", HashConvention.BYTES), ("hex", HashConvention.HEX_STRING)]
)
def test_both_publisher_conventions_are_recognised(convention: str, expected: HashConvention) -> None:
    payload = encode_metadata(DDO, hash_convention=convention)  # type: ignore[arg-type]
    assert check_metadata_hash(payload.plaintext, payload.metadata_hash) is expected
    assert check_metadata_hash(payload.plaintext, "0x" + payload.metadata_hash.hex()) is expected
    assert check_metadata_hash(payload.plaintext, payload.metadata_hash.hex().upper()) is expected


def test_mismatch_names_all_three_hashes() -> None:
    plaintext = b'{"a":1}'
    wrong = hashlib.sha256(b'{"a": 1}').digest()
    with pytest.raises(MetadataError) as caught:
        check_metadata_hash(plaintext, wrong)
    assert caught.value.code is ErrorCode.HASH_MISMATCH
    assert not caught.value.retryable
    message = caught.value.message
    assert wrong.hex() in message
    assert hashlib.sha256(plaintext).hexdigest() in message
    assert hashlib.sha256(b"0x" + plaintext.hex().encode()).hexdigest() in message


def test_hash_of_the_hex_string_without_0x_is_not_a_convention() -> None:
    plaintext = b'{"a":1}'
    with pytest.raises(MetadataError):
        check_metadata_hash(plaintext, hashlib.sha256(plaintext.hex().encode()).digest())
    with pytest.raises(MetadataError, match="is not hex"):
        check_metadata_hash(plaintext, "0xnothex")
