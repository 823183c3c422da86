"""Serves the explorer's static files. The page talks to the public API like any client; nothing here reads the
store."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

routes = web.RouteTableDef()

STATIC_DIR = Path(__file__).parent / "static"
# Only these files are served: a fixed table, so no request path can reach outside the folder.
_FILES = {
    "explorer.css": "text/css",
    "explorer.js": "text/javascript",
}


def _file(name: str, content_type: str) -> web.Response:
    return web.Response(
        body=(STATIC_DIR / name).read_bytes(),
        content_type=content_type,
        charset="utf-8",
        headers={"Cache-Control": "no-cache"},
    )


@routes.get("/explorer")
async def page(request: web.Request) -> web.Response:
    return _file("index.html", "text/html")


@routes.get("/explorer/{name}")
async def asset(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in _FILES:
        raise web.HTTPNotFound()
    return _file(name, _FILES[name])
