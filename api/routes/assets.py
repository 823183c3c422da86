"""`/api/aquarius/assets/*`: DDOs, metadata, names, search (both client generations) and cache triggering."""

from __future__ import annotations

import re
import time
from typing import Any

from aiohttp import web

from api.context import context
from api.params import as_int
from api.query_guard import RefusedQuery, guard_search
from api.responses import INVALID_PAYLOAD, BadPayload, document, error, json_object, jsonify, parse_json
from aquarius.store.base import Collection, Doc, Write

routes = web.RouteTableDef()

PREFIX = "/api/aquarius/assets"
HISTORY_PAGE = 50
HISTORY_PAGE_MAX = 500
_TX_HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")
# Ocean-Node-era clients name the collection they mean; these names all mean "the DDOs".
_DDO_COLLECTION = re.compile(r"^op_ddo_")
# What the indexer adds to a DDO. Classic clients read it at top level, Ocean-Node-era ones (ocean.js >= 4.1,
# e.g. `waitForIndexer` matching `indexedMetadata.event.txid`) under `indexedMetadata`: both are served.
_INDEXED_FIELDS = ("nft", "event", "stats", "purgatory")


def with_indexed_metadata(doc: Doc) -> Doc:
    indexed = {key: doc[key] for key in _INDEXED_FIELDS if key in doc}
    return {**doc, "indexedMetadata": indexed} if indexed else doc


def _is_listed(doc: Doc) -> bool:
    status = doc.get("status")
    return not (isinstance(status, dict) and status.get("isListed") is False)


@routes.get(PREFIX + "/ddo/{did}")
async def get_ddo(request: web.Request) -> web.Response:
    did = request.match_info["did"]
    doc = await context(request).store.get(Collection.ASSETS, did)
    if doc is None:
        # ocean.py's `ddo_exists` looks for exactly this text.
        return error(404, f"Asset DID {did} not found in Elasticsearch.")
    if not _is_listed(doc):
        return error(404, f"Error encountered while searching the asset DID {did}: the asset is unlisted.")
    # A soft-deleted asset (deprecated, revoked) is answered as stored: event, nft, datatokens and stats only.
    return document(with_indexed_metadata(doc))


@routes.get(PREFIX + "/history/{did}")
async def get_history(request: web.Request) -> web.Response:
    """The asset's provenance, oldest first: metadata versions, state changes, transfers, orders, data."""
    did = request.match_info["did"]
    page = max(as_int(request.query.get("page")) or 1, 1)
    size = min(max(as_int(request.query.get("size")) or HISTORY_PAGE, 1), HISTORY_PAGE_MAX)
    body = {
        "query": {"term": {"did.keyword": did}},
        "sort": [{"block": "asc"}, {"log_index": "asc"}],
        "from": (page - 1) * size,
        "size": size,
    }
    found = await context(request).store.search(Collection.HISTORY, body)
    total = found["hits"]["total"]["value"]
    if total == 0:
        return error(404, f"No history for asset {did}.")
    entries = [hit["_source"] for hit in found["hits"]["hits"]]
    return jsonify({"did": did, "page": page, "size": size, "total": total, "entries": entries})


@routes.get(PREFIX + "/metadata/{did}")
async def get_metadata(request: web.Request) -> web.Response:
    did = request.match_info["did"]
    doc = await context(request).store.get(Collection.ASSETS, did)
    if doc is None:
        reason = f"asset {did} not found"
    elif not _is_listed(doc):
        reason = "the asset is unlisted"
    elif "metadata" not in doc:
        reason = "the asset has no metadata (deprecated or revoked)"
    else:
        return document(doc["metadata"])
    return error(404, f"Error encountered while retrieving metadata: {reason}.")


@routes.post(PREFIX + "/names")
async def get_names(request: web.Request) -> web.Response:
    data: Any = dict(request.query) if request.query else await json_object(request)
    if "didList" not in data:
        return error(400, "`didList` is required in the request payload.")
    dids = data["didList"]
    if not dids:
        return error(400, "The requested didList can not be empty.")
    if not isinstance(dids, list):
        return error(400, "The didList must be a list.")
    if not all(isinstance(did, str) for did in dids):
        return error(400, "The didList must be a list of strings.")
    found = await context(request).store.mget(Collection.ASSETS, [did for did in dids if did])
    names: dict[str, Any] = {}
    for did in dids:
        doc = found.get(did)
        name = (doc.get("metadata") or {}).get("name") if doc and _is_listed(doc) else None
        names[did] = name if name is not None else ""
    return jsonify(names)


@routes.post(PREFIX + "/query")
async def query(request: web.Request) -> web.Response:
    ctx = context(request)
    body = parse_json(await request.read())
    guarded = guard_search(body, ctx.settings.query_max_size)
    return jsonify(await ctx.store.search(Collection.ASSETS, guarded))


@routes.post(PREFIX + "/metadata/query")
async def metadata_query(request: web.Request) -> web.Response:
    """The Ocean Node form of search: `from` is a 1-based page, `size` defaults to 100, an `index` key names
    the DDO collection, and the answer is a list of lists of documents (one list per collection searched)."""
    ctx = context(request)
    body = parse_json(await request.read())
    if not isinstance(body, dict):
        raise BadPayload(INVALID_PAYLOAD)
    body = dict(body)
    named = body.pop("index", None)
    if named is not None and not (
        isinstance(named, str) and (named == ctx.store.asset_index_name or _DDO_COLLECTION.match(named))
    ):
        raise RefusedQuery(f"`index` may only name the DDO collection, not {named!r}")
    size = as_int(body.get("size")) or 100
    page = as_int(body.get("from")) or 1
    body["size"] = size
    body["from"] = max(page, 1) * size - size
    guarded = guard_search(body, ctx.settings.query_max_size)
    result = await ctx.store.search(Collection.ASSETS, guarded)
    docs = [{**hit.get("_source", {}), "id": hit["_id"]} for hit in result["hits"]["hits"]]
    return jsonify([docs] if docs else [])


@routes.post(PREFIX + "/triggerCaching")
async def trigger_caching(request: web.Request) -> web.Response:
    data: Any = dict(request.query) if request.query else await json_object(request)
    tx_id = data.get("transactionId")
    chain_id = as_int(data.get("chain_id", data.get("chainId")))
    if not isinstance(tx_id, str) or not _TX_HASH.match(tx_id) or chain_id is None or chain_id <= 0:
        return error(400, "Invalid transactionId or chain_id")
    raw_index = data.get("logIndex")
    log_index = None if raw_index is None else as_int(raw_index)
    if raw_index is not None and (log_index is None or log_index < 0):
        return error(400, "Invalid logIndex")
    tx_id = tx_id.lower()
    suffix = "all" if log_index is None else str(log_index)
    element = {
        "chain_id": chain_id,
        "tx_id": tx_id,
        "log_index": log_index,
        "type": "tx",
        "status": "pending",
        "attempts": 0,
        "next_retry": time.time(),
    }
    await context(request).store.write([Write(Collection.RETRIES, f"{chain_id}:{tx_id}:tx:{suffix}", element)])
    return jsonify("Queued")
