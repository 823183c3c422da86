"""Response bodies in the two styles the original server used, and the request-body reading they share.

Generic answers are written like Flask's `jsonify` (compact, keys sorted, trailing newline); documents (a DDO, its
metadata) keep the stored key order, written like `json.dumps`."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

INVALID_PAYLOAD = "Invalid payload. The request could not be converted into a dict."


class BadPayload(ValueError):
    """The request body is not the JSON the route needs; the message is the client-facing error text."""


def jsonify(payload: Any, status: int = 200) -> web.Response:
    text = json.dumps(payload, separators=(",", ":"), sort_keys=True) + "\n"
    return web.Response(text=text, status=status, content_type="application/json")


def error(status: int, message: str) -> web.Response:
    return jsonify({"error": message}, status)


def document(doc: Any) -> web.Response:
    return web.Response(text=json.dumps(doc), content_type="application/json")


def parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser allows
        raise BadPayload(INVALID_PAYLOAD) from None


async def json_object(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object, whatever the declared content type (clients differ on it)."""
    data = parse_json(await request.read())
    if not isinstance(data, dict):
        raise BadPayload(INVALID_PAYLOAD)
    return data
