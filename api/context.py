"""What every route reads: the settings, the store and the optional collaborators, held by the application."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from api.signing import ValidationSigner
from aquarius.config import Settings
from aquarius.store.base import Doc, Store

# field -> message; empty when the DDO is valid
Validator = Callable[[Doc], dict[str, str]]
# chain id -> the chain's current head block, as the running indexer sees it
StatusSource = Callable[[], Awaitable[Mapping[int, int]]]


@dataclass(frozen=True, slots=True)
class ApiContext:
    settings: Settings
    store: Store
    signer: ValidationSigner | None
    validator: Validator | None
    status_source: StatusSource | None
    schema_dir: Path


CONTEXT = web.AppKey("context", ApiContext)


def context(request: web.Request) -> ApiContext:
    return request.app[CONTEXT]
