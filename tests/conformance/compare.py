"""How an embedded-store answer is held against Elasticsearch's answer to the same body."""

from __future__ import annotations

import math
from typing import Any

from tests.conformance.bodies import Case

MIN_TOP10_OVERLAP = 0.8


def _normalise(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6) if math.isfinite(value) else value
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


def differences(case: Case, es: dict[str, Any] | None, mine: dict[str, Any] | None) -> list[str]:
    """What differs (empty when the answers agree); None stands for an error answer."""
    if (es is None) != (mine is None):
        return [
            f"status: elasticsearch {'error' if es is None else 'ok'}, embedded {'error' if mine is None else 'ok'}"
        ]
    if es is None or mine is None:
        return []
    out = []
    es_total, my_total = es["hits"].get("total"), mine["hits"].get("total")
    if es_total != my_total:
        out.append(f"total: {es_total} != {my_total}")
    es_ids = [h["_id"] for h in es["hits"]["hits"]]
    my_ids = [h["_id"] for h in mine["hits"]["hits"]]
    if case.scored:
        if es_ids[:1] != my_ids[:1]:
            out.append(f"top hit: {es_ids[:1]} != {my_ids[:1]}")
        top = set(es_ids[:10])
        if top and len(top & set(my_ids[:10])) / len(top) < MIN_TOP10_OVERLAP:
            out.append(f"top-10 overlap {len(top & set(my_ids[:10]))}/{len(top)}")
    elif es_ids != my_ids:
        if set(es_ids) != set(my_ids):
            out.append(f"page ids differ: {len(set(es_ids) ^ set(my_ids))} not shared")
        else:
            out.append("page order differs")
    if _normalise(es.get("aggregations")) != _normalise(mine.get("aggregations")):
        out.append(f"aggregations: {es.get('aggregations')} != {mine.get('aggregations')}")
    return out
