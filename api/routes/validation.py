"""`/api/aquarius/validation/schema`: the JSON Schema of a DDO version, as checked in under `schemas/ddo/`."""

from __future__ import annotations

import json

from aiohttp import web

from api.context import context
from api.responses import error, jsonify

routes = web.RouteTableDef()

DEFAULT_VERSION = "4.5.0"


@routes.get("/api/aquarius/validation/schema")
async def schema(request: web.Request) -> web.Response:
    version = request.query.get("version", DEFAULT_VERSION)
    schema_dir = context(request).schema_dir
    known = {path.stem: path for path in schema_dir.glob("*.json")}
    if version not in known:
        return error(404, "Schema version not found.")
    return jsonify(json.loads(known[version].read_text()))
