"""Service routes: identity (`/`), liveness (`/health`), readiness (`/ready`), metrics, the OpenAPI document
and its interactive page."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from api.context import ApiContext, context
from api.docs_page import DOCS_PAGE
from api.middleware import METRICS
from api.openapi import openapi_document
from api.responses import jsonify
from api.routes.chains import chain_records
from api.version import VERSION

routes = web.RouteTableDef()


@routes.get("/")
async def root(request: web.Request) -> web.Response:
    return jsonify({"plugin": "module", "software": "Aquarius", "version": VERSION})


def _backend_name(ctx: ApiContext) -> str:
    return type(ctx.store).__name__.removesuffix("Store") or "store"


@routes.get("/health")
async def health(request: web.Request) -> web.Response:
    ctx = context(request)
    if await ctx.store.ping():
        return web.Response(text=f"{_backend_name(ctx)} connected")
    return web.Response(text="Not connected to any database", status=400)


async def _chain_readiness(ctx: ApiContext) -> dict[str, dict[str, Any]]:
    cursors = await chain_records(ctx.store)
    heads = dict(await ctx.status_source()) if ctx.status_source is not None else {}
    chains: dict[str, dict[str, Any]] = {}
    for chain_id in sorted({c.chain_id for c in ctx.settings.chains} | cursors.keys()):
        record = cursors.get(chain_id, {})
        last_block = record.get("last_block")
        head = heads.get(chain_id, record.get("head"))
        if not isinstance(last_block, int) or last_block < 0:
            chains[str(chain_id)] = {"last_block": None, "head": head, "lag": None, "ready": False}
            continue
        lag = max(head - last_block, 0) if isinstance(head, int) else None
        ready = lag is None or lag <= ctx.settings.ready_max_lag
        chains[str(chain_id)] = {"last_block": last_block, "head": head, "lag": lag, "ready": ready}
    return chains


# An Elasticsearch store that is red still answers (so /health, a liveness probe, stays 200) but cannot serve
# every document: a replica serving it would answer with holes, so it is not ready.
_NOT_SERVING = frozenset({"unreachable", "red"})


@routes.get("/ready")
async def ready(request: web.Request) -> web.Response:
    """200 when the store can serve every document (it answers; Elasticsearch: its indices are not red) and
    every chain is within `AQUARIUS_READY_MAX_LAG` blocks of its head (a chain whose head is unknown counts as
    ready once it has a cursor), else 503. `store_health` says how the store is."""
    ctx = context(request)
    store_health = await ctx.store.health()
    store_ok = store_health not in _NOT_SERVING
    chains = await _chain_readiness(ctx) if store_ok else {}
    is_ready = store_ok and all(chain["ready"] for chain in chains.values())
    body = {"ready": is_ready, "store": store_ok, "store_health": store_health, "chains": chains}
    return jsonify(body, 200 if is_ready else 503)


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    body = request.app[METRICS].exposition()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


@routes.get("/spec")
async def spec(request: web.Request) -> web.Response:
    return jsonify(openapi_document())


@routes.get("/api/docs")
async def docs(request: web.Request) -> web.Response:
    return web.Response(text=DOCS_PAGE, content_type="text/html")
