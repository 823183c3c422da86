"""`aquarius serve`: the configured store, the application on `AQUARIUS_BIND_URL`, a clean stop on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import signal
from urllib.parse import urlparse

from aiohttp import web

from api.app import create_app
from aquarius.config import ConfigError, Settings
from aquarius.store.base import Store
from aquarius.store.elasticsearch import ElasticsearchStore


def store_from_settings(settings: Settings) -> Store:
    if settings.store == "elasticsearch":
        auth = (settings.db_username, settings.db_password or "") if settings.db_username else None
        options: dict[str, object] = {}
        if settings.db_ssl:
            options = {
                "verify_certs": settings.db_verify_certs,
                "ca_certs": str(settings.db_ca_certs) if settings.db_ca_certs else None,
                "client_cert": str(settings.db_client_cert) if settings.db_client_cert else None,
                "client_key": str(settings.db_client_key) if settings.db_client_key else None,
            }
        return ElasticsearchStore(
            settings.es_url, index_name=settings.db_index, basic_auth=auth, client_options=options
        )
    try:
        from aquarius.store.sqlite import SqliteStore
    except ImportError:
        raise ConfigError(
            "AQUARIUS_STORE=sqlite: the embedded store is not part of this build yet; "
            "set AQUARIUS_STORE=elasticsearch and DB_HOSTNAME/DB_PORT"
        ) from None
    return SqliteStore(settings.sqlite_path, settings.db_index)


def bind_address(bind_url: str) -> tuple[str, int]:
    parsed = urlparse(bind_url if "://" in bind_url else f"http://{bind_url}")
    if not parsed.hostname:
        raise ConfigError(f"AQUARIUS_BIND_URL: {bind_url!r} has no host (expected http://host:port)")
    return parsed.hostname, parsed.port or 5000


async def serve(settings: Settings) -> None:
    host, port = bind_address(settings.bind_url)
    store = store_from_settings(settings)
    await store.open()
    runner = web.AppRunner(create_app(settings, store), access_log=None)
    try:
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        print(f"aquarius serve: listening on http://{host}:{port} (store: {settings.store})", flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()
        await store.close()
