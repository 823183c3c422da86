"""The API under test: the real application on a loopback port over a real store holding the catalog.

The store is opened and filled once for the package, per backend (`params`); tests that write use their own ids.
Apps with other settings or collaborators run over the same store (`running`)."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer

from api.app import create_app
from aquarius.config import Settings, load_settings
from aquarius.devenv.elasticsearch import ElasticsearchNode
from aquarius.store.base import Store
from tests.api.catalog import blocks
from tests.store.backends import elasticsearch_store, sqlite_store

# The first dev-chain account's well-known key, as the indexer's signing key.
INDEXER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
INDEXER_ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


def settings(**env: str) -> Settings:
    return load_settings({"AQUARIUS_STORE": "elasticsearch", "PRIVATE_KEY": INDEXER_KEY, **env})


def require_name(ddo: dict[str, Any]) -> dict[str, str]:
    """A stand-in for the schema validator: the one rule the tests need to see errors reported."""
    metadata = ddo.get("metadata")
    if not isinstance(metadata, dict) or not metadata.get("name"):
        return {"metadata": "Metadata is missing or invalid."}
    return {}


@dataclass
class Api:
    session: ClientSession
    url: str

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.session.request(method, self.url + path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)


@asynccontextmanager
async def running(app: web.Application) -> AsyncIterator[Api]:
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with ClientSession() as session:
            yield Api(session, str(server.make_url("")).rstrip("/"))
    finally:
        await server.close()


@asynccontextmanager
async def open_backend(kind: str, es_node: ElasticsearchNode) -> AsyncIterator[Store]:
    if kind == "elasticsearch":
        es_node.wipe()
        async with elasticsearch_store(es_node) as store:
            yield store
        return
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            async with sqlite_store(Path(folder) / "store.sqlite") as store:
                yield store
        return
    raise ValueError(kind)


@pytest.fixture(scope="package", params=["elasticsearch", "sqlite"])
async def store(request: pytest.FixtureRequest, es_node: ElasticsearchNode) -> AsyncIterator[Store]:
    async with open_backend(request.param, es_node) as opened:
        for chain_id, chain_blocks in blocks().items():
            await opened.apply_blocks(chain_id, chain_blocks)
        await opened.refresh()
        yield opened


@pytest.fixture(scope="package")
async def api(store: Store) -> AsyncIterator[Api]:
    async with running(create_app(settings(), store, validator=require_name)) as client:
        yield client


@pytest.fixture
def serve(store: Store) -> Callable[..., Any]:
    """`async with serve(ENV=value, ..., collaborator=...) as client`: an app with other settings."""

    def start(**options: Any) -> Any:
        env = {k: v for k, v in options.items() if k.isupper()}
        extra = {k: v for k, v in options.items() if not k.isupper()}
        return running(create_app(settings(**env), store, **extra))

    return start
