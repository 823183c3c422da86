"""Cross-cutting request handling, outermost first: CORS, metrics, errors and the time budget, and (innermost)
paths with doubled slashes, which a client base URL with a trailing slash produces (`//api/aquarius/...`)."""

from __future__ import annotations

import asyncio
import logging
import re
import time

from aiohttp import web
from aiohttp.typedefs import Handler

from api.context import context
from api.metrics import ApiMetrics
from api.query_guard import RefusedQuery
from api.responses import BadPayload, error
from aquarius.store.base import BadQuery, StoreError, UnsupportedQuery

log = logging.getLogger(__name__)

METRICS = web.AppKey("metrics", ApiMetrics)
# The route template a request was answered by, when it differs from the one the router first matched.
ROUTE_KEY = web.RequestKey("route", str)
UNMATCHED = "unmatched"

_ALLOWED_METHODS = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"


@web.middleware
async def cors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Any origin, any header, as the original server allowed; preflights are answered here."""
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        headers = {"Access-Control-Allow-Methods": _ALLOWED_METHODS, "Access-Control-Max-Age": "86400"}
        if "Access-Control-Request-Headers" in request.headers:
            headers["Access-Control-Allow-Headers"] = request.headers["Access-Control-Request-Headers"]
        response: web.StreamResponse = web.Response(status=200, headers=headers)
    else:
        response = await handler(request)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def route_template(request: web.Request) -> str:
    if ROUTE_KEY in request:
        return request[ROUTE_KEY]
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else UNMATCHED


@web.middleware
async def metrics(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    response = await handler(request)
    request.app[METRICS].observe(
        route_template(request), request.method, response.status, time.perf_counter() - started
    )
    return response


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure answers JSON `{"error": ...}`; client mistakes are 4xx, never 500."""
    budget = context(request).settings.request_timeout
    try:
        async with asyncio.timeout(budget):
            return await handler(request)
    except (BadPayload, RefusedQuery, BadQuery, UnsupportedQuery) as err:
        return error(400, str(err))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return error(exc.status, exc.text if exc.status == 413 else exc.reason)
    except TimeoutError:
        return error(504, f"The request took longer than its time budget of {budget:g} s.")
    except StoreError as err:
        log.warning("store unavailable for %s %s: %s", request.method, request.path, err)
        return error(503, f"The store is unavailable: {err}")
    except Exception:
        log.exception("unhandled error answering %s %s", request.method, request.path)
        return error(500, "Internal server error.")


_SLASHES = re.compile(r"/{2,}")


@web.middleware
async def merge_slashes(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.match_info.http_exception is None or "//" not in request.raw_path:
        return await handler(request)
    merged = request.clone(rel_url=request.rel_url.with_path(_SLASHES.sub("/", request.path), keep_query=True))
    match = await request.app.router.resolve(merged)
    if match.http_exception is not None:
        return await handler(request)
    # The router sets a request's match during dispatch; a re-routed request needs it set the same way.
    merged._match_info = match
    match.add_app(request.app)
    request[ROUTE_KEY] = route_template(merged)
    return await match.handler(merged)
