"""The OpenAPI 3 document served at `/spec`. A test holds it equal to the application's route table."""

from __future__ import annotations

from typing import Any

from api.version import VERSION

_JSON = "application/json"
_ERROR = {
    "type": "object",
    "properties": {"error": {"type": "string"}},
    "required": ["error"],
}
_ANY_OBJECT: dict[str, Any] = {"type": "object", "additionalProperties": True}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {_JSON: {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ERROR, description)


def _param(name: str, where: str, description: str, *, required: bool = False, kind: str = "string") -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": required or where == "path",
        "description": description,
        "schema": {"type": kind},
    }


def _body(description: str, *types: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "required": True,
        "description": description,
        "content": {t: {"schema": schema or _ANY_OBJECT} for t in types or (_JSON,)},
    }


_DID = _param("did", "path", "the asset's DID, e.g. did:op:<64 hex>")
_SEARCH_RESPONSE = {
    "type": "object",
    "properties": {
        "took": {"type": "integer"},
        "timed_out": {"type": "boolean"},
        "hits": {
            "type": "object",
            "properties": {
                "total": {
                    "type": "object",
                    "properties": {"value": {"type": "integer"}, "relation": {"type": "string"}},
                },
                "hits": {"type": "array", "items": _ANY_OBJECT},
            },
        },
        "aggregations": _ANY_OBJECT,
    },
}
_QUERY_400 = _error("malformed body, a refused key (scripts, other indices...) or an unsupported construct")
_QUERY_413 = _error("body larger than AQUARIUS_MAX_BODY_BYTES")
_QUERY_504 = _error("the query exceeded the request time budget")
_QUERY_REFUSALS = {"400": _QUERY_400, "413": _QUERY_413, "504": _QUERY_504}

_PATHS: dict[str, dict[str, Any]] = {
    "/": {
        "get": {
            "summary": "Software identity",
            "responses": {"200": _json(_ANY_OBJECT, '{"plugin", "software": "Aquarius", "version"}')},
        }
    },
    "/health": {
        "get": {
            "summary": "Liveness: the store answers",
            "responses": {
                "200": {
                    "description": "`<backend> connected`",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                },
                "400": {"description": "`Not connected to any database`"},
            },
        }
    },
    "/ready": {
        "get": {
            "summary": "Readiness: the store serves every document (Elasticsearch: its indices are not red) and every "
            "chain is within AQUARIUS_READY_MAX_LAG of its head",
            "responses": {
                "200": _json(_ANY_OBJECT, "ready"),
                "503": _json(_ANY_OBJECT, "not ready, with details (`store_health`, per chain its lag)"),
            },
        }
    },
    "/metrics": {
        "get": {
            "summary": "Prometheus metrics: requests by route and status, latency histograms",
            "responses": {"200": {"description": "Prometheus text format", "content": {"text/plain": {}}}},
        }
    },
    "/spec": {"get": {"summary": "This OpenAPI document", "responses": {"200": _json(_ANY_OBJECT, "OpenAPI 3")}}},
    "/api/docs": {
        "get": {
            "summary": "Interactive page over this document",
            "responses": {"200": {"description": "HTML page", "content": {"text/html": {}}}},
        }
    },
    "/explorer": {
        "get": {
            "summary": "Web explorer: search, asset pages and chain status, over this API",
            "responses": {"200": {"description": "HTML page", "content": {"text/html": {}}}},
        }
    },
    "/explorer/{name}": {
        "get": {
            "summary": "The explorer's script and style sheet",
            "parameters": [_param("name", "path", "explorer.js or explorer.css")],
            "responses": {"200": {"description": "the file"}, "404": _error("no such file")},
        }
    },
    "/api/aquarius/assets/ddo/{did}": {
        "get": {
            "summary": "The stored asset: DDO plus nft, event, datatokens, stats, purgatory",
            "description": "A deprecated or revoked asset is answered with its event, nft, datatokens and stats only.",
            "parameters": [_DID],
            "responses": {
                "200": _json(_ANY_OBJECT, "the stored document"),
                "404": _error("`Asset DID <did> not found in Elasticsearch.`"),
            },
        }
    },
    "/api/aquarius/orders/query": {
        "post": {
            "summary": "Elasticsearch search and aggregations over the indexed orders (analytics)",
            "description": "Order records: did, chain_id, datatoken, type (order or reuse), consumer, payer, amount, "
            "service_index, timestamp, tx, log_index, block. Same guard as the asset query.",
            "requestBody": _body("an Elasticsearch search body"),
            "responses": {
                "200": _json(_SEARCH_RESPONSE, "the search response"),
                **_QUERY_REFUSALS,
            },
        }
    },
    "/api/aquarius/assets/history/{did}": {
        "get": {
            "summary": "The asset's provenance, oldest first (metadata versions, state changes, transfers, orders)",
            "parameters": [
                _DID,
                {
                    "name": "page",
                    "in": "query",
                    "required": False,
                    "description": "page number, from 1",
                    "schema": {"type": "integer", "minimum": 1},
                },
                {
                    "name": "size",
                    "in": "query",
                    "required": False,
                    "description": "entries per page (default 50)",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 500},
                },
            ],
            "responses": {
                "200": _json(_ANY_OBJECT, "{did, page, size, total, entries}"),
                "404": _error("`No history for asset <did>.`"),
            },
        }
    },
    "/api/aquarius/assets/metadata/{did}": {
        "get": {
            "summary": "The asset's `metadata` object",
            "parameters": [_DID],
            "responses": {
                "200": _json(_ANY_OBJECT, "the metadata object"),
                "404": _error("`Error encountered while retrieving metadata: <reason>.`"),
            },
        }
    },
    "/api/aquarius/assets/names": {
        "post": {
            "summary": "Names of many assets in one call; an unknown or delisted DID maps to an empty string",
            "requestBody": _body(
                "the DIDs",
                schema={
                    "type": "object",
                    "properties": {"didList": {"type": "array", "items": {"type": "string"}}},
                    "required": ["didList"],
                },
            ),
            "responses": {
                "200": _json({"type": "object", "additionalProperties": {"type": "string"}}, "DID -> name"),
                "400": _error("missing, empty or malformed didList"),
                "413": _QUERY_413,
            },
        }
    },
    "/api/aquarius/assets/query": {
        "post": {
            "summary": "Elasticsearch search over the assets (query DSL subset), answered as Elasticsearch does",
            "description": "`size` is clamped to AQUARIUS_QUERY_MAX_SIZE, a negative `from` counts as 0, null/false "
            "bool clause elements are ignored; scripts, `index` and other keys that could run code or read "
            "another index are refused.",
            "requestBody": _body("an Elasticsearch search body"),
            "responses": {
                "200": _json(_SEARCH_RESPONSE, "the search response"),
                **_QUERY_REFUSALS,
            },
        }
    },
    "/api/aquarius/assets/metadata/query": {
        "post": {
            "summary": "Ocean Node form of search: `from` is a 1-based page, answer is a list of lists of documents",
            "requestBody": _body("an Elasticsearch search body, optionally with `index` naming the DDO collection"),
            "responses": {
                "200": _json({"type": "array", "items": {"type": "array", "items": _ANY_OBJECT}}, "documents"),
                **_QUERY_REFUSALS,
            },
        }
    },
    "/api/aquarius/assets/ddo/validate": {
        "post": {
            "summary": "Validate a DDO and sign sha256 of it with the indexer's key (a metadata proof)",
            "description": "Body: the raw DDO bytes, or `{ddo, publisherAddress, nonce, signature}`; content type "
            "application/octet-stream or application/json. `r` and `s` are one-element arrays.",
            "requestBody": _body("the DDO", "application/octet-stream", _JSON),
            "responses": {
                "200": _json(_ANY_OBJECT, '{"hash", "publicKey", "r": [..], "s": [..], "v"}'),
                "400": _json(_ANY_OBJECT, '`[{"message": "no version provided for DDO."}]`, `{"errors": {...}}`'),
                "401": _error("bad request signature or nonce"),
                "413": _QUERY_413,
            },
        }
    },
    "/api/aquarius/assets/triggerCaching": {
        "post": {
            "summary": "Queue a transaction's metadata events for (re)processing",
            "requestBody": _body(
                "the transaction",
                schema={
                    "type": "object",
                    "properties": {
                        "transactionId": {"type": "string"},
                        "chain_id": {"type": "integer"},
                        "chainId": {"type": "integer"},
                        "logIndex": {"type": "integer"},
                    },
                    "required": ["transactionId"],
                },
            ),
            "responses": {"200": _json({"type": "string"}, '"Queued"'), "400": _error("bad transactionId/chain")},
        }
    },
    "/api/aquarius/chains/list": {
        "get": {
            "summary": "Indexed chains",
            "responses": {
                "200": _json({"type": "object", "additionalProperties": {"type": "boolean"}}, "chain id -> true"),
                "404": _error("`No chains found.`"),
            },
        }
    },
    "/api/aquarius/chains/status/{chain_id}": {
        "get": {
            "summary": "Last indexed block of a chain",
            "parameters": [_param("chain_id", "path", "chain id")],
            "responses": {
                "200": _json(_ANY_OBJECT, '{"last_block", "version"}'),
                "404": _error("`Chain <id> is not indexed.`"),
            },
        }
    },
    "/api/aquarius/state/ddo": {
        "get": {
            "summary": "Last processing outcome of an asset",
            "parameters": [
                _param("did", "query", "DID"),
                _param("nft", "query", "data NFT address"),
                _param("txId", "query", "transaction hash"),
                _param("chainId", "query", "chain id", kind="integer"),
            ],
            "responses": {
                "200": _json(_ANY_OBJECT, "the state record"),
                "400": _error("none of did, nft, txId given"),
                "404": _error("no state recorded"),
            },
        }
    },
    "/api/aquarius/state/retryQueue": {
        "get": {
            "summary": "Retry queue entries (Elasticsearch search response)",
            "parameters": [
                _param("chainId", "query", "chain id", kind="integer"),
                _param("nft", "query", "data NFT address"),
                _param("did", "query", "DID"),
                _param("type", "query", "tx, event or block"),
            ],
            "responses": {"200": _json(_SEARCH_RESPONSE, "the entries"), "400": _error("bad chainId")},
        }
    },
    "/api/aquarius/validation/schema": {
        "get": {
            "summary": "JSON Schema of a DDO version",
            "parameters": [_param("version", "query", "DDO version, default 4.5.0")],
            "responses": {"200": _json(_ANY_OBJECT, "JSON Schema"), "404": _error("`Schema version not found.`")},
        }
    },
    "/api/services/nonce": {
        "get": {
            "summary": "Last request nonce used by an address (Ocean-Node-era validate clients)",
            "parameters": [_param("userAddress", "query", "0x address", required=True)],
            "responses": {"200": _json(_ANY_OBJECT, '{"nonce": <int>}'), "400": _error("bad address")},
        }
    },
}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Aquarius",
            "version": VERSION,
            "description": "Ocean Protocol metadata cache: the classic Aquarius REST API over the indexed assets.",
        },
        "paths": _PATHS,
    }


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _schema_text(content: dict[str, Any]) -> str:
    return ", ".join(f"`{media}`" for media in content) if content else ""


def api_reference() -> str:
    """docs/api.md, written from the OpenAPI document (`python -m api.openapi > docs/api.md`)."""
    document = openapi_document()
    lines = [
        "# HTTP API",
        "",
        "Generated from the OpenAPI document that the server serves at `/spec` (regenerate with",
        "`python -m api.openapi > docs/api.md`). `/api/docs` is an interactive page over the same document.",
        "",
        document["info"]["description"],
        "",
        "| Method | Path | Summary |",
        "| --- | --- | --- |",
    ]
    operations = [(path, method, op) for path, item in document["paths"].items() for method, op in item.items()]
    lines += [f"| {method.upper()} | `{path}` | {_cell(op['summary'])} |" for path, method, op in operations]
    for path, method, op in operations:
        lines += ["", f"## {method.upper()} `{path}`", "", op["summary"] + "."]
        if "description" in op:
            lines += ["", op["description"]]
        if op.get("parameters"):
            lines += ["", "| Parameter | In | Required | Description |", "| --- | --- | --- | --- |"]
            lines += [
                f"| `{p['name']}` | {p['in']} | {'yes' if p['required'] else 'no'} | {_cell(p['description'])} |"
                for p in op["parameters"]
            ]
        if "requestBody" in op:
            body = op["requestBody"]
            lines += ["", f"Request body ({_schema_text(body['content'])}): {body['description']}."]
        lines += ["", "| Status | Answer |", "| --- | --- |"]
        lines += [
            f"| {status} | {_cell(response['description'])}"
            + (f" ({_schema_text(response['content'])})" if response.get("content") else "")
            + " |"
            for status, response in op["responses"].items()
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(api_reference(), end="")
