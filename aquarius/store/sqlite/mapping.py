"""Field types with Elasticsearch's rules: the asset mapping file names some fields, dynamic mapping decides the
rest from the first value seen (string -> text + `.keyword`, integer -> long, float -> double, bool -> boolean).
Values are converted the way Elasticsearch coerces them into their field's type."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from functools import cache
from typing import Any

from aquarius.schemas_path import ASSET_MAPPING_FILE
from aquarius.store.base import Collection

KEYWORD_IGNORE_ABOVE = 256


class Kind(StrEnum):
    TEXT = "text"
    KEYWORD = "keyword"
    LONG = "long"
    DOUBLE = "double"
    BOOLEAN = "boolean"
    DATE = "date"

    @property
    def numeric(self) -> bool:
        return self in (Kind.LONG, Kind.DOUBLE, Kind.DATE, Kind.BOOLEAN)


@dataclass(frozen=True, slots=True)
class Field:
    fid: int
    collection: str
    path: str
    kind: Kind


def _explicit_fields(properties: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Kind | None]]:
    """(path, kind) for every mapped field; (path, None) for an object with `enabled: false`."""
    for name, spec in properties.items():
        path = f"{prefix}{name}"
        if spec.get("enabled", True) is False:
            yield path, None
            continue
        if "properties" in spec:
            yield from _explicit_fields(spec["properties"], f"{path}.")
            continue
        yield path, Kind(spec["type"])
        for sub, sub_spec in spec.get("fields", {}).items():
            yield f"{path}.{sub}", Kind(sub_spec["type"])


@cache
def _explicit_mapping(collection: str) -> dict[str, Kind | None]:
    if collection != Collection.ASSETS.value:
        return {}
    mapping = json.loads(ASSET_MAPPING_FILE.read_text())
    return dict(_explicit_fields(mapping["properties"]))


@cache
def explicit_fields(collection: str) -> dict[str, Kind]:
    """The fields the mapping file names, with their sub-fields; only the asset collection has them."""
    return {path: kind for path, kind in _explicit_mapping(collection).items() if kind is not None}


@cache
def disabled_objects(collection: str) -> frozenset[str]:
    """Objects mapped `enabled: false`: kept in `_source`, nothing inside them is indexed (publisher free-form)."""
    return frozenset(path for path, kind in _explicit_mapping(collection).items() if kind is None)


def dynamic_kind(value: Any) -> Kind | None:
    if isinstance(value, bool):
        return Kind.BOOLEAN
    if isinstance(value, int):
        return Kind.LONG
    if isinstance(value, float):
        return Kind.DOUBLE
    if isinstance(value, str):
        return Kind.TEXT
    return None


def leaves(doc: Any, disabled: frozenset[str] = frozenset(), prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted path, scalar) for every non-null scalar of a document outside the `disabled` paths; arrays
    flatten as in Elasticsearch."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            path = f"{prefix}{key}"
            if path not in disabled:
                yield from leaves(value, disabled, f"{path}." if path else "")
        return
    if isinstance(doc, list):
        for item in doc:
            yield from leaves(item, disabled, prefix)
        return
    if doc is not None and prefix:
        yield prefix.removesuffix("."), doc


_DATE = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<mo>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<h>\d{2})(?::(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?)?"
    r"(?P<tz>Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?$"
)


def parse_date(value: Any) -> int | None:
    """Epoch milliseconds for `strict_date_optional_time||epoch_millis`, None when malformed."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value) if math.isfinite(value) else None
    if not isinstance(value, str):
        return None
    if re.fullmatch(r"-?\d+", value) and len(value) != 4:
        return int(value)
    m = _DATE.match(value)
    if not m:
        return None
    tz: timezone = UTC
    if m["tz"] and m["tz"] != "Z":
        digits = m["tz"][1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        tz = timezone(offset if m["tz"][0] == "+" else -offset)
    try:
        moment = datetime(
            int(m["y"]),
            int(m["mo"] or 1),
            int(m["d"] or 1),
            int(m["h"] or 0),
            int(m["mi"] or 0),
            int(m["s"] or 0),
            int((m["f"] or "0").ljust(6, "0")[:6]),
            tzinfo=tz,
        )
    except ValueError:
        return None
    return int(moment.timestamp() * 1000) if moment.microsecond == 0 else round(moment.timestamp() * 1000)


def format_date(millis: int) -> str:
    """Epoch milliseconds as Elasticsearch prints them, including years beyond 9999 (sums of dates)."""
    days, rest = divmod(millis, 86_400_000)
    # days -> civil date in the proleptic Gregorian calendar (Howard Hinnant's algorithm)
    z = days + 719_468
    era, doe = divmod(z, 146_097)
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day, month = doy - (153 * mp + 2) // 5 + 1, mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (month <= 2)
    seconds, ms = divmod(rest, 1000)
    clock = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}.{ms:03d}Z"
    year_text = f"+{year}" if year > 9999 else f"{year:04d}"
    return f"{year_text}-{month:02d}-{day:02d}T{clock}"


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def coerce(kind: Kind, value: Any) -> Any:
    """The value as the field stores it (int/float/str), None when Elasticsearch would not index it."""
    if kind is Kind.TEXT:
        return _as_string(value)
    if kind is Kind.KEYWORD:
        text = _as_string(value)
        return text if len(text) <= KEYWORD_IGNORE_ABOVE else None
    if kind is Kind.LONG:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        number = _number(value)
        return None if number is None else int(number)
    if kind is Kind.DOUBLE:
        return _number(value)
    if kind is Kind.BOOLEAN:
        if isinstance(value, bool):
            return int(value)
        return {"true": 1, "false": 0, "": None}.get(value) if isinstance(value, str) else None
    return parse_date(value)


def _as_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)
