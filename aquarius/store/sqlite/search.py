"""A search body -> an Elasticsearch response: query, paging, sorting, total hits, `_source` filtering and
aggregations, with Elasticsearch's validation of each."""

from __future__ import annotations

import fnmatch
import sqlite3
import time
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from typing import Any

from aquarius.store.base import BadQuery, UnsupportedQuery
from aquarius.store.sqlite.aggregations import Aggregator
from aquarius.store.sqlite.indexing import FieldRegistry
from aquarius.store.sqlite.mapping import Field, Kind
from aquarius.store.sqlite.queries import Evaluator, QueryContext, Scores

MAX_RESULT_WINDOW = 10_000
DEFAULT_TRACK_TOTAL_HITS = 10_000
_LONG_MAX, _LONG_MIN = 2**63 - 1, -(2**63)

_BODY_KEYS = {"query", "from", "size", "sort", "aggs", "aggregations", "track_total_hits", "_source", "timeout"}
_UNSUPPORTED_BODY_KEYS = {
    "collapse",
    "docvalue_fields",
    "explain",
    "fields",
    "highlight",
    "indices_boost",
    "knn",
    "min_score",
    "pit",
    "post_filter",
    "profile",
    "rank",
    "rescore",
    "retriever",
    "runtime_mappings",
    "script_fields",
    "search_after",
    "seq_no_primary_term",
    "slice",
    "stats",
    "stored_fields",
    "suggest",
    "terminate_after",
    "track_scores",
    "version",
}


@dataclass(frozen=True, slots=True)
class SortKey:
    name: str  # "_score", "_doc" or a field path
    field: Field | None
    desc: bool
    missing_first: bool
    missing_value: Any = None


def _int_param(body: dict[str, Any], key: str, default: int) -> int:
    value = body.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadQuery(f"[{key}] must be an integer")
    if value < 0:
        raise BadQuery(f"[{key}] parameter cannot be negative")
    return value


class Searcher:
    def __init__(self, fields: FieldRegistry, asset_index_name: str) -> None:
        self.fields = fields
        self.asset_index_name = asset_index_name

    def public_name(self, collection: str) -> str:
        return self.asset_index_name if collection == "assets" else collection

    def search(self, conn: sqlite3.Connection, collection: str, body: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        if collection == "journal":
            raise UnsupportedQuery("the journal collection is not searchable")
        if not isinstance(body, dict):
            raise BadQuery("the search body must be an object")
        for key in body:
            if key in _UNSUPPORTED_BODY_KEYS:
                raise UnsupportedQuery(f"unsupported search option '{key}'")
            if key not in _BODY_KEYS:
                raise BadQuery(f"unknown key [{key}] in the search body")
        start, size = _int_param(body, "from", 0), _int_param(body, "size", 10)
        if start + size > MAX_RESULT_WINDOW:
            raise BadQuery(f"Result window is too large, from + size must be less than or equal to {MAX_RESULT_WINDOW}")
        index_name = self.public_name(collection)
        ctx = QueryContext(conn, self.fields, collection, index_name)
        evaluator = Evaluator(ctx)
        sort = self._sort_keys(ctx, body.get("sort"))
        aggs_spec = body.get("aggs", body.get("aggregations"))
        if "aggs" in body and "aggregations" in body:
            raise BadQuery("use either [aggs] or [aggregations], not both")
        track = body.get("track_total_hits", DEFAULT_TRACK_TOTAL_HITS)
        if not isinstance(track, bool | int):
            raise BadQuery("[track_total_hits] must be a boolean or an integer")
        source = self._source_filter(body.get("_source", True))

        query = body.get("query")
        scores: Scores = evaluator.evaluate(query) if query is not None else dict.fromkeys(ctx.all_docs(), 1.0)
        aggregations = Aggregator(evaluator).run(aggs_spec, set(scores)) if aggs_spec is not None else None
        scored = not sort or any(k.name == "_score" for k in sort)
        keys = sort or [SortKey("_score", None, True, False)]
        if len(keys) == 1 and keys[0].field is not None and not keys[0].missing_first and keys[0].missing_value is None:
            page, column = self._field_page(ctx, scores, keys[0], start + size)
            page, columns = page[start:], [column]
        else:
            ordered, columns = self._order(ctx, scores, keys)
            page = ordered[start : start + size]
        bodies = ctx.bodies(page) if page else {}
        ids = dict(
            conn.execute(
                "SELECT seq, id FROM docs WHERE seq IN (SELECT value FROM json_each(?))", (str(page),)
            ).fetchall()
        )
        hits = []
        for doc in page:
            hit: dict[str, Any] = {"_index": index_name, "_id": ids[doc], "_score": scores[doc] if scored else None}
            if source is not False:
                hit["_source"] = bodies[doc] if source is True else _filter_source(bodies[doc], *source)
            if sort:
                hit["sort"] = [self._sort_value(k, c, doc) for k, c in zip(keys, columns, strict=True)]
            hits.append(hit)
        hits_block: dict[str, Any] = {}
        if track is not False:
            cap = None if track is True else int(track)
            total = len(scores)
            hits_block["total"] = (
                {"value": cap, "relation": "gte"}
                if cap is not None and total > cap
                else {"value": total, "relation": "eq"}
            )
        hits_block["max_score"] = max(scores.values(), default=None) if scored and hits else None
        hits_block["hits"] = hits
        response: dict[str, Any] = {
            "took": int((time.perf_counter() - started) * 1000),
            "timed_out": False,
            "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
            "hits": hits_block,
        }
        if aggregations is not None:
            response["aggregations"] = aggregations
        return response

    # --- sorting --------------------------------------------------------------------------------------------

    def _sort_keys(self, ctx: QueryContext, raw: Any) -> list[SortKey]:
        if raw is None:
            return []
        keys = []
        for item in raw if isinstance(raw, list) else [raw]:
            if isinstance(item, str):
                name, options = item, {}
            elif isinstance(item, dict) and len(item) == 1:
                ((name, value),) = item.items()
                options = {"order": value} if isinstance(value, str) else value
                if not isinstance(options, dict):
                    raise BadQuery(f"malformed sort on [{name}]")
            else:
                raise BadQuery("each sort must be a field name or an object with one field")
            unknown = set(options) - {"order", "missing", "mode", "unmapped_type"}
            if unknown:
                raise UnsupportedQuery(f"unsupported sort option '{sorted(unknown)[0]}'")
            order = options.get("order", "desc" if name == "_score" else "asc")
            if order not in ("asc", "desc"):
                raise BadQuery(f"unknown sort order [{order}] for [{name}]")
            desc = order == "desc"
            mode = options.get("mode", "max" if desc else "min")
            if mode not in ("min", "max") or (mode == "max") != desc:
                raise UnsupportedQuery(
                    "unsupported sort mode: multi-valued fields sort by min ascending, max descending"
                )
            missing = options.get("missing", "_last")
            field = None
            if name not in ("_score", "_doc"):
                field = ctx.field(name)
                if field is None and "unmapped_type" not in options:
                    raise BadQuery(f"No mapping found for [{name}] in order to sort on")
                if field is not None and field.kind is Kind.TEXT:
                    raise BadQuery(f"Fielddata is disabled on [{name}]: text fields cannot be sorted on")
            custom = None
            if missing not in ("_last", "_first"):
                if field is None:
                    raise UnsupportedQuery("unsupported sort: a custom missing value on an unmapped field")
                custom = Evaluator(ctx)._query_value(field, missing)
            keys.append(SortKey(name, field, desc, missing == "_first", custom))
        return keys

    def _order(self, ctx: QueryContext, scores: Scores, keys: list[SortKey]) -> tuple[list[int], list[dict[int, Any]]]:
        ordered = sorted(scores)  # index order breaks every tie
        columns: list[dict[int, Any]] = []
        for key in keys:
            if key.name == "_score":
                column: dict[int, Any] = scores
            elif key.name == "_doc":
                column = {d: d for d in scores}
            else:
                column = {}
                if key.field is not None:
                    column = {d: v for d, v in ctx.sort_values(key.field, key.desc).items() if d in scores}
                if key.missing_value is not None:
                    column = {d: column.get(d, key.missing_value) for d in scores}
            columns.append(column)
        for key, column in reversed(list(zip(keys, columns, strict=True))):
            present = [d for d in ordered if d in column]
            absent = [d for d in ordered if d not in column]
            present.sort(key=column.__getitem__, reverse=key.desc)
            ordered = absent + present if key.missing_first else present + absent
        return ordered, columns

    @staticmethod
    def _field_page(ctx: QueryContext, scores: Scores, key: SortKey, want: int) -> tuple[list[int], dict[int, Any]]:
        """The first `want` matches in the order of one field, missing values last, read from the field's postings
        in term order until the page is full; the field's sort value of each."""
        assert key.field is not None
        page: list[int] = []
        column: dict[int, Any] = {}
        if want == 0:
            return page, column
        seen: set[int] = set()  # a multi-valued document sorts by the first of its values met in this order
        rows = ctx.conn.execute(
            f"SELECT term, doc FROM postings WHERE fid = ? ORDER BY term {'DESC' if key.desc else 'ASC'}",
            (key.field.fid,),
        )
        try:
            for term, group in groupby(rows, key=itemgetter(0)):
                docs = sorted(doc for _, doc in group if doc not in seen)  # index order breaks ties
                seen.update(docs)
                for doc in docs:
                    if doc in scores:
                        page.append(doc)
                        column[doc] = term
                if len(page) >= want:
                    return page[:want], column
        finally:
            rows.close()
        page += sorted(doc for doc in scores if doc not in seen)[: want - len(page)]
        return page, column

    @staticmethod
    def _sort_value(key: SortKey, column: dict[int, Any], doc: int) -> Any:
        if doc in column:
            value = column[doc]
            return float(value) if key.name == "_score" or (key.field and key.field.kind is Kind.DOUBLE) else value
        kind = key.field.kind if key.field else Kind.KEYWORD
        low_end = key.desc != key.missing_first  # where a missing value sits on the field's own scale
        if kind is Kind.KEYWORD:
            return None
        if kind is Kind.DOUBLE:
            return "-Infinity" if low_end else "Infinity"
        return _LONG_MIN if low_end else _LONG_MAX

    # --- _source --------------------------------------------------------------------------------------------

    @staticmethod
    def _source_filter(spec: Any) -> bool | tuple[list[str], list[str]]:
        if isinstance(spec, bool):
            return spec
        if isinstance(spec, str):
            return [spec], []
        if isinstance(spec, list) and all(isinstance(p, str) for p in spec):
            return spec, []
        if isinstance(spec, dict) and set(spec) <= {"includes", "excludes", "include", "exclude"}:
            includes = spec.get("includes", spec.get("include", []))
            excludes = spec.get("excludes", spec.get("exclude", []))
            includes = [includes] if isinstance(includes, str) else includes
            excludes = [excludes] if isinstance(excludes, str) else excludes
            return list(includes), list(excludes)
        raise BadQuery("[_source] must be a boolean, a pattern, an array of patterns or {includes, excludes}")


def _filter_source(doc: Any, includes: list[str], excludes: list[str], prefix: str = "") -> Any:
    if not isinstance(doc, dict):
        return doc
    out = {}
    for key, value in doc.items():
        path = f"{prefix}{key}"
        if any(fnmatch.fnmatchcase(path, p) for p in excludes):
            continue
        whole = not includes or any(fnmatch.fnmatchcase(path, p) for p in includes)
        deeper = any(p.startswith(path + ".") or p.startswith("*") for p in includes)
        if whole:
            out[key] = _filter_source(value, [], excludes, path + ".") if isinstance(value, dict) else value
        elif deeper and isinstance(value, dict):
            inner = _filter_source(value, includes, excludes, path + ".")
            if inner:
                out[key] = inner
        elif deeper and isinstance(value, list):
            items = [_filter_source(v, includes, excludes, path + ".") for v in value if isinstance(v, dict)]
            if any(items):
                out[key] = [i for i in items if i]
    return out
