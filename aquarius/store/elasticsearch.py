"""The Elasticsearch backend. Uses only what the test distribution has too (search, `_bulk`, `_mget`, aliases):
no `_reindex`, no `_update_by_query`, no scripts."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator, Sequence
from typing import Any

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import TransportError
from elasticsearch import ApiError, AsyncElasticsearch, BadRequestError, ConflictError, NotFoundError

from aquarius.schemas_path import ASSET_MAPPING_FILE
from aquarius.store.base import (
    BadQuery,
    BlockEffects,
    BlockRef,
    Collection,
    Doc,
    Lease,
    LeaseAction,
    LeaseState,
    Store,
    StoreError,
    Write,
    block_record,
    chain_record,
    decide_lease,
    last_writes,
    plan_block_writes,
)
from aquarius.store.elasticsearch_retry import Backoff, BackoffTransport, rejected_for_now

MAPPING_VERSION = 1
SCROLL_PAGE = 5000
HEALTH_TIMEOUT = 5.0
ALIAS_TTL = 10.0  # seconds an alias's index is remembered without a sign that it moved

BulkAction = tuple[dict[str, Any], dict[str, Any] | None]  # an action line and, except for deletes, its source

_TEXT_WITH_KEYWORD = {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}


def _default_mapping() -> dict[str, Any]:
    return {
        "dynamic": True,
        "date_detection": False,
        "dynamic_templates": [{"strings": {"match_mapping_type": "string", "mapping": _TEXT_WITH_KEYWORD}}],
    }


_SYSTEM_MAPPINGS: dict[Collection, dict[str, Any]] = {
    Collection.JOURNAL: {
        "dynamic": False,
        "properties": {
            "chain_id": {"type": "long"},
            "block": {"type": "long"},
            "seq": {"type": "long"},
            "collection": {"type": "keyword"},
            "doc_id": {"type": "keyword"},
            "before": {"type": "object", "enabled": False},
        },
    },
    # Internal records are looked up by id, never searched by content: nothing in them is mapped, so no
    # publisher-controlled value inside them (a previous DDO version, a last valid DDO) can conflict.
    Collection.META: {"dynamic": False, "properties": {}},
    Collection.HISTORY: {
        "dynamic": False,
        "properties": {
            "did": _TEXT_WITH_KEYWORD,
            "chain_id": {"type": "long"},
            "kind": _TEXT_WITH_KEYWORD,
            "block": {"type": "long"},
            "log_index": {"type": "long"},
        },
    },
    # The retry worker sorts and filters on these before the first entry exists: they must be mapped up front.
    Collection.RETRIES: {
        **_default_mapping(),
        "properties": {
            "chain_id": {"type": "long"},
            "block": {"type": "long"},
            "log_index": {"type": "long"},
            "attempts": {"type": "long"},
            "first_seen": {"type": "double"},
            "last_attempt": {"type": "double"},
            "next_retry": {"type": "double"},
            "status": _TEXT_WITH_KEYWORD,
        },
    },
    Collection.LEASES: {
        "dynamic": False,
        "properties": {"name": {"type": "keyword"}, "holder": {"type": "keyword"}, "expires": {"type": "double"}},
    },
    Collection.BLOCKS: {
        "dynamic": False,
        "properties": {
            "chain_id": {"type": "long"},
            "number": {"type": "long"},
            "hash": {"type": "keyword"},
            "parent_hash": {"type": "keyword"},
            "timestamp": {"type": "long"},
        },
    },
}


def asset_mapping() -> dict[str, Any]:
    return json.loads(ASSET_MAPPING_FILE.read_text())


class ElasticsearchStore(Store):
    """Each collection is an alias (`<name>` for assets, `<name>_<collection>` for the rest) over a versioned
    index (`<alias>-v<N>`), so `reindex` can build a new version and swap the alias with no downtime."""

    def __init__(
        self,
        hosts: str | list[str],
        *,
        index_name: str = "aquarius",
        basic_auth: tuple[str, str] | None = None,
        shards: int = 1,
        replicas: int = 1,
        request_timeout: float = 30.0,
        backoff: Backoff | None = None,
        client_options: dict[str, Any] | None = None,
    ) -> None:
        self.asset_index_name = index_name
        hosts = [hosts] if isinstance(hosts, str) else hosts
        self._client = AsyncElasticsearch(
            hosts,
            basic_auth=basic_auth,
            transport_class=BackoffTransport,
            request_timeout=request_timeout,
            retry_on_timeout=True,
            max_retries=len(hosts),  # at once, each on the next node; then with backoff
            **(client_options or {}),
        )
        self._backoff = backoff or Backoff()
        transport = self._client.transport
        assert isinstance(transport, BackoffTransport)
        transport.backoff = self._backoff
        self._shards = shards
        self._replicas = replicas
        self._pending: dict[int, int | None] = {}
        self._concrete: dict[str, tuple[str, float]] = {}  # alias -> (its index, when that was learned)

    @property
    def client(self) -> AsyncElasticsearch:
        return self._client

    def alias(self, collection: Collection) -> str:
        if collection is Collection.ASSETS:
            return self.asset_index_name
        return f"{self.asset_index_name}_{collection.value}"

    def mapping(self, collection: Collection) -> dict[str, Any]:
        if collection is Collection.ASSETS:
            return asset_mapping()
        return _SYSTEM_MAPPINGS.get(collection) or _default_mapping()

    async def open(self) -> None:
        try:
            # a store no node answers is a configuration error to report at once, not a passing fault to ride out
            probe = self._client.options(max_retries=0, request_timeout=HEALTH_TIMEOUT)
            await probe.indices.exists_alias(name=self.alias(Collection.ASSETS))
            for collection in Collection:
                alias = self.alias(collection)
                if await self._client.indices.exists_alias(name=alias):
                    continue
                try:
                    await self.create_index(collection, f"{alias}-v{MAPPING_VERSION}", make_alias=True)
                except BadRequestError as err:
                    if err.message != "resource_already_exists_exception":
                        raise
                    # another process sharing the store (an indexer of another chain, an API replica) was first
        except TransportConnectionError as err:
            raise StoreError(f"Elasticsearch unreachable: {err}") from None

    async def create_index(self, collection: Collection, name: str, *, make_alias: bool) -> None:
        aliases = {self.alias(collection): {}} if make_alias else {}
        await self._client.indices.create(
            index=name,
            mappings=self.mapping(collection),
            settings={"number_of_shards": self._shards, "number_of_replicas": self._replicas},
            aliases=aliases,
        )

    async def close(self) -> None:
        await self._client.close()

    async def reindex(self, collection: Collection = Collection.ASSETS) -> tuple[str, str]:
        """Copy the collection into a new versioned index with the current mapping and move the alias to it in
        one atomic step, so that searches never fail meanwhile; the old index is deleted. Returns (old, new).
        Writes made during the copy land in the old index: stop the indexer while this runs."""
        alias = self.alias(collection)
        old = await self._concrete_index(alias, refresh=True)
        version = int(old.rsplit("-v", 1)[1]) + 1 if "-v" in old else MAPPING_VERSION + 1
        new = f"{alias}-v{version}"
        await self.create_index(collection, new, make_alias=False)
        pit = (await self._client.open_point_in_time(index=old, keep_alive="2m"))["id"]
        try:
            after: list[Any] | None = None
            while True:
                page = await self._client.search(
                    pit={"id": pit, "keep_alive": "2m"}, sort=["_shard_doc"], size=SCROLL_PAGE, search_after=after
                )
                hits = page["hits"]["hits"]
                operations: list[dict[str, Any]] = []
                for hit in hits:
                    operations += [{"index": {"_index": new, "_id": hit["_id"]}}, hit["_source"]]
                refused = await self._bulk(operations)
                if refused:
                    raise StoreError(f"the new mapping refuses {len(refused)} document(s): {list(refused.items())[:3]}")
                if len(hits) < SCROLL_PAGE:
                    break
                after = hits[-1]["sort"]
        finally:
            await self._client.close_point_in_time(id=pit)
        await self._client.indices.refresh(index=new)
        await self._client.indices.update_aliases(
            actions=[{"remove": {"index": old, "alias": alias}}, {"add": {"index": new, "alias": alias}}]
        )
        self._concrete[alias] = (new, time.monotonic())
        await self._client.indices.delete(index=old)
        return old, new

    async def ping(self) -> bool:
        return await self.health() != "unreachable"

    async def health(self) -> str:
        """The health of this store's indices: "green", "yellow" (a replica is missing: every document is still
        readable and writable), "red" (a primary is missing: some are not), or "unreachable". Asked once, without
        retries: a probe must answer within its own time budget."""
        probe = self._client.options(max_retries=0, request_timeout=HEALTH_TIMEOUT)
        indices = ",".join(self.alias(c) for c in Collection)
        try:
            answer = await probe.cluster.health(index=indices, master_timeout="3s")
        except (ApiError, TransportError):
            return "unreachable"
        return str(answer["status"])

    async def get(self, collection: Collection, doc_id: str) -> Doc | None:
        try:
            found = await self._client.get(index=self.alias(collection), id=doc_id)
        except NotFoundError:
            return None
        return found["_source"]

    async def mget(self, collection: Collection, ids: Sequence[str]) -> dict[str, Doc | None]:
        result: dict[str, Doc | None] = dict.fromkeys(ids)
        if not ids:
            return result
        found = await self._client.mget(index=self.alias(collection), ids=list(dict.fromkeys(ids)))
        for doc in found["docs"]:
            if doc.get("found"):
                result[doc["_id"]] = doc["_source"]
        return result

    async def search(self, collection: Collection, body: Doc) -> Doc:
        alias = self.alias(collection)
        concrete = await self._concrete_index(alias)
        answer, names_index = await self._search(alias, concrete, body)
        if _may_be_stale(answer, concrete, names_index):
            # The alias may have moved to a new index (a `reindex`, perhaps run by another process): hits then come
            # from an index other than the remembered one, and `_index` terms rewritten to it match nothing.
            fresh = await self._concrete_index(alias, refresh=True)
            if fresh != concrete and names_index:
                answer, _ = await self._search(alias, fresh, body)
        for hit in answer.get("hits", {}).get("hits", []):
            hit["_index"] = alias
        return answer

    async def _search(self, alias: str, concrete: str, body: Doc) -> tuple[Doc, bool]:
        """The answer to `body` on `alias`, `_index` terms naming the alias rewritten to `concrete`; and whether
        there were any."""
        request = dict(body)
        names_index = False
        if "query" in request:
            request["query"] = _rewrite_index_terms(body["query"], alias, concrete)
            names_index = request["query"] != body["query"]
        try:
            response = await self._client.search(index=alias, body=request)
        except BadRequestError as err:
            raise BadQuery(_root_cause(err)) from None
        return dict(response.body), names_index

    async def _concrete_index(self, alias: str, *, refresh: bool = False) -> str:
        """The index behind `alias`, remembered for `ALIAS_TTL` seconds: it changes only on `reindex`, and asking
        costs a round trip per search. `search` notices most moves at once from the hits; the time limit bounds
        the rest (e.g. a query of only `must_not` `_index` terms and `size` 0)."""
        cached = self._concrete.get(alias)
        now = time.monotonic()
        if cached is not None and not refresh and now - cached[1] < ALIAS_TTL:
            return cached[0]
        found = await self._client.indices.get_alias(name=alias)
        name = next(iter(found.body))
        self._concrete[alias] = (name, now)
        return name

    async def write(self, writes: Sequence[Write]) -> None:
        await self._bulk(list(self._ops(writes)))

    def _ops(self, writes: Sequence[Write], *, create_only: bool = False) -> Iterator[dict[str, Any]]:
        for w in writes:
            index = self.alias(w.collection)
            if w.doc is None:
                yield {"delete": {"_index": index, "_id": w.id}}
            else:
                yield {"create" if create_only else "index": {"_index": index, "_id": w.id}}
                yield w.doc

    async def _bulk(self, operations: list[dict[str, Any]], *, refresh: bool = False) -> dict[str, str]:
        """Run a bulk request. Returns the asset documents Elasticsearch refused for their content (a publisher's
        field whose type conflicts with the mapping), by id with the reason. Items rejected for a passing reason
        (`rejected_for_now`) are sent again with backoff, each together with the later operations on the same
        document so that their order holds; one still rejected at the deadline, or any other failure, raises."""
        pending = _bulk_actions(operations)
        refused: dict[str, str] = {}
        pauses = self._backoff.delays()
        while pending:
            response = await self._client.bulk(operations=_bulk_lines(pending), refresh=refresh)
            if not response["errors"]:
                return refused
            again: list[BulkAction] = []
            waiting: set[tuple[str, str]] = set()
            failures = []
            for entry, item in zip(pending, response["items"], strict=True):
                action, outcome = next(iter(item.items()))
                target = next(iter(entry[0].values()))
                key = (target["_index"], target["_id"])
                if key in waiting or rejected_for_now(outcome):
                    waiting.add(key)
                    again.append(entry)
                    continue
                status = outcome.get("status", 500)
                if status < 300 or (action == "delete" and status == 404) or (action == "create" and status == 409):
                    continue  # a missing doc to delete, or a journal entry already written by an earlier attempt
                error = outcome.get("error") or {}
                if status == 400 and outcome.get("_index", "").startswith(self.asset_index_name + "-v"):
                    refused[outcome["_id"]] = f"{error.get('type')}: {error.get('reason')}"
                    continue
                failures.append(f"{action} {outcome.get('_id')}: {error}")
            if failures:
                raise StoreError(f"bulk write failed for {len(failures)} document(s): {failures[:3]}")
            if not again:
                break
            pause = next(pauses, None)
            if pause is None:
                raise StoreError(
                    f"bulk write: {len(again)} operation(s) still rejected after {self._backoff.deadline:g} s, "
                    f"e.g. {again[0][0]}"
                )
            await asyncio.sleep(pause)
            pending = again
        return refused

    async def apply_blocks(self, chain_id: int, blocks: Sequence[BlockEffects]) -> None:
        if not blocks:
            return
        keys: dict[Collection, list[str]] = {}
        for block in blocks:
            for w in block.writes:
                keys.setdefault(w.collection, []).append(w.id)
        current: dict[tuple[Collection, str], Doc | None] = {}
        for collection, ids in keys.items():
            for doc_id, doc in (await self.mget(collection, ids)).items():
                current[(collection, doc_id)] = doc
        journal: list[Write] = []
        effects: list[Write] = []
        for block, entries, writes in plan_block_writes(blocks, current):
            journal += entries
            effects += writes
            effects.append(block_record(block))
        # No multi-document transactions here, so the order of durable steps carries the guarantee:
        # (1) mark the batch pending and journal every previous version, (2) write the effects, (3) move the
        # cursor. A crash anywhere leaves the cursor behind, and the journal tells the re-run what was there (a
        # journal entry written without its pending mark is harmless: no effect of its block is written yet).
        cursor = await self.cursor(chain_id)
        pending = chain_record(chain_id, cursor or BlockRef(-1, ""), {"pending_to": blocks[-1].number})
        self._pending[chain_id] = blocks[-1].number
        await self._bulk([*self._ops([pending]), *self._ops(journal, create_only=True)])
        # Only a document's last version of the range is written, except assets: a version Elasticsearch refuses
        # leaves the one before it, as when the blocks are applied one by one.
        refused = await self._bulk(list(self._ops(last_writes(effects, keep_all=frozenset({Collection.ASSETS})))))
        if refused:
            await self._record_refused(chain_id, blocks[-1].number, refused)
        await self._bulk(list(self._ops([chain_record(chain_id, blocks[-1].ref)])))
        self._pending[chain_id] = None

    async def _record_refused(self, chain_id: int, block: int, refused: dict[str, str]) -> None:
        """A document Elasticsearch cannot index must not stall the chain: the asset keeps its previous version
        and its state record says why the new one is missing."""
        states = await self.mget(Collection.STATES, list(refused))
        records = [
            Write(
                Collection.STATES,
                did,
                {
                    **(states.get(did) or {"did": did, "chain_id": chain_id, "block": block}),
                    "valid": False,
                    "code": "store_refused",
                    "error": f"Elasticsearch refused the document: {reason}",
                },
            )
            for did, reason in refused.items()
        ]
        await self._bulk(list(self._ops(records)))

    async def read_for_block(
        self, chain_id: int, block: int, collection: Collection, ids: Sequence[str]
    ) -> dict[str, Doc | None]:
        current = await self.mget(collection, ids)
        if chain_id not in self._pending:
            record = await self.get(Collection.CHAINS, str(chain_id))
            self._pending[chain_id] = (record or {}).get("pending_to")
        pending_to = self._pending[chain_id]
        if pending_to is None or block > pending_to or not ids:
            return current
        query = {
            "bool": {
                "filter": [
                    {"term": {"chain_id": chain_id}},
                    {"term": {"collection": collection.value}},
                    {"terms": {"doc_id": list(ids)}},
                    {"range": {"block": {"gte": block}}},
                ]
            }
        }
        # Oldest entry first: the earliest journaled block at or after `block` holds the version before it.
        for entry in reversed(await self._scan(Collection.JOURNAL, query, [{"block": "asc"}, {"seq": "asc"}])):
            current[entry["_source"]["doc_id"]] = entry["_source"]["before"]
        return current

    async def cursor(self, chain_id: int) -> BlockRef | None:
        record = await self.get(Collection.CHAINS, str(chain_id))
        if record is None or record.get("last_block", -1) < 0:
            return None
        return BlockRef(int(record["last_block"]), str(record["last_hash"]))

    async def recent_blocks(self, chain_id: int, limit: int) -> list[BlockRef]:
        await self._client.indices.refresh(index=self.alias(Collection.BLOCKS))
        response = await self._client.search(
            index=self.alias(Collection.BLOCKS),
            query={"term": {"chain_id": chain_id}},
            sort=[{"number": "desc"}],
            size=limit,
        )
        return [BlockRef(h["_source"]["number"], h["_source"]["hash"]) for h in response["hits"]["hits"]]

    async def _scan(self, collection: Collection, query: Doc, sort: list[Doc]) -> list[dict[str, Any]]:
        """Every hit of `query`, paged with search_after (the test distribution has no delete-by-query)."""
        await self._client.indices.refresh(index=self.alias(collection))
        hits: list[dict[str, Any]] = []
        after: list[Any] | None = None
        while True:
            response = await self._client.search(
                index=self.alias(collection), query=query, sort=sort, size=SCROLL_PAGE, search_after=after
            )
            page = response["hits"]["hits"]
            hits += page
            if len(page) < SCROLL_PAGE:
                return hits
            after = page[-1]["sort"]

    async def rollback(self, chain_id: int, to: BlockRef) -> None:
        after_target = {"bool": {"filter": [{"term": {"chain_id": chain_id}}, {"range": {"block": {"gt": to.number}}}]}}
        entries = await self._scan(Collection.JOURNAL, after_target, [{"block": "desc"}, {"seq": "desc"}])
        restored: dict[tuple[str, str], Doc | None] = {}
        for entry in entries:  # newest first: the oldest entry of a document, seen last, holds its version at `to`
            source = entry["_source"]
            restored[(source["collection"], source["doc_id"])] = source["before"]
        restores = [Write(Collection(c), doc_id, doc) for (c, doc_id), doc in restored.items()]
        await self._bulk(list(self._ops(restores)))
        orphaned_blocks = await self._scan(
            Collection.BLOCKS,
            {"bool": {"filter": [{"term": {"chain_id": chain_id}}, {"range": {"number": {"gt": to.number}}}]}},
            [{"number": "desc"}],
        )
        cleanup = [Write(Collection.JOURNAL, e["_id"], None) for e in entries]
        cleanup += [Write(Collection.BLOCKS, b["_id"], None) for b in orphaned_blocks]
        await self._bulk(list(self._ops(cleanup)))
        await self._bulk(list(self._ops([chain_record(chain_id, to)])), refresh=True)

    async def prune(self, chain_id: int, below_block: int) -> None:
        for collection, sort in ((Collection.JOURNAL, ["block", "seq"]), (Collection.BLOCKS, ["number"])):
            query = {"bool": {"filter": [{"term": {"chain_id": chain_id}}, {"range": {sort[0]: {"lt": below_block}}}]}}
            old = await self._scan(collection, query, [{f: "asc"} for f in sort])
            await self._bulk([{"delete": {"_index": self.alias(collection), "_id": h["_id"]}} for h in old])

    async def change_lease(
        self, action: LeaseAction, name: str, holder: str, ttl: float = 0.0, note: Doc | None = None
    ) -> LeaseState:
        """Optimistic concurrency: the write names the version read (`if_seq_no`/`if_primary_term`, or
        `op_type=create` for a missing lease), so a concurrent change makes it fail instead of being overwritten."""
        index = self.alias(Collection.LEASES)
        try:
            found = await self._client.get(index=index, id=name)
            current: Lease | None = Lease.from_doc(found["_source"])
            version = {"if_seq_no": found["_seq_no"], "if_primary_term": found["_primary_term"]}
        except NotFoundError:
            current, version = None, {}
        granted, wanted = decide_lease(current, action, name, holder, ttl, time.time(), note)
        if not granted:
            return LeaseState(False, current)
        try:
            if wanted is None:
                await self._client.delete(index=index, id=name, **version)
            elif current is None:
                await self._client.index(index=index, id=name, document=wanted.to_doc(), op_type="create")
            else:
                await self._client.index(index=index, id=name, document=wanted.to_doc(), **version)
        except (ConflictError, NotFoundError):
            # another writer came first, unless the client's retry of this very request is what came first
            after = await self.read_lease(name)
            return LeaseState(after == wanted, after)
        return LeaseState(True, wanted)

    async def refresh(self) -> None:
        await self._client.indices.refresh(index=",".join(self.alias(c) for c in Collection))


def _bulk_actions(operations: list[dict[str, Any]]) -> list[BulkAction]:
    actions: list[BulkAction] = []
    lines = iter(operations)
    for line in lines:
        actions.append((line, None if "delete" in line else next(lines)))
    return actions


def _bulk_lines(actions: list[BulkAction]) -> list[dict[str, Any]]:
    return [line for action, source in actions for line in (action, source) if line is not None]


def _may_be_stale(answer: Doc, concrete: str, names_index: bool) -> bool:
    hits = answer.get("hits", {})
    found_in = {hit.get("_index") for hit in hits.get("hits", [])}
    if found_in - {concrete}:
        return True
    total = hits.get("total")
    return names_index and not found_in and not (isinstance(total, dict) and total.get("value"))


def _rewrite_index_terms(node: Any, logical: str, concrete: str) -> Any:
    """Clients filter on `_index: "<logical name>"`; the documents live in a versioned index behind that alias,
    so `_index` values naming the alias are rewritten to the concrete index. Other names match nothing."""
    if isinstance(node, list):
        return [_rewrite_index_terms(n, logical, concrete) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in ("term", "terms") and isinstance(value, dict) and "_index" in value:
            value = {**value, "_index": _swap_index(value["_index"], logical, concrete)}
        out[key] = _rewrite_index_terms(value, logical, concrete)
    return out


def _swap_index(value: Any, logical: str, concrete: str) -> Any:
    if isinstance(value, list):
        return [concrete if v == logical else v for v in value]
    if isinstance(value, dict) and "value" in value:
        return {**value, "value": concrete if value["value"] == logical else value["value"]}
    return concrete if value == logical else value


def _root_cause(err: BadRequestError) -> str:
    info = err.info if isinstance(err.info, dict) else {}
    causes = info.get("error", {}).get("root_cause") or [info.get("error", {})]
    reason = causes[0].get("reason") if causes and isinstance(causes[0], dict) else None
    return str(reason or err.message)
