"""DDO validation with the indexer's signature (`/api/aquarius/assets/ddo/validate`) and the nonce route
Ocean-Node-era clients call before it (`/api/services/nonce`).

Two request forms are served. The classic one posts the raw DDO bytes (octet-stream) and gets a proof over
sha256 of exactly those bytes. The Ocean-Node-era one posts `{ddo, publisherAddress, nonce, signature}` (JSON
or octet-stream); the DDO it will put on chain is `JSON.stringify(ddo)`, so the proof is over that text."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from aiohttp import web

from api.context import ApiContext, context
from api.js_json import js_stringify
from api.params import as_int
from api.responses import INVALID_PAYLOAD, error, jsonify, parse_json
from api.signing import UNSIGNED, signed_by
from aquarius.store.base import Collection, Write

routes = web.RouteTableDef()

_ACCEPTED_TYPES = ("application/octet-stream", "application/json")
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_AUTH_FIELDS = ("publisherAddress", "nonce", "signature")


def _nonce_id(address: str) -> str:
    return f"nonce:{address.lower()}"


async def _stored_nonce(ctx: ApiContext, address: str) -> int:
    record = await ctx.store.get(Collection.META, _nonce_id(address))
    return int((record or {}).get("nonce", 0))


@routes.get("/api/services/nonce")
async def get_nonce(request: web.Request) -> web.Response:
    address = request.query.get("userAddress", "")
    if not _ADDRESS.match(address):
        return error(400, "userAddress must be a 0x-prefixed 20-byte hex address")
    return jsonify({"nonce": await _stored_nonce(context(request), address)})


async def _check_request_signature(ctx: ApiContext, wrapper: dict[str, Any]) -> str | None:
    """None when the wrapper's signature and nonce are good (the nonce is then used up), else the reason."""
    address, signature = wrapper.get("publisherAddress"), wrapper.get("signature")
    nonce = as_int(wrapper.get("nonce"))
    if not isinstance(address, str) or not _ADDRESS.match(address) or not isinstance(signature, str):
        return "publisherAddress, nonce and signature are all required to sign a validate request"
    if nonce is None or nonce <= await _stored_nonce(ctx, address):
        return "the nonce must be greater than the last one used by this address"
    ddo_id = str(wrapper["ddo"].get("id", ""))
    # The signed text changed across ocean.js versions; every form seen in the wild is accepted.
    messages = [f"{address}{nonce}validateDDO", f"{address}{nonce}", f"{ddo_id}{nonce}"]
    if not signed_by(address, signature, messages):
        return "the signature does not match publisherAddress"
    await ctx.store.write([Write(Collection.META, _nonce_id(address), {"address": address.lower(), "nonce": nonce})])
    return None


@routes.post("/api/aquarius/assets/ddo/validate")
async def validate(request: web.Request) -> web.Response:
    ctx = context(request)
    if request.content_type not in _ACCEPTED_TYPES:
        return error(400, "Invalid request content type: should be application/octet-stream")
    raw = await request.read()
    data = parse_json(raw)
    if not isinstance(data, dict):
        return error(400, INVALID_PAYLOAD)
    signed_bytes = raw
    if isinstance(data.get("ddo"), dict) and "version" not in data:
        if any(field in data for field in _AUTH_FIELDS):
            reason = await _check_request_signature(ctx, data)
            if reason is not None:
                return error(401, reason)
        data = data["ddo"]
        signed_bytes = js_stringify(data).encode()
    if not data.get("version"):
        # The text ocean.js 4.0 matches on to fall back to the classic request form.
        return jsonify([{"message": "no version provided for DDO."}], 400)
    if ctx.validator is not None:
        try:
            errors = ctx.validator(data)
        except ValueError as err:
            return error(400, f"Encountered error when validating asset: {err}.")
        if errors:
            return jsonify({"errors": errors}, 400)
    if ctx.signer is None:
        return jsonify(UNSIGNED)
    return jsonify(ctx.signer.proof(hashlib.sha256(signed_bytes).digest()))
