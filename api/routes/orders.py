"""`/api/aquarius/orders/query`: search and aggregate the orders indexed from the chains (analytics)."""

from __future__ import annotations

from aiohttp import web

from api.context import context
from api.query_guard import guard_search
from api.responses import jsonify, parse_json
from aquarius.store.base import Collection

routes = web.RouteTableDef()


@routes.post("/api/aquarius/orders/query")
async def query_orders(request: web.Request) -> web.Response:
    ctx = context(request)
    guarded = guard_search(parse_json(await request.read()), ctx.settings.query_max_size)
    return jsonify(await ctx.store.search(Collection.ORDERS, guarded))
