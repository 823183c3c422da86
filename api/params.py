"""Reading loosely typed request values: clients send numbers as JSON numbers or as strings."""

from __future__ import annotations

from typing import Any


def as_int(value: Any) -> int | None:
    """`value` as an integer when it is one (or a string of one), else None. Booleans are not integers here."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.removeprefix("-").isdigit():
            return int(text)
    return None
