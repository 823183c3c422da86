"""DDO validation: the classic raw-bytes form signed as the data NFT contract verifies it (checked on a real
chain), the Ocean-Node-era signed wrapper with its nonce route, and the texts clients match on."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import keccak
from web3.logs import DISCARD

from aquarius.devenv.ocean import transact
from tests.api.conftest import INDEXER_ADDRESS, Api
from tests.chain.fixtures import Chain

VALIDATE = "/api/aquarius/assets/ddo/validate"
OCTET = {"Content-Type": "application/octet-stream"}


def ddo(did: str = "did:op:" + "1" * 64, **extra: Any) -> dict[str, Any]:
    return {"@context": ["https://w3id.org/did/v1"], "id": did, "version": "4.1.0", "metadata": {"name": "x"}, **extra}


async def validate(api: Api, data: bytes, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    async with api.post(VALIDATE, data=data, headers=headers or OCTET) as response:
        return response.status, await response.read()


def recover(proof: dict[str, Any]) -> str:
    digest = bytes.fromhex(proof["hash"][2:])
    vrs = (proof["v"], int(proof["r"][0], 16), int(proof["s"][0], 16))
    return str(Account.recover_message(encode_defunct(primitive=digest), vrs=vrs))


async def test_classic_validate_signs_sha256_of_the_exact_posted_bytes(api: Api) -> None:
    raw = b'{ "version": "4.1.0",  "metadata": {"name": "spaced out"},\n "id": "did:op:1" }'
    status, body = await validate(api, raw)
    assert status == 200
    proof = json.loads(body)
    assert body.startswith(b'{"hash":"0x')
    assert proof["hash"] == "0x" + hashlib.sha256(raw).hexdigest()
    assert proof["publicKey"] == INDEXER_ADDRESS
    assert proof["v"] in (27, 28)
    assert isinstance(proof["r"], list) and len(proof["r"]) == 1 and len(proof["r"][0]) == 66
    assert isinstance(proof["s"], list) and len(proof["s"]) == 1 and len(proof["s"][0]) == 66
    assert recover(proof) == INDEXER_ADDRESS


async def test_the_data_nft_contract_accepts_the_proof(api: Api, chain: Chain) -> None:
    asset = chain.publisher.create_asset()
    plaintext = json.dumps(ddo(asset.did), separators=(",", ":")).encode()
    status, body = await validate(api, plaintext)
    assert status == 200
    proof = json.loads(body)
    digest = bytes.fromhex(proof["hash"][2:])
    proofs = [(proof["publicKey"], proof["v"], bytes.fromhex(proof["r"][0][2:]), bytes.fromhex(proof["s"][0][2:]))]
    nft = chain.publisher.nft(asset.nft)
    call = nft.functions.setMetaData(0, "http://provider.test", "0x", bytes([0]), plaintext, digest, proofs)
    receipt = transact(chain.w3, call, chain.publisher.account)
    validated = nft.events.MetadataValidated().process_receipt(receipt, errors=DISCARD)
    assert [event["args"]["validator"] for event in validated] == [INDEXER_ADDRESS]
    assert validated[0]["args"]["metaDataHash"] == digest


async def test_no_version_answers_the_text_ocean_js_matches(api: Api) -> None:
    for payload in ({"metadata": {"name": "x"}}, {"ddo": {"id": "did:op:1"}}):
        status, body = await validate(api, json.dumps(payload).encode())
        assert (status, body) == (400, b'[{"message":"no version provided for DDO."}]\n')


@pytest.mark.parametrize(
    ("data", "headers", "message"),
    [
        (b"{}", {"Content-Type": "text/plain"}, "Invalid request content type: should be application/octet-stream"),
        (b"{not json", OCTET, "Invalid payload. The request could not be converted into a dict."),
        (b'["version"]', OCTET, "Invalid payload. The request could not be converted into a dict."),
    ],
)
async def test_validate_refusals(api: Api, data: bytes, headers: dict[str, str], message: str) -> None:
    status, body = await validate(api, data, headers)
    assert (status, json.loads(body)) == (400, {"error": message})


async def test_schema_errors_are_reported_per_field(api: Api) -> None:
    status, body = await validate(api, json.dumps({"version": "4.1.0", "id": "did:op:1"}).encode())
    assert (status, json.loads(body)) == (400, {"errors": {"metadata": "Metadata is missing or invalid."}})


async def test_without_a_key_every_proof_field_is_empty(serve: Any) -> None:
    async with serve(PRIVATE_KEY="") as api:
        status, body = await validate(api, json.dumps(ddo()).encode())
    assert (status, json.loads(body)) == (200, {"hash": "", "publicKey": "", "r": "", "s": "", "v": ""})


def ocean_js_signature(account: Any, nonce: int) -> str:
    message = f"{account.address}{nonce}validateDDO"
    return str(account.sign_message(encode_defunct(primitive=keccak(text=message))).signature.to_0x_hex())


async def nonce_of(api: Api, address: str) -> Any:
    async with api.get(f"/api/services/nonce?userAddress={address}") as response:
        assert response.status == 200
        return (await response.json())["nonce"]


async def test_ocean_js_signed_wrapper_with_nonce(api: Api) -> None:
    publisher = Account.create()
    assert await nonce_of(api, publisher.address) == 0
    document = ddo(metadata={"name": "Café ☕", "price": 1.0})
    wrapper = {"ddo": document, "publisherAddress": publisher.address, "nonce": "1"}
    wrapper["signature"] = ocean_js_signature(publisher, 1)
    headers = {"Content-Type": "application/json", "Authorization": "undefined"}
    status, body = await validate(api, json.dumps(wrapper).encode(), headers)
    assert status == 200, body
    # What JSON.stringify(ddo) gives, i.e. what the client puts on chain: integral numbers without ".0".
    on_chain = (
        '{"@context":["https://w3id.org/did/v1"],"id":"did:op:' + "1" * 64 + '","version":"4.1.0",'
        '"metadata":{"name":"Café ☕","price":1}}'
    ).encode()
    proof = json.loads(body)
    assert proof["hash"] == "0x" + hashlib.sha256(on_chain).hexdigest()
    assert recover(proof) == INDEXER_ADDRESS
    assert await nonce_of(api, publisher.address) == 1

    status, body = await validate(api, json.dumps(wrapper).encode(), headers)
    assert status == 401 and "nonce" in json.loads(body)["error"]
    impostor = Account.create()
    wrapper |= {"nonce": 2, "signature": ocean_js_signature(impostor, 2)}
    status, body = await validate(api, json.dumps(wrapper).encode(), headers)
    assert status == 401 and "signature" in json.loads(body)["error"]


async def test_unsigned_wrapper_as_octet_stream(api: Api) -> None:
    document = ddo()
    status, body = await validate(api, json.dumps({"ddo": document}).encode())
    assert status == 200
    assert (
        json.loads(body)["hash"]
        == "0x" + hashlib.sha256(json.dumps(document, separators=(",", ":")).encode()).hexdigest()
    )


async def test_nonce_route_refuses_a_bad_address(api: Api) -> None:
    async with api.get("/api/services/nonce?userAddress=0x12") as response:
        assert response.status == 400
