"""`aquarius serve`: the configured store, the application on `AQUARIUS_BIND_URL`, a clean stop on SIGTERM/SIGINT."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AsyncExitStack
from urllib.parse import urlparse

from aiohttp import web

from api.app import create_app
from aquarius.config import ConfigError, Settings
from aquarius.metadata.validation import validate_ddo
from aquarius.store.base import Doc, Store
from indexer.lease import chain_leases


def bind_address(bind_url: str) -> tuple[str, int]:
    parsed = urlparse(bind_url if "://" in bind_url else f"http://{bind_url}")
    if not parsed.hostname:
        raise ConfigError(f"AQUARIUS_BIND_URL: {bind_url!r} has no host (expected http://host:port)")
    return parsed.hostname, parsed.port or 5000


async def start_api(settings: Settings, store: Store, stack: AsyncExitStack) -> None:
    """Serve the API on `AQUARIUS_BIND_URL` until `stack` closes. Everything it reports comes from the store,
    so it answers the same beside an indexer or alone; `/ready` takes each chain's head from the chain's lease,
    where its indexer publishes the head it sees."""
    host, port = bind_address(settings.bind_url)

    async def heads() -> Mapping[int, int]:
        leases = await chain_leases(store)
        return {chain: head for chain, lease in leases.items() if isinstance(head := lease.note.get("head"), int)}

    def validator(ddo: Doc) -> dict[str, str]:
        return validate_ddo(ddo).errors

    app = create_app(settings, store, validator=validator, status_source=heads)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    await web.TCPSite(runner, host, port).start()
    print(f"aquarius: API listening on http://{host}:{port} (store: {settings.store})", flush=True)
