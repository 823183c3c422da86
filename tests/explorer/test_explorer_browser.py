"""The explorer in a real browser (Debian's chromium, driven by Playwright) against the real application over
the embedded store: search, filters, an asset page, the chain panel. Screenshots go to `test-artifacts/`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.api.catalog import ALGORITHM, BANNED, CHAIN, OTHER_CHAIN, POLYGON, TRAFFIC
from tests.api.conftest import Api

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="package")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1280, "height": 860})
    opened = await context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    await context.close()
    assert errors == [], "the page raised script errors"


def rows(page: Page) -> object:
    return page.locator("#results tbody tr[data-did]")


async def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def test_search_then_open_an_asset(explorer_api: Api, page: Page) -> None:
    await page.goto(explorer_api.url + "/explorer")
    # Every stored asset is listed before any search: the catalog holds seven.
    await expect(page.locator("#summary")).to_have_text("7 assets")
    await expect(page.locator("#readiness")).to_have_text("ready")

    await page.fill("#q", "Paris")
    await page.press("#q", "Enter")
    await expect(page.locator("#summary")).to_have_text("1 asset for “Paris”")
    await expect(rows(page)).to_have_count(1)
    await expect(rows(page).first).to_have_attribute("data-did", TRAFFIC.did)
    await expect(rows(page).first.locator(".orders")).to_have_text("3")
    await screenshot(page, "explorer-search")

    await page.click("text=Traffic counts Paris")
    await expect(page.locator("#asset-name")).to_have_text("Traffic counts Paris")
    await expect(page.locator("#asset-orders")).to_have_text("3")
    await expect(page.locator("#ddo")).to_contain_text(f'"id": "{TRAFFIC.did}"')
    # The history route answers 404 where it is not served: the page says so instead of failing.
    await expect(page.locator("#history-empty")).to_have_text("No history.")
    await screenshot(page, "explorer-asset")

    await page.click("text=← Back to results")
    await expect(page.locator("#q")).to_have_value("Paris")
    await expect(rows(page)).to_have_count(1)


async def test_filters_narrow_the_results(explorer_api: Api, page: Page) -> None:
    await page.goto(explorer_api.url + "/explorer")
    await expect(page.locator("#summary")).to_have_text("7 assets")

    await page.select_option("#f-type", "algorithm")
    await expect(rows(page)).to_have_count(1)
    await expect(rows(page).first).to_have_attribute("data-did", ALGORITHM.did)

    await page.select_option("#f-type", "")
    await page.select_option("#f-chain", str(OTHER_CHAIN))
    await expect(rows(page)).to_have_count(1)
    await expect(rows(page).first).to_have_attribute("data-did", POLYGON.did)

    await page.select_option("#f-chain", str(CHAIN))
    await page.fill("#f-tags", "traffic")
    await page.press("#f-tags", "Tab")
    await expect(rows(page)).to_have_count(1)
    await expect(rows(page).first).to_have_attribute("data-did", TRAFFIC.did)

    await page.fill("#f-tags", "")
    await page.press("#f-tags", "Tab")
    # A deprecated asset keeps no chainId, so only the unfiltered list finds it.
    await page.select_option("#f-chain", "")
    await page.select_option("#f-state", "2")
    await expect(page.locator("#summary")).to_have_text("1 asset")
    await expect(rows(page).first.locator(".pill")).to_have_text("Deprecated")

    await page.select_option("#f-state", "")
    await page.fill("#q", "banned")
    await page.press("#q", "Enter")
    await expect(rows(page)).to_have_count(1)
    banned = page.locator(f'tr[data-did="{BANNED.did}"]')
    await expect(banned.locator(".pill-bad")).to_have_text("purgatory")
    await page.check("#f-purgatory")
    await expect(page.locator("#summary")).to_have_text("0 assets for “banned”")


async def test_chain_panel_shows_each_indexed_chain(explorer_api: Api, page: Page) -> None:
    await page.goto(explorer_api.url + "/explorer#/chains")
    await expect(page.locator("#chains-summary")).to_have_text("2 chains indexed · store reachable")
    chain_rows = page.locator("#chains tbody tr")
    await expect(chain_rows).to_have_count(2)
    texts = sorted(await chain_rows.all_inner_texts())
    assert texts[0].split("\t")[:2] == ["137", "5000"]
    assert texts[1].split("\t")[:2] == [str(CHAIN), "120"]
    await screenshot(page, "explorer-chains")
