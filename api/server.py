"""`aquarius serve`: the configured store, the application on `AQUARIUS_BIND_URL`, a clean stop on SIGTERM/SIGINT."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack
from urllib.parse import urlparse

from aiohttp import web

from api.app import create_app
from aquarius.config import ConfigError, Settings
from aquarius.metadata.validation import validate_ddo
from aquarius.store.base import Doc, Store
from indexer.sync import ChainSync


def bind_address(bind_url: str) -> tuple[str, int]:
    parsed = urlparse(bind_url if "://" in bind_url else f"http://{bind_url}")
    if not parsed.hostname:
        raise ConfigError(f"AQUARIUS_BIND_URL: {bind_url!r} has no host (expected http://host:port)")
    return parsed.hostname, parsed.port or 5000


async def start_api(
    settings: Settings, store: Store, stack: AsyncExitStack, *, syncs: Sequence[ChainSync] = ()
) -> None:
    """Serve the API on `AQUARIUS_BIND_URL` until `stack` closes. `syncs`: the chains this process indexes,
    whose heads `/ready` compares with the store's cursors."""
    host, port = bind_address(settings.bind_url)

    async def heads() -> Mapping[int, int]:
        return {sync.chain_id: sync.status.head for sync in syncs if sync.status.head}

    def validator(ddo: Doc) -> dict[str, str]:
        return validate_ddo(ddo).errors

    app = create_app(settings, store, validator=validator, status_source=heads if syncs else None)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    await web.TCPSite(runner, host, port).start()
    print(f"aquarius: API listening on http://{host}:{port} (store: {settings.store})", flush=True)
