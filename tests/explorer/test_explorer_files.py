"""The explorer's files as the API serves them: self-contained (no CDN), a fixed set, nothing else reachable."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/explorer", "text/html"), ("/explorer/explorer.js", "text/javascript"), ("/explorer/explorer.css", "text/css")],
)
async def test_explorer_files_are_served_without_external_references(
    explorer_api: Api, path: str, content_type: str
) -> None:
    async with explorer_api.get(path) as response:
        assert response.status == 200
        assert response.content_type == content_type
        text = await response.text()
    assert "http://" not in text and "https://" not in text


@pytest.mark.parametrize("name", ["index.html.bak", "..%2Froutes.py", "app.js"])
async def test_only_the_explorer_files_are_served(explorer_api: Api, name: str) -> None:
    async with explorer_api.get(f"/explorer/{name}") as response:
        assert response.status == 404
        assert await response.json() == {"error": "Not Found"}
