"""Remote decryption against a decrypt server that checks signatures the way the Provider does, reading the
payload of real `setMetaData` transactions on anvil."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import coincurve
import pytest

from aquarius.devenv.provider import DecryptServer, start_decrypt_server
from aquarius.devenv.publisher import DataAsset, encode_metadata
from aquarius.metadata.decrypt import RemoteDecryptor, RemoteDecryptorSettings
from aquarius.metadata.decryptor_url import DecryptorUrlPolicy
from aquarius.metadata.errors import ErrorCode, MetadataError
from aquarius.metadata.hashing import HashConvention, check_metadata_hash
from tests.chain.fixtures import Chain

LOCAL = RemoteDecryptorSettings(timeout_seconds=4.0, policy=DecryptorUrlPolicy(allow_private=True))


@dataclass
class Provider:
    server: DecryptServer
    url: str


@pytest.fixture(scope="module")
async def provider(ocean_chain: Chain) -> AsyncIterator[Provider]:
    server = DecryptServer(ocean_chain.w3)
    runner, url = await start_decrypt_server(server)
    try:
        yield Provider(server, url)
    finally:
        await runner.cleanup()


@pytest.fixture
def fresh(provider: Provider) -> Provider:
    provider.server.authorized = None
    provider.server.fail_with = None
    provider.server.hold = None
    provider.server.requests.clear()
    return provider


def _publish(chain: Chain, provider: Provider, flags: int = 3) -> tuple[DataAsset, str, bytes]:
    asset = chain.publisher.create_asset()
    ddo = {"id": asset.did, "version": "4.5.0", "metadata": {"name": "remote"}}
    payload = encode_metadata(ddo, flags, encrypt_to=provider.server.public_key_hex)
    receipt = chain.publisher.set_metadata(asset.nft, payload, decryptor_url=provider.url)
    return asset, receipt["transactionHash"].to_0x_hex(), payload.metadata_hash


def _key() -> str:
    return coincurve.PrivateKey().to_hex()


async def test_remote_decrypt_returns_the_ddo_bytes(chain: Chain, fresh: Provider) -> None:
    asset, tx, metadata_hash = _publish(chain, fresh)
    async with RemoteDecryptor(_key(), LOCAL) as decryptor:
        first = await decryptor.decrypt(fresh.url, tx_id=tx, chain_id=8996, nft_address=asset.nft)
        second = await decryptor.decrypt(fresh.url + "/", tx_id=tx, chain_id=8996, nft_address=asset.nft)
    assert first == second
    assert check_metadata_hash(first, metadata_hash) is HashConvention.BYTES
    assert fresh.server.verified_signers == [decryptor.address, decryptor.address]


async def test_request_body_has_the_provider_fields_and_a_nanosecond_nonce(chain: Chain, fresh: Provider) -> None:
    asset, tx, _ = _publish(chain, fresh, flags=2)
    before = time.time_ns()
    async with RemoteDecryptor(_key(), LOCAL) as decryptor:
        await decryptor.decrypt(fresh.url, tx_id=tx, chain_id=8996, nft_address=asset.nft.lower())
    (body,) = fresh.server.requests
    assert set(body) == {"transactionId", "chainId", "decrypterAddress", "dataNftAddress", "signature", "nonce"}
    assert body["transactionId"] == tx
    assert body["chainId"] == 8996
    assert body["dataNftAddress"] == asset.nft
    assert body["decrypterAddress"] == decryptor.address
    assert before <= int(body["nonce"]) <= time.time_ns()
    signature = bytes.fromhex(body["signature"].removeprefix("0x"))
    assert len(signature) == 65 and signature[64] in (0, 1)


async def test_403_is_a_final_refusal(chain: Chain, fresh: Provider) -> None:
    asset, tx, _ = _publish(chain, fresh)
    fresh.server.authorized = {"0x" + "00" * 20}
    async with RemoteDecryptor(_key(), LOCAL) as decryptor:
        with pytest.raises(MetadataError) as caught:
            await decryptor.decrypt(fresh.url, tx_id=tx, chain_id=8996, nft_address=asset.nft)
    assert caught.value.code is ErrorCode.DECRYPTOR_REFUSED
    assert not caught.value.retryable
    assert "Decrypter not authorized" in caught.value.message


@pytest.mark.parametrize("status", [500, 502, 400])
async def test_other_statuses_are_retryable(chain: Chain, fresh: Provider, status: int) -> None:
    asset, tx, _ = _publish(chain, fresh)
    fresh.server.fail_with = status
    async with RemoteDecryptor(_key(), LOCAL) as decryptor:
        with pytest.raises(MetadataError) as caught:
            await decryptor.decrypt(fresh.url, tx_id=tx, chain_id=8996, nft_address=asset.nft)
    assert caught.value.code is ErrorCode.DECRYPTOR_UNAVAILABLE
    assert caught.value.retryable
    assert f"answered {status}" in caught.value.message


async def test_a_silent_decryptor_times_out_as_retryable(fresh: Provider) -> None:
    fresh.server.hold = asyncio.Event()
    settings = RemoteDecryptorSettings(timeout_seconds=0.3, policy=LOCAL.policy)
    try:
        async with RemoteDecryptor(_key(), settings) as decryptor:
            with pytest.raises(MetadataError) as caught:
                await decryptor.decrypt(fresh.url, tx_id="0x" + "00" * 32, chain_id=8996, nft_address="0x" + "11" * 20)
    finally:
        fresh.server.hold.set()
    assert caught.value.code is ErrorCode.DECRYPTOR_UNAVAILABLE
    assert "TimeoutError" in caught.value.message


async def test_a_closed_port_is_retryable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with RemoteDecryptor(_key(), LOCAL) as decryptor:
        with pytest.raises(MetadataError) as caught:
            await decryptor.decrypt(
                f"http://127.0.0.1:{port}", tx_id="0x" + "00" * 32, chain_id=8996, nft_address="0x" + "11" * 20
            )
    assert caught.value.code is ErrorCode.DECRYPTOR_UNAVAILABLE


@pytest.mark.parametrize(
    "url",
    [
        "{local}",
        "http://localhost:{port}",
        "http://10.1.2.3",
        "http://192.168.1.1",
        "http://169.254.169.254/latest",
        "http://[::1]:{port}",
        "http://[::ffff:127.0.0.1]:{port}",
        "http://0.0.0.0:{port}",
        "ftp://provider.example.com",
        "file:///etc/passwd",
        "http://user:secret@provider.example.com",
    ],
)
async def test_default_policy_refuses_internal_targets_without_sending(fresh: Provider, url: str) -> None:
    port = fresh.url.rsplit(":", 1)[1]
    target = url.format(local=fresh.url, port=port)
    async with RemoteDecryptor(_key()) as decryptor:
        with pytest.raises(MetadataError) as caught:
            await decryptor.decrypt(target, tx_id="0x" + "00" * 32, chain_id=8996, nft_address="0x" + "11" * 20)
    assert caught.value.code is ErrorCode.DECRYPTOR_URL_REFUSED
    assert not caught.value.retryable
    assert fresh.server.requests == []


def test_public_addresses_pass_the_default_policy() -> None:
    policy = DecryptorUrlPolicy()
    assert policy.check_url("https://8.8.8.8/path") == "8.8.8.8"
    assert policy.check_url("https://provider.example.com") == "provider.example.com"
