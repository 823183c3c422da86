"""Small readers for the shapes of Elasticsearch's query DSL, shared by queries, sorting and aggregations."""

from __future__ import annotations

import math
import re
from typing import Any

from aquarius.store.base import BadQuery


def clause_list(value: Any, where: str) -> list[dict[str, Any]]:
    """A clause given as one object or an array of them; null/false elements are no-ops, as clients send them."""
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if item is None or item is False:
            continue
        if not isinstance(item, dict):
            raise BadQuery(f"[{where}] expects an object or an array of objects")
        out.append(item)
    return out


def single_entry(spec: Any, query: str) -> tuple[str, Any]:
    """The `{field: value}` of a field query, ignoring the `boost`/`_name` siblings some queries allow."""
    if not isinstance(spec, dict):
        raise BadQuery(f"[{query}] query malformed, expected an object")
    entries = [(k, v) for k, v in spec.items() if k not in ("boost", "_name")]
    if len(entries) != 1:
        raise BadQuery(f"[{query}] query must name exactly one field")
    return entries[0]


def number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise BadQuery(f"[{what}] must be a number")
    try:
        result = float(value)
    except ValueError:
        raise BadQuery(f"[{what}] must be a number, got {value!r}") from None
    if not math.isfinite(result):
        raise BadQuery(f"[{what}] must be a finite number")
    return result


def boost_of(spec: dict[str, Any]) -> float:
    return number(spec.get("boost", 1.0), "boost")


_MSM_PART = re.compile(r"^(-?\d+)(%?)$")


def min_should_match(optional: int, spec: Any) -> int:
    """How many optional clauses must match, for an Elasticsearch `minimum_should_match` value."""
    if isinstance(spec, bool):
        raise BadQuery("[minimum_should_match] must be a number or a string")
    if isinstance(spec, int):
        spec = str(spec)
    if not isinstance(spec, str):
        raise BadQuery("[minimum_should_match] must be a number or a string")
    spec = spec.strip()
    if "<" in spec:
        result = optional
        for part in re.sub(r"\s*<\s*", "<", spec).split():
            bound, _, inner = part.partition("<")
            if not bound.lstrip("-").isdigit():
                raise BadQuery(f"invalid [minimum_should_match] {spec!r}")
            if optional <= int(bound):
                return result
            result = min_should_match(optional, inner)
        return result
    m = _MSM_PART.match(spec)
    if not m:
        raise BadQuery(f"invalid [minimum_should_match] {spec!r}")
    calc = int(int(m[1]) * 0.01 * optional) if m[2] else int(m[1])
    result = optional + calc if calc < 0 else calc
    return max(result, 0)
