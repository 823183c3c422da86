"""A pass-through in front of the test Elasticsearch node that also answers `GET /` and `HEAD /`.

The test distribution has no `rest-root` module, so `/` answers 405; the original Aquarius' client pings `HEAD /`
before anything else and waits for it forever. The root answer carries the node's own name, cluster and version;
every other request goes to the node unchanged, with the node's status, body and product header.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from aiohttp import web

PASSED_HEADERS = ("Content-Type", "X-Elastic-Product", "Warning")


class RootProxy:
    def __init__(self, es_url: str) -> None:
        self.es_url = es_url
        self._session: aiohttp.ClientSession | None = None
        self._root: dict[str, Any] = {}
        self._runner: web.AppRunner | None = None
        self.requests = 0

    async def start(self) -> str:
        """Serve on a free loopback port; returns the URL clients use instead of the node's."""
        self._session = aiohttp.ClientSession()
        async with self._session.get(f"{self.es_url}/_nodes/_local") as response:
            nodes = await response.json()
        node = next(iter(nodes["nodes"].values()))
        self._root = {
            "name": node["name"],
            "cluster_name": nodes["cluster_name"],
            "version": {"number": node["version"], "build_flavor": "default"},
            "tagline": "You Know, for Search",
        }
        app = web.Application(client_max_size=1 << 30)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        return f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        product = {"X-Elastic-Product": "Elasticsearch"}
        if request.path == "/" and request.method in ("GET", "HEAD"):
            return web.json_response(self._root, headers=product)
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k in ("Content-Type", "Accept", "Authorization")}
        async with self._session.request(
            request.method, self.es_url + request.path_qs, data=await request.read(), headers=headers
        ) as answer:
            body = await answer.read()
            passed = {k: answer.headers[k] for k in PASSED_HEADERS if k in answer.headers}
            return web.Response(status=answer.status, body=body, headers=passed)
