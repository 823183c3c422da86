"""A small decrypt server that behaves like Ocean Provider's `POST /api/services/decrypt`: it verifies the
caller's signature by recovering the signer, refuses replayed nonces and unauthorized decrypters (403), re-reads
the metadata event of the transaction from the chain, decrypts it with its own key, decompresses, checks the hash
and answers 201 with the DDO bytes."""

from __future__ import annotations

import asyncio
import hashlib
import lzma
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import coincurve
import ecies
from aiohttp import web
from eth_keys import keys
from eth_utils import keccak, to_checksum_address
from web3 import Web3
from web3.logs import DISCARD

from aquarius import contracts


@dataclass
class DecryptServer:
    w3: Web3
    key: coincurve.PrivateKey = field(default_factory=coincurve.PrivateKey)
    authorized: set[str] | None = None  # None: every decrypter
    fail_with: int | None = None  # answer this status to every request
    hold: asyncio.Event | None = None  # wait for this event before answering
    last_nonce: dict[str, Decimal] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    verified_signers: list[str] = field(default_factory=list)

    @property
    def public_key_hex(self) -> str:
        return self.key.public_key.format(True).hex()

    def _signer(self, body: dict[str, Any]) -> str:
        message = f"{body['transactionId'] or body['dataNftAddress']}{body['decrypterAddress']}{body['chainId']}"
        message += str(body["nonce"])
        digest = keccak(b"\x19Ethereum Signed Message:\n32" + keccak(text=message))
        raw = bytearray(bytes.fromhex(body["signature"].removeprefix("0x")))
        if raw[64] >= 27:
            raw[64] -= 27
        return keys.Signature(bytes(raw)).recover_public_key_from_msg_hash(digest).to_checksum_address()

    def _plaintext(self, tx_id: str, nft: str) -> bytes:
        receipt = self.w3.eth.get_transaction_receipt(tx_id)  # type: ignore[arg-type]
        nft_contract = self.w3.eth.contract(address=to_checksum_address(nft), abi=contracts.abi("ERC721Template"))
        events = nft_contract.events.MetadataCreated().process_receipt(receipt, errors=DISCARD)
        events = events or nft_contract.events.MetadataUpdated().process_receipt(receipt, errors=DISCARD)
        args = events[0]["args"]
        flags, data = args["flags"][0], bytes(args["data"])
        if flags & 2:
            data = ecies.decrypt(self.key.to_hex(), data)
        if flags & 1:
            data = lzma.decompress(data)
        if hashlib.sha256(data).digest() != bytes(args["metaDataHash"]):
            raise web.HTTPBadRequest(text="Checksum doesn't match.")
        return data

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        if self.hold is not None:
            await self.hold.wait()
        if self.fail_with is not None:
            return web.Response(status=self.fail_with, text="provider trouble")
        address = body["decrypterAddress"]
        if self._signer(body) != address:
            return web.Response(status=400, text="Invalid signature")
        nonce = Decimal(body["nonce"])
        if nonce < self.last_nonce.get(address, Decimal(0)):
            return web.Response(status=400, text="Invalid nonce")
        self.last_nonce[address] = nonce
        self.verified_signers.append(address)
        if self.authorized is not None and address not in self.authorized:
            return web.Response(status=403, text="Decrypter not authorized")
        plaintext = await asyncio.to_thread(self._plaintext, body["transactionId"], body["dataNftAddress"])
        return web.Response(status=201, body=plaintext, content_type="text/plain")


async def start_decrypt_server(server: DecryptServer, port: int = 0) -> tuple[web.AppRunner, str]:
    """Serve `server` on loopback, on `port` (0: a free one); returns the runner and the base URL."""
    app = web.Application()
    app.router.add_post("/api/services/decrypt", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"
