"""The guard in front of the search routes: only the asset collection is searched, nothing in a body may read
another index or run code, and the client quirks the original server tolerated (or should have) are smoothed.

The whole body is walked, aggregations included. A refused key answers 400 naming it. `_index` filters are left
to the store, which evaluates them against the configured logical index name."""

from __future__ import annotations

from typing import Any

from api.params import as_int
from api.responses import INVALID_PAYLOAD

MAX_DEPTH = 64

_READS_ELSEWHERE = "it could read another index"
_RUNS_CODE = "it runs code on the server"
_OUTSIDE_SUBSET = "it is outside the supported search subset"

REFUSED_KEYS: dict[str, str] = {
    "index": _READS_ELSEWHERE,
    "indices_boost": _READS_ELSEWHERE,
    "indexed_shape": _READS_ELSEWHERE,
    "more_like_this": _READS_ELSEWHERE,
    "percolate": _READS_ELSEWHERE,
    "pit": _READS_ELSEWHERE,
    "scroll": _READS_ELSEWHERE,
    "wrapper": "it hides a query from inspection",
    "script": _RUNS_CODE,
    "_script": _RUNS_CODE,
    "script_score": _RUNS_CODE,
    "script_fields": _RUNS_CODE,
    "script_heuristic": _RUNS_CODE,
    "scripted_metric": _RUNS_CODE,
    "bucket_script": _RUNS_CODE,
    "bucket_selector": _RUNS_CODE,
    "minimum_should_match_script": _RUNS_CODE,
    "runtime_mappings": _RUNS_CODE,
    "stored_fields": "it reads stored fields outside _source",
    "docvalue_fields": "it reads index internals outside _source",
    "profile": "it exposes index internals",
    "explain": "it exposes index internals",
    "suggest": _OUTSIDE_SUBSET,
    "rescore": _OUTSIDE_SUBSET,
    "collapse": _OUTSIDE_SUBSET,
    "knn": _OUTSIDE_SUBSET,
    "retriever": _OUTSIDE_SUBSET,
    "rank": _OUTSIDE_SUBSET,
    "sub_searches": _OUTSIDE_SUBSET,
}

# Under these keys, the keys of the next object are field names (or aggregation names), not parameters: a DDO
# field called `index` is fine there. Every other refused key stays refused even there, because aggregations
# share these names with their own parameters (a `terms` aggregation takes a `script`).
_NAMES_FOLLOW = {
    "term",
    "terms",
    "match",
    "match_phrase",
    "match_phrase_prefix",
    "match_bool_prefix",
    "prefix",
    "wildcard",
    "regexp",
    "fuzzy",
    "range",
    "sort",
    "aggs",
    "aggregations",
}
_BOOL_CLAUSES = {"must", "should", "filter", "must_not"}


class RefusedQuery(ValueError):
    """The body may not be run; the message (answered with 400) names the reason."""


def guard_search(body: Any, max_size: int) -> dict[str, Any]:
    """The body to run against the asset collection: refused keys rejected, `size` clamped to `max_size`,
    a negative `from` read as 0, `null`/`false` clause elements dropped."""
    if not isinstance(body, dict):
        raise RefusedQuery(INVALID_PAYLOAD)
    cleaned: dict[str, Any] = _clean(body, None, 0)
    size = as_int(cleaned.get("size"))
    if size is not None:
        cleaned["size"] = min(size, max_size)
    start = as_int(cleaned.get("from"))
    if start is not None:
        cleaned["from"] = max(start, 0)
    return cleaned


def _clean(node: Any, parent: str | None, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise RefusedQuery(f"the query is nested deeper than {MAX_DEPTH} levels")
    if isinstance(node, list):
        return [_clean(item, parent, depth + 1) for item in node]
    if not isinstance(node, dict):
        return node
    names_follow = parent in _NAMES_FOLLOW
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in REFUSED_KEYS and not (names_follow and key == "index"):
            raise RefusedQuery(f"`{key}` is not allowed in a query: {REFUSED_KEYS[key]}")
        if parent == "bool" and key in _BOOL_CLAUSES:
            # The market sends `null` (and, later, `false`) where an optional clause is unused.
            if value is None or value is False:
                continue
            if isinstance(value, list):
                value = [clause for clause in value if clause is not None and clause is not False]
        out[key] = _clean(value, key, depth + 1)
    return out
