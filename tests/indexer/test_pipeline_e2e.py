"""The metadata pipeline end to end on anvil: remote decryption through a Provider-like server, the retry queue
with a decryptor that fails, and every kind of rejection recorded without affecting the neighbouring assets."""

from __future__ import annotations

import asyncio
import hashlib
import lzma
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from web3 import Web3

from aquarius.devenv.ocean import deploy_ocean
from aquarius.devenv.provider import DecryptServer, start_decrypt_server
from aquarius.devenv.publisher import MetadataPayload, OceanPublisher, encode_metadata, new_account
from aquarius.store.base import Collection, Store
from indexer.retry_queue import RetryPolicy
from tests.chain.fixtures import Chain
from tests.indexer.harness import indexed_to, indexer_settings, running_indexer
from tests.indexer.test_metadata_e2e import ddo_for
from tests.store.backends import sqlite_store

FAST_RETRIES = RetryPolicy(first_delay=0.2, max_delay=0.4, max_attempts=3)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with sqlite_store(tmp_path / "store.sqlite") as opened:
        yield opened


async def _state(store: Store, did: str) -> dict[str, object]:
    return await store.get(Collection.STATES, did) or {}


async def _retry(store: Store, did_nft: str) -> dict[str, object]:
    await store.refresh()
    found = await store.search(Collection.RETRIES, {"query": {"match_all": {}}, "size": 50})
    entries = [h["_source"] for h in found["hits"]["hits"] if h["_source"]["nft_address"] == did_nft]
    return entries[0] if entries else {}


async def test_remote_decryption_and_the_retry_queue(chain: Chain, store: Store, tmp_path: Path) -> None:
    server = DecryptServer(chain.w3)
    runner, url = await start_decrypt_server(server)
    try:
        pub = chain.publisher
        remote = [pub.create_asset(f"remote {f}", f"R{f}") for f in (2, 3)]
        for flags, asset in zip((2, 3), remote, strict=True):
            payload = encode_metadata(
                ddo_for(asset.did, asset.nft, f"remote asset {flags}", asset.datatoken),
                flags,
                encrypt_to=server.public_key_hex,
            )
            pub.set_metadata(asset.nft, payload, decryptor_url=url)
        settings = indexer_settings(chain, tmp_path / "address.json", decryptor_allow_private=True)
        async with running_indexer(settings, store, FAST_RETRIES) as runtime:
            await indexed_to(runtime, chain.w3.eth.block_number)
            for flags, asset in zip((2, 3), remote, strict=True):
                doc = await store.get(Collection.ASSETS, asset.did)
                assert doc is not None and doc["metadata"]["name"] == f"remote asset {flags}"
            assert len(server.verified_signers) == 2  # the Provider checked our signatures

            # a decryptor that keeps failing: retried with backoff, then parked as dead; the chain goes on
            server.fail_with = 500
            poison = pub.create_asset("poison", "P")
            payload = encode_metadata(
                ddo_for(poison.did, poison.nft, "poison asset", poison.datatoken), 2, encrypt_to=server.public_key_hex
            )
            pub.set_metadata(poison.nft, payload, decryptor_url=url)
            after = pub.create_asset("after", "A")
            pub.set_metadata(after.nft, encode_metadata(ddo_for(after.did, after.nft, "after asset", after.datatoken)))
            await indexed_to(runtime, chain.w3.eth.block_number)
            assert await store.get(Collection.ASSETS, after.did) is not None
            await _until(lambda: _retry_status(store, poison.nft, "dead"))
            entry = await _retry(store, poison.nft)
            assert entry["attempts"] == 3 and "500" in str(entry["error"])
            assert await store.get(Collection.ASSETS, poison.did) is None
            assert (await _state(store, poison.did))["code"] == "retrying"

            # the same failure, mended before the cap: the retry queue indexes the asset
            healed = pub.create_asset("healed", "H")
            payload = encode_metadata(
                ddo_for(healed.did, healed.nft, "healed asset", healed.datatoken), 3, encrypt_to=server.public_key_hex
            )
            pub.set_metadata(healed.nft, payload, decryptor_url=url)
            await indexed_to(runtime, chain.w3.eth.block_number)
            assert (await _retry(store, healed.nft)).get("status") == "pending"
            server.fail_with = None
            await _until(lambda: _has_asset(store, healed.did))
            assert (await _state(store, healed.did))["valid"] is True
            assert await _retry(store, healed.nft) == {}
    finally:
        await runner.cleanup()


async def _retry_status(store: Store, nft: str, status: str) -> bool:
    return (await _retry(store, nft)).get("status") == status


async def _has_asset(store: Store, did: str) -> bool:
    return await store.get(Collection.ASSETS, did) is not None


async def _until(condition: Callable[[], Awaitable[bool]], seconds: float = 30.0) -> None:
    """The retry worker writes outside block application, which signals nothing: look every 0.1 s."""
    for _ in range(int(seconds * 10)):
        if await condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not met in time")


def _raw(data: bytes, flags: int, digest: bytes | None = None) -> MetadataPayload:
    return MetadataPayload(
        flags=flags, data=data, metadata_hash=digest or hashlib.sha256(data).digest(), plaintext=data
    )


async def test_each_rejection_is_recorded_and_neighbours_are_indexed(
    chain: Chain, store: Store, tmp_path: Path
) -> None:
    pub = chain.publisher
    validator = new_account()
    cases: dict[str, tuple[str, str]] = {}

    def neighbour(tag: str) -> str:
        asset = pub.create_asset(f"ok {tag}", "OK")
        pub.set_metadata(
            asset.nft,
            encode_metadata(ddo_for(asset.did, asset.nft, f"neighbour {tag}", asset.datatoken)),
            validators=[validator],
        )
        return asset.did

    def case(code: str, payload_for: object, **kwargs: object) -> None:
        asset = pub.create_asset(code, "X")
        payload = payload_for(asset) if callable(payload_for) else payload_for
        pub.set_metadata(asset.nft, payload, **kwargs)  # type: ignore[arg-type]
        cases[asset.did] = (code, neighbour(code))

    valid = lambda a: encode_metadata(ddo_for(a.did, a.nft, "valid document", a.datatoken))  # noqa: E731
    case("missing_proof", valid)
    case(
        "bad_flags",
        lambda a: _raw(encode_metadata(ddo_for(a.did, a.nft, "flags", a.datatoken)).data, 4),
        validators=[validator],
    )
    case("not_utf8", _raw(b'{"id": "\xff\xfe"}', 0), validators=[validator])
    case("bad_json", _raw(b'{"id": ', 0), validators=[validator])
    case("too_large", _raw(lzma.compress(b"\0" * 50_000_000), 1, hashlib.sha256(b"x").digest()), validators=[validator])
    case(
        "invalid_ddo",
        lambda a: encode_metadata({**ddo_for(a.did, a.nft, "bad", a.datatoken), "chainId": "x"}),
        validators=[validator],
    )
    # an NFT of another factory than the chain's Ocean one
    other = OceanPublisher(chain.w3, deploy_ocean(chain.w3))
    foreign = other.create_asset("foreign", "F")
    other.set_metadata(foreign.nft, valid(foreign), validators=[validator])
    cases[foreign.did] = ("not_factory_nft", neighbour("factory"))
    # a publisher who is not allowed
    outsider = OceanPublisher(chain.w3, chain.deployment, chain.w3.eth.accounts[4])
    banned = outsider.create_asset("outsider", "O")
    outsider.set_metadata(banned.nft, valid(banned), validators=[validator])
    cases[banned.did] = ("publisher_not_allowed", neighbour("publisher"))

    settings = indexer_settings(
        chain,
        tmp_path / "address.json",
        allowed_validators=[validator.address.lower()],
        allowed_publishers=[Web3.to_checksum_address(pub.account).lower()],
    )
    async with running_indexer(settings, store) as runtime:
        await indexed_to(runtime, chain.w3.eth.block_number)

    for did, (code, neighbour_did) in cases.items():
        state = await _state(store, did)
        assert state.get("valid") is False and state.get("code") == code, (code, state)
        assert await store.get(Collection.ASSETS, did) is None, code
        assert await store.get(Collection.ASSETS, neighbour_did) is not None, code
