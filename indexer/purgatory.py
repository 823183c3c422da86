"""Purgatory: lists of banned assets and accounts, fetched on a schedule, applied to the stored assets.

The lists are stored first (META `purgatory:lists`, with the time of the last successful fetch), so the metadata
handler marks assets published later by a listed account; then every asset whose `purgatory` differs from what
the lists say is rewritten. A failed fetch keeps the last good list. Each pass compares the whole index with
the lists, so a pass also heals what a concurrent write or a reorg undid.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import aiohttp

from aquarius.store.base import Collection, Doc, Store, Write

log = logging.getLogger(__name__)

LISTS_ID = "purgatory:lists"
MAX_CANDIDATES = 10_000  # Elasticsearch's default result window


class PurgatoryFetchError(RuntimeError):
    pass


async def fetch_list(session: aiohttp.ClientSession, url: str, key: str) -> list[dict[str, str]]:
    """A list in the list-purgatory format: `[{"did"|"address": ..., "reason": ...}]` (http(s) or file URL)."""
    try:
        if urlparse(url).scheme == "file":
            payload: Any = json.loads(await asyncio.to_thread(Path(urlparse(url).path).read_text))
        else:
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=10)) as response:
                if response.status != 200:
                    raise PurgatoryFetchError(f"{url} answered HTTP {response.status}")
                payload = await response.json(content_type=None)
    except (OSError, aiohttp.ClientError, TimeoutError, json.JSONDecodeError) as err:
        raise PurgatoryFetchError(f"{url}: {type(err).__name__}: {err}") from None
    if not isinstance(payload, list) or not all(isinstance(e, dict) and isinstance(e.get(key), str) for e in payload):
        raise PurgatoryFetchError(f"{url}: expected a JSON list of objects with a {key!r} string")
    return [{key: e[key], "reason": str(e.get("reason", ""))} for e in payload]


class PurgatoryJob:
    def __init__(self, store: Store, *, asset_url: str | None, account_url: str | None) -> None:
        self.store = store
        self.asset_url = asset_url
        self.account_url = account_url

    async def refresh(self) -> None:
        lists = await self.store.get(Collection.META, LISTS_ID) or {"assets": [], "accounts": []}
        async with aiohttp.ClientSession() as session:
            for url, field, key in ((self.asset_url, "assets", "did"), (self.account_url, "accounts", "address")):
                if not url:
                    continue
                try:
                    lists[field] = await fetch_list(session, url, key)
                    lists[f"{field}_fetched_at"] = time.time()
                except PurgatoryFetchError as err:
                    log.warning("purgatory: keeping the last good %s list: %s", field, err)
        await self.store.write([Write(Collection.META, LISTS_ID, lists)])
        await self.apply(lists)

    async def apply(self, lists: Doc) -> None:
        assets = {a["did"]: a["reason"] for a in lists.get("assets", [])}
        accounts = {a["address"].lower(): a["reason"] for a in lists.get("accounts", [])}
        candidates = await self._candidates(list(assets), list(accounts))
        writes = []
        for did, doc in candidates.items():
            if doc is None or "metadata" not in doc:
                continue  # missing or soft-deleted: nothing to mark
            wanted = expected_purgatory(did, doc, assets, accounts)
            if doc.get("purgatory") != wanted:
                writes.append(Write(Collection.ASSETS, did, {**doc, "purgatory": wanted}))
        if writes:
            await self.store.write(writes)
            log.info("purgatory: %d asset(s) changed", len(writes))

    async def _candidates(self, dids: list[str], accounts: list[str]) -> dict[str, Doc | None]:
        """Every asset the lists name, every asset of a listed account, and every asset marked now."""
        should: list[Any] = [{"term": {"purgatory.state": True}}]
        if dids:
            should.append({"ids": {"values": dids}})
        if accounts:
            # `event.from` is analysed text: its one token is the lower-cased address
            should.append({"terms": {"event.from": accounts}})
        body = {"query": {"bool": {"should": should}}, "size": MAX_CANDIDATES}
        hits = (await self.store.search(Collection.ASSETS, body))["hits"]["hits"]
        return {hit["_id"]: hit["_source"] for hit in hits}


def expected_purgatory(did: str, doc: Doc, assets: dict[str, str], accounts: dict[str, str]) -> Doc:
    if did in assets:
        return {"state": True, "reason": assets[did]}
    publisher = str(doc.get("event", {}).get("from", "")).lower()
    if publisher in accounts:
        return {"state": True, "reason": accounts[publisher]}
    return {"state": False}
