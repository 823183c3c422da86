"""Service routes and cross-cutting HTTP behaviour: identity, health, readiness, metrics, the OpenAPI document
(held equal to the route table), the docs page, CORS, `Authorization: undefined`, doubled slashes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from api.app import create_app
from api.version import VERSION
from aquarius.store.base import Store
from aquarius.store.sqlite import SqliteStore
from tests.api.catalog import CHAIN, OTHER_CHAIN, WEATHER
from tests.api.conftest import Api, settings


async def test_root_identifies_the_software(api: Api) -> None:
    async with api.get("/") as response:
        assert response.status == 200
        assert await response.json() == {"plugin": "module", "software": "Aquarius", "version": VERSION}


async def test_health_pings_the_store(api: Api, store: Store) -> None:
    expected = "Sqlite connected" if isinstance(store, SqliteStore) else "Elasticsearch connected"
    async with api.get("/health") as response:
        assert (response.status, await response.text()) == (200, expected)


async def test_ready_compares_each_chain_with_its_head(serve: Any) -> None:
    async def heads() -> Mapping[int, int]:
        return {CHAIN: 150, OTHER_CHAIN: 5_000 + 500}

    async with serve(AQUARIUS_READY_MAX_LAG="100", status_source=heads) as api, api.get("/ready") as response:
        assert response.status == 503
        report = await response.json()
    assert report["store"] is True and report["ready"] is False
    assert report["store_health"] in ("ok", "green")
    assert report["chains"][str(CHAIN)] == {"last_block": 120, "head": 150, "lag": 30, "ready": True}
    assert report["chains"][str(OTHER_CHAIN)]["lag"] == 500
    assert report["chains"][str(OTHER_CHAIN)]["ready"] is False

    async with serve(AQUARIUS_READY_MAX_LAG="1000", status_source=heads) as api, api.get("/ready") as response:
        assert response.status == 200


async def test_ready_waits_for_a_configured_chain_never_indexed(serve: Any) -> None:
    chains = json.dumps([{"chain_id": 10, "rpc_urls": ["http://127.0.0.1:1"]}])
    async with serve(AQUARIUS_CHAINS=chains) as api, api.get("/ready") as response:
        assert response.status == 503
        assert (await response.json())["chains"]["10"]["ready"] is False


async def test_metrics_count_requests_by_route_template_and_status(api: Api) -> None:
    async with api.get(f"/api/aquarius/assets/ddo/{WEATHER.did}"):
        pass
    async with api.get("/metrics") as response:
        assert response.status == 200
        text = await response.text()
    line = 'aquarius_http_requests_total{method="GET",route="/api/aquarius/assets/ddo/{did}",status="200"}'
    assert line in text
    assert 'aquarius_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/' in text


async def test_spec_describes_exactly_the_routes_of_the_app(api: Api, store: Store) -> None:
    async with api.get("/spec") as response:
        assert response.status == 200
        spec = await response.json()
    assert spec["openapi"].startswith("3.")
    documented = {(method.upper(), path) for path, item in spec["paths"].items() for method in item}
    app = create_app(settings(), store)
    served = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.method != "HEAD" and route.resource is not None
    }
    assert documented == served


async def test_docs_page_needs_no_cdn(api: Api) -> None:
    async with api.get("/api/docs") as response:
        assert response.status == 200
        assert response.content_type == "text/html"
        page = await response.text()
    assert 'fetch("/spec")' in page
    assert "https://" not in page and "http://" not in page


async def test_cors_preflight_and_headers(api: Api) -> None:
    preflight = {
        "Origin": "https://market.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,authorization",
    }
    async with api.request("OPTIONS", "/api/aquarius/assets/query", headers=preflight) as response:
        assert response.status == 200
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "POST" in response.headers["Access-Control-Allow-Methods"]
        assert response.headers["Access-Control-Allow-Headers"] == "content-type,authorization"
    async with api.get(f"/api/aquarius/assets/ddo/{WEATHER.did}", headers={"Origin": "https://x"}) as response:
        assert response.headers["Access-Control-Allow-Origin"] == "*"


async def test_authorization_undefined_is_ignored(api: Api) -> None:
    headers = {"Authorization": "undefined", "Content-Type": "application/json"}
    async with api.get(f"/api/aquarius/assets/ddo/{WEATHER.did}", headers=headers) as response:
        assert response.status == 200
        assert (await response.json())["id"] == WEATHER.did


async def test_a_base_url_with_a_trailing_slash_still_reaches_every_route(api: Api) -> None:
    async with api.get(f"//api/aquarius/assets/ddo/{WEATHER.did}") as response:
        assert response.status == 200
        assert (await response.json())["id"] == WEATHER.did
    async with api.post("//api/aquarius/assets/query", json={"query": {"ids": {"values": [WEATHER.did]}}}) as response:
        assert response.status == 200
        assert (await response.json())["hits"]["total"]["value"] == 1
    async with api.get("//api/aquarius/validation/schema?version=9.9.9") as response:
        assert response.status == 404  # the query string survives the rewrite
    async with api.get("/metrics") as response:
        assert 'route="/api/aquarius/assets/ddo/{did}"' in await response.text()


async def test_unknown_routes_and_methods_answer_json(api: Api) -> None:
    async with api.get("/api/aquarius/nothing-here") as response:
        assert response.status == 404
        assert set(await response.json()) == {"error"}
    async with api.request("DELETE", f"/api/aquarius/assets/ddo/{WEATHER.did}") as response:
        assert response.status == 405
        assert set(await response.json()) == {"error"}


async def test_validation_schema_is_served_from_the_schema_folder(serve: Any, tmp_path: Path) -> None:
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "DDO 4.5.0", "type": "object"}
    (tmp_path / "4.5.0.json").write_text(json.dumps(schema))
    async with serve(schema_dir=tmp_path) as api:
        async with api.get("/api/aquarius/validation/schema") as response:
            assert (response.status, await response.json()) == (200, schema)
        async with api.get("/api/aquarius/validation/schema?version=4.0.0") as response:
            assert (response.status, await response.json()) == (404, {"error": "Schema version not found."})
