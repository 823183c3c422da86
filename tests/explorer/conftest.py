"""The explorer under test: the real application on a loopback port over the embedded store holding the API
tests' catalog, started once for the package."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from api.app import create_app
from aquarius.store.sqlite import SqliteStore
from tests.api.catalog import blocks
from tests.api.conftest import Api, running, settings


@pytest.fixture(scope="package")
async def explorer_api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Api]:
    store = SqliteStore(Path(tmp_path_factory.mktemp("explorer")) / "store.sqlite")
    await store.open()
    try:
        for chain_id, chain_blocks in blocks().items():
            await store.apply_blocks(chain_id, chain_blocks)
        await store.refresh()
        async with running(create_app(settings(AQUARIUS_STORE="sqlite"), store)) as api:
            yield api
    finally:
        await store.close()
