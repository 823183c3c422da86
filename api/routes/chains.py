"""`/api/aquarius/chains/*`: which chains are indexed and how far, from the per-chain cursor records."""

from __future__ import annotations

from aiohttp import web

from api.context import context
from api.responses import error, jsonify
from api.version import VERSION
from aquarius.store.base import Collection, Doc, Store

routes = web.RouteTableDef()

MAX_CHAINS = 1000


async def chain_records(store: Store) -> dict[int, Doc]:
    """Every chain's cursor record, by chain id."""
    result = await store.search(Collection.CHAINS, {"size": MAX_CHAINS, "query": {"match_all": {}}})
    sources = (hit["_source"] for hit in result["hits"]["hits"])
    return {int(source["chain_id"]): source for source in sources if "chain_id" in source}


@routes.get("/api/aquarius/chains/list")
async def chains_list(request: web.Request) -> web.Response:
    chains = {str(chain_id): True for chain_id in await chain_records(context(request).store)}
    if not chains:
        return error(404, "No chains found.")
    return jsonify(chains)


@routes.get("/api/aquarius/chains/status/{chain_id}")
async def chain_status(request: web.Request) -> web.Response:
    chain_id = request.match_info["chain_id"]
    record = await context(request).store.get(Collection.CHAINS, chain_id)
    last_block = (record or {}).get("last_block")
    if not isinstance(last_block, int) or last_block < 0:
        return error(404, f"Chain {chain_id} is not indexed.")
    return jsonify({"last_block": last_block, "version": VERSION})
