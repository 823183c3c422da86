"""Drives ocean.py's `Aquarius` class for the client tests. It runs in the ocean.py virtualenv (ocean-lib pins
web3 6, which cannot share the project's environment): one JSON request a line on stdin
(`{"call": name, "args": {...}}`), one JSON reply a line on stdout (`{"result": ...}` or `{"error": text}`)."""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Any

from ocean_lib.aquarius.aquarius import Aquarius
from ocean_lib.assets.ddo import DDO

clients: dict[str, Aquarius] = {}


def as_json(ddo: DDO | None) -> dict[str, Any] | None:
    return None if ddo is None else {"class": type(ddo).__name__, "ddo": ddo.as_dictionary()}


def connect(url: str) -> str:
    clients[url] = Aquarius.get_instance(url)
    return clients[url].base_url


def validate_ddo(url: str, ddo: dict[str, Any]) -> dict[str, Any]:
    parsed = DDO.from_dict(ddo)
    valid, response = clients[url].validate_ddo(parsed)
    # what ocean.py posted: its own serialisation of the DDO, whose sha256 the proof must cover
    posted = json.dumps(parsed.as_dictionary(), separators=(",", ":")).encode()
    return {"valid": valid, "response": response, "posted_sha256": "0x" + hashlib.sha256(posted).hexdigest()}


def wait_for_ddo_update(url: str, did: str, tx: str) -> dict[str, Any] | None:
    client = clients[url]
    current = client.get_ddo(did)
    assert current is not None, f"{did} must be indexed before an update is awaited"
    return as_json(client.wait_for_ddo_update(current, tx))


def run(call: str, args: dict[str, Any]) -> Any:
    if call == "connect":
        return connect(args["url"])
    if call == "validate_ddo":
        return validate_ddo(args["url"], args["ddo"])
    if call == "wait_for_ddo_update":
        return wait_for_ddo_update(args["url"], args["did"], args["tx"])
    client = clients[args["url"]]
    if call == "get_ddo":
        return as_json(client.get_ddo(args["did"]))
    if call == "ddo_exists":
        return client.ddo_exists(args["did"])
    if call == "get_ddo_metadata":
        return client.get_ddo_metadata(args["did"])
    if call == "query_search":
        return client.query_search(args["query"])
    if call == "wait_for_ddo":
        return as_json(client.wait_for_ddo(args["did"], timeout=args["timeout"]))
    raise ValueError(f"unknown call {call!r}")


def main() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        try:
            reply = {"result": run(request["call"], request.get("args", {}))}
        except Exception as err:  # every failure is the test's to judge, with the client's own message
            reply = {"error": f"{type(err).__name__}: {err}"}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
