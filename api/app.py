"""The aiohttp application. It reads only through the `Store` interface, so it behaves the same on every backend."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from api import middleware
from api.context import CONTEXT, ApiContext, StatusSource, Validator
from api.explorer import routes as explorer
from api.metrics import ApiMetrics
from api.routes import assets, chains, orders, service, state, validate, validation
from api.signing import ValidationSigner
from aquarius.config import Settings
from aquarius.schemas_path import DDO_SCHEMA_DIR
from aquarius.store.base import Store


def create_app(
    settings: Settings,
    store: Store,
    *,
    signer: ValidationSigner | None = None,
    status_source: StatusSource | None = None,
    validator: Validator | None = None,
    schema_dir: Path = DDO_SCHEMA_DIR,
) -> web.Application:
    """`signer` defaults to one holding `PRIVATE_KEY` (none without it: validate then answers empty proofs).
    `validator` checks a DDO against its schema (field -> message); without one only the version is required.
    `status_source` gives each chain's head as the running indexer sees it, for `/ready`.
    The caller opens and closes `store`."""
    if signer is None and settings.private_key:
        signer = ValidationSigner(settings.private_key)
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[middleware.cors, middleware.metrics, middleware.errors, middleware.merge_slashes],
    )
    app[CONTEXT] = ApiContext(settings, store, signer, validator, status_source, schema_dir)
    app[middleware.METRICS] = ApiMetrics()
    for module in (service, assets, orders, validate, chains, state, validation, explorer):
        app.router.add_routes(module.routes)
    return app
