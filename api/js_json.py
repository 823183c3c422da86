"""JSON text as JavaScript's `JSON.stringify` writes it: Ocean-Node-era clients put exactly that text on chain, so
its sha256 is the hash the validate route must sign for them."""

from __future__ import annotations

import json
from typing import Any

# Above this magnitude JavaScript prints numbers in exponent form.
_JS_PLAIN_LIMIT = 1e21


def _js_numbers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < _JS_PLAIN_LIMIT:
        return int(value)
    if isinstance(value, dict):
        return {k: _js_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_js_numbers(v) for v in value]
    return value


def js_stringify(value: Any) -> str:
    return json.dumps(_js_numbers(value), separators=(",", ":"), ensure_ascii=False)
