"""Payloads read back from real `MetadataCreated` events decode and verify with the pipeline's blocks."""

from __future__ import annotations

import coincurve
import pytest
from web3.logs import DISCARD

from aquarius.devenv.publisher import encode_metadata
from aquarius.metadata.decrypt import LocalDecryptor
from aquarius.metadata.hashing import HashConvention, check_metadata_hash
from aquarius.metadata.payload import decode_payload, parse_ddo
from tests.chain.fixtures import Chain


@pytest.mark.parametrize(("flags", "convention"), [(0, "hex"), (1, "bytes"), (2, "bytes"), (3, "hex")])
def test_event_payload_decodes_and_matches_its_hash(chain: Chain, flags: int, convention: str) -> None:
    decryptor = LocalDecryptor(coincurve.PrivateKey().to_hex())
    asset = chain.publisher.create_asset()
    ddo = {"id": asset.did, "version": "4.5.0", "nftAddress": asset.nft, "chainId": 8996}
    payload = encode_metadata(ddo, flags, encrypt_to=decryptor.public_key_hex, hash_convention=convention)  # type: ignore[arg-type]
    receipt = chain.publisher.set_metadata(asset.nft, payload)

    (event,) = chain.publisher.nft(asset.nft).events.MetadataCreated().process_receipt(receipt, errors=DISCARD)
    args = event["args"]
    plaintext = decode_payload(bytes(args["flags"]), bytes(args["data"]), decrypt=decryptor.decrypt)
    expected = HashConvention.BYTES if convention == "bytes" else HashConvention.HEX_STRING
    assert check_metadata_hash(plaintext, bytes(args["metaDataHash"])) is expected
    assert parse_ddo(plaintext) == ddo
