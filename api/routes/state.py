"""`/api/aquarius/state/*`: the last processing outcome per asset and the retry queue."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from api.context import context
from api.params import as_int
from api.responses import error, jsonify
from aquarius.store.base import Collection

routes = web.RouteTableDef()

RETRY_QUEUE_SIZE = 10_000


def _chain_filter(value: str | None) -> list[dict[str, Any]] | None:
    """The `chainId` filter, [] when absent, None when it is not an integer."""
    if value is None:
        return []
    chain_id = as_int(value)
    return None if chain_id is None else [{"term": {"chain_id": chain_id}}]


def _query(filters: list[dict[str, Any]]) -> dict[str, Any]:
    return {"bool": {"filter": filters}} if filters else {"match_all": {}}


@routes.get("/api/aquarius/state/ddo")
async def ddo_state(request: web.Request) -> web.Response:
    args = request.query
    did, nft, tx_id = args.get("did"), args.get("nft"), args.get("txId")
    if not (did or nft or tx_id):
        return error(400, "You need to specify one of: nft, txId, did")
    filters = _chain_filter(args.get("chainId"))
    if filters is None:
        return error(400, "chainId must be an integer")
    if did:
        filters.append({"term": {"did.keyword": did}})
    if nft:
        filters.append({"match": {"nft": nft}})
    if tx_id:
        filters.append({"match": {"tx_id": tx_id}})
    result = await context(request).store.search(Collection.STATES, {"size": 1, "query": _query(filters)})
    hits = result["hits"]["hits"]
    if not hits:
        return error(404, "No state found for the given nft, txId or did.")
    return jsonify(hits[0]["_source"])


@routes.get("/api/aquarius/state/retryQueue")
async def retry_queue(request: web.Request) -> web.Response:
    args = request.query
    filters = _chain_filter(args.get("chainId"))
    if filters is None:
        return error(400, "chainId must be an integer")
    if args.get("nft"):
        filters.append({"match": {"nft_address": args["nft"]}})
    if args.get("did"):
        filters.append({"term": {"did.keyword": args["did"]}})
    if args.get("type"):
        filters.append({"term": {"type.keyword": args["type"]}})
    body = {"size": RETRY_QUEUE_SIZE, "query": _query(filters)}
    return jsonify(await context(request).store.search(Collection.RETRIES, body))
