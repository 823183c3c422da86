"""Aggregations over the matching documents, shaped as Elasticsearch answers them: `terms` (with sub-aggregations
and ordering by them), `filter`, and the metrics `sum`, `avg`, `min`, `max`, `value_count`, `cardinality`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aquarius.store.base import BadQuery, UnsupportedQuery
from aquarius.store.sqlite.dsl import number
from aquarius.store.sqlite.mapping import Field, Kind, format_date
from aquarius.store.sqlite.queries import Evaluator

METRICS = ("sum", "avg", "min", "max", "value_count", "cardinality")
UNSUPPORTED_AGGREGATIONS = frozenset(
    [
        "adjacency_matrix",
        "auto_date_histogram",
        "avg_bucket",
        "bucket_script",
        "bucket_selector",
        "bucket_sort",
        "children",
        "composite",
        "date_histogram",
        "date_range",
        "diversified_sampler",
        "extended_stats",
        "filters",
        "geo_bounds",
        "geo_centroid",
        "geo_distance",
        "geohash_grid",
        "global",
        "histogram",
        "ip_range",
        "matrix_stats",
        "median_absolute_deviation",
        "missing",
        "multi_terms",
        "nested",
        "percentile_ranks",
        "percentiles",
        "range",
        "rare_terms",
        "reverse_nested",
        "sampler",
        "scripted_metric",
        "significant_terms",
        "significant_text",
        "stats",
        "string_stats",
        "sum_bucket",
        "top_hits",
        "top_metrics",
        "variable_width_histogram",
        "weighted_avg",
    ]
)


class Aggregator:
    def __init__(self, evaluator: Evaluator) -> None:
        self.ev = evaluator
        self.ctx = evaluator.ctx
        self._values: dict[int, dict[int, list[Any]]] = {}

    def run(self, spec: Any, docs: set[int]) -> dict[str, Any]:
        if not isinstance(spec, dict):
            raise BadQuery("[aggs] must be an object")
        return {name: self._one(name, body, docs) for name, body in spec.items()}

    def _one(self, name: str, body: Any, docs: set[int]) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise BadQuery(f"aggregation [{name}] must be an object")
        subs = body.get("aggs", body.get("aggregations"))
        kinds = [k for k in body if k not in ("aggs", "aggregations", "meta")]
        if len(kinds) != 1:
            raise BadQuery(f"aggregation [{name}] must have exactly one type")
        kind = kinds[0]
        if kind in METRICS:
            if subs:
                raise BadQuery(f"aggregator [{name}] of type [{kind}] cannot accept sub-aggregations")
            return self._metric(kind, body[kind], docs)
        if kind == "terms":
            return self._terms(name, body[kind], subs, docs)
        if kind == "filter":
            matched = docs & self.ev.evaluate(body[kind]).keys()
            return {"doc_count": len(matched), **(self.run(subs, matched) if subs else {})}
        if kind in UNSUPPORTED_AGGREGATIONS:
            raise UnsupportedQuery(f"unsupported aggregation type '{kind}'")
        raise BadQuery(f"unknown aggregation type [{kind}] in [{name}]")

    def _field(self, spec: Any, agg: str) -> Field | None:
        if not isinstance(spec, dict) or not isinstance(spec.get("field"), str):
            raise BadQuery(f"[{agg}] aggregation needs a [field]")
        unknown = set(spec) - {"field", "size", "order", "min_doc_count", "shard_size", "precision_threshold"}
        if unknown:
            raise UnsupportedQuery(f"unsupported option '{sorted(unknown)[0]}' in [{agg}] aggregation")
        field = self.ctx.field(spec["field"])
        if field is not None and field.kind is Kind.TEXT:
            raise BadQuery(f"Fielddata is disabled on [{field.path}]: text fields cannot be aggregated")
        return field

    def _values_of(self, field: Field) -> dict[int, list[Any]]:
        if field.fid not in self._values:
            self._values[field.fid] = self.ctx.field_values(field)
        return self._values[field.fid]

    def _metric(self, kind: str, spec: Any, docs: set[int]) -> dict[str, Any]:
        field = self._field(spec, kind)
        if field is not None and field.kind is Kind.KEYWORD and kind not in ("value_count", "cardinality"):
            raise BadQuery(f"Field [{field.path}] of type [keyword] is not supported for aggregation [{kind}]")
        by_doc = self._values_of(field) if field else {}
        values = [v for d in docs if d in by_doc for v in by_doc[d]]
        if kind == "value_count":
            return {"value": len(values)}
        if kind == "cardinality":
            return {"value": len(set(values))}
        if kind == "sum":
            value: float | None = float(sum(values))
        elif kind == "avg":
            value = float(sum(values)) / len(values) if values else None
        else:
            pick: Callable[[list[Any]], Any] = min if kind == "min" else max
            value = float(pick(values)) if values else None
        out: dict[str, Any] = {"value": value}
        if value is not None and field is not None and field.kind is Kind.DATE:
            out["value_as_string"] = format_date(int(value))
        return out

    def _terms(self, name: str, spec: Any, subs: Any, docs: set[int]) -> dict[str, Any]:
        field = self._field(spec, "terms")
        size = int(number(spec.get("size", 10), "size"))
        min_count = int(number(spec.get("min_doc_count", 1), "min_doc_count"))
        if min_count < 1:
            raise UnsupportedQuery("unsupported [min_doc_count] below 1 in [terms] aggregation")
        members: dict[Any, set[int]] = {}
        if field is not None:
            by_doc = self._values_of(field)
            for doc in docs:
                for value in by_doc.get(doc, ()):
                    members.setdefault(value, set()).add(doc)
        buckets = []
        for key, bucket_docs in members.items():
            if len(bucket_docs) < min_count:
                continue
            bucket: dict[str, Any] = {"key": key, "doc_count": len(bucket_docs)}
            if field is not None and field.kind is Kind.BOOLEAN:
                bucket["key_as_string"] = "true" if key else "false"
            elif field is not None and field.kind is Kind.DATE:
                bucket["key_as_string"] = format_date(key)
            if subs:
                bucket.update(self.run(subs, bucket_docs))
            buckets.append(bucket)
        order = spec.get("order", {"_count": "desc"})
        buckets = self._order(name, order, buckets)
        kept = buckets[:size]
        by_metric = any(
            k not in ("_count", "_key") for item in (order if isinstance(order, list) else [order]) for k in item
        )
        return {
            # ordered by a metric with buckets left out, Elasticsearch declares the error unbounded
            "doc_count_error_upper_bound": -1 if by_metric and len(buckets) > size else 0,
            "sum_other_doc_count": sum(b["doc_count"] for b in buckets[size:]),
            "buckets": kept,
        }

    def _order(self, name: str, order: Any, buckets: list[dict[str, Any]]) -> list[dict[str, Any]]:
        orders = order if isinstance(order, list) else [order]
        criteria: list[tuple[str, bool]] = []
        for item in orders:
            if not isinstance(item, dict) or len(item) != 1:
                raise BadQuery(f"[order] of terms aggregation [{name}] must be objects with one key")
            ((key, direction),) = item.items()
            if direction not in ("asc", "desc"):
                raise BadQuery(f"unknown order direction {direction!r} in [{name}]")
            criteria.append((key, direction == "desc"))
        if not any(k == "_key" for k, _ in criteria):
            criteria.append(("_key", False))  # Elasticsearch breaks ties by key

        def sort_value(bucket: dict[str, Any], key: str) -> Any:
            if key == "_count":
                return bucket["doc_count"]
            if key == "_key":
                return bucket["key"]
            agg, _, metric = key.partition(".")
            sub = bucket.get(agg)
            if not isinstance(sub, dict) or "value" not in sub or metric not in ("", "value"):
                raise BadQuery(f"invalid aggregation order path [{key}] in [{name}]")
            return sub["value"]

        ordered = list(buckets)
        for key, desc in reversed(criteria):
            present = [b for b in ordered if sort_value(b, key) is not None]
            absent = [b for b in ordered if sort_value(b, key) is None]
            ordered = sorted(present, key=lambda b, k=key: sort_value(b, k), reverse=desc) + absent
        return ordered
