"""A real HTTP proxy in front of a JSON-RPC node that misbehaves on command.

It listens on loopback, forwards each request body to the upstream node, and counts what passes. Tests schedule
faults for chosen requests (the Nth one, optionally only among those carrying a given method): a delay, a hang
(the client must time out), an HTTP status such as 429 or 503, a reset connection, a truncated body. It can also
refuse `eth_getLogs` over more than K blocks with the error real providers give, and go down (stop listening,
reset open connections) until told to come back.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import aiohttp
from aiohttp import web

from aquarius.devenv.ports import free_port


class FaultKind(StrEnum):
    DELAY = "delay"  # wait `seconds`, then forward
    HANG = "hang"  # never answer (until the proxy stops): the client's timeout must fire
    STATUS = "status"  # answer HTTP `status` with a short text body, do not forward
    RESET = "reset"  # reset the TCP connection without answering
    TRUNCATE = "truncate"  # forward, then answer only the first half of the node's body


@dataclass
class Fault:
    kind: FaultKind
    seconds: float = 0.0
    status: int = 503


@dataclass
class _Rule:
    fault: Fault
    method: str | None
    skip: int  # matching requests to let through before the fault applies
    times: int  # how many matching requests get the fault


@dataclass
class ProxyStats:
    """What reached the proxy: HTTP requests, JSON-RPC calls by method, faults applied by kind, `eth_getLogs`
    ranges refused as too large and forwarded (in arrival order), and the most requests handled at once."""

    requests: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    refused_ranges: int = 0
    log_ranges: list[tuple[int, int]] = field(default_factory=list)
    max_in_flight: int = 0


LOG_RANGE_ERROR = {"code": -32005, "message": "query returned more than 10000 results"}


class FaultProxy:
    """A fault-injecting JSON-RPC proxy to `upstream`. `await start()`, then point clients at `url`."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.port = free_port()
        self.stats = ProxyStats()
        self.max_log_range: int | None = None
        self._rules: list[_Rule] = []
        self._down = False
        self._in_flight = 0
        self._released = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FaultProxy:
        app = web.Application()
        app.router.add_post("/", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        self._session = aiohttp.ClientSession()
        await self._listen()
        return self

    async def stop(self) -> None:
        self._released.set()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def go_down(self) -> None:
        """Stop listening (new connections are refused) and reset connections already open."""
        self._down = True
        if self._site is not None:
            await self._site.stop()
            self._site = None

    async def come_back(self) -> None:
        self._down = False
        await self._listen()

    def inject(self, fault: Fault, *, method: str | None = None, nth: int = 1, times: int = 1) -> None:
        """Apply `fault` to the `nth` request from now (1 = the next one) carrying `method` (any request when
        None), and to the `times - 1` matching requests after it."""
        self._rules.append(_Rule(fault, method, nth - 1, times))

    def reset_stats(self) -> None:
        self.stats = ProxyStats()

    async def _listen(self) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await self._site.start()

    def _due_fault(self, methods: list[str]) -> Fault | None:
        due: Fault | None = None
        for rule in self._rules:
            if rule.method is not None and rule.method not in methods:
                continue
            if rule.skip:
                rule.skip -= 1
            elif due is None and rule.times:
                rule.times -= 1
                due = rule.fault
        self._rules = [r for r in self._rules if r.times]
        return due

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if self._down:
            return _reset(request)
        self._in_flight += 1
        self.stats.max_in_flight = max(self.stats.max_in_flight, self._in_flight)
        try:
            return await self._serve(request)
        finally:
            self._in_flight -= 1

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        calls = _calls(body)
        methods = [str(c.get("method")) for c in calls]
        self.stats.requests += 1
        self.stats.calls.update(methods)

        fault = self._due_fault(methods)
        if fault is not None:
            self.stats.faults[fault.kind] += 1
            if fault.kind is FaultKind.DELAY:
                await asyncio.sleep(fault.seconds)
            elif fault.kind is FaultKind.HANG:
                await self._released.wait()
                return _reset(request)
            elif fault.kind is FaultKind.STATUS:
                return web.Response(status=fault.status, text=f"injected HTTP {fault.status}")
            elif fault.kind is FaultKind.RESET:
                return _reset(request)

        status, answer = await self._answer(body, calls)
        if fault is not None and fault.kind is FaultKind.TRUNCATE:
            answer = answer[: len(answer) // 2]
        return web.Response(status=status, body=answer, content_type="application/json")

    async def _answer(self, body: bytes, calls: list[dict[str, Any]]) -> tuple[int, bytes]:
        """The node's answer, except that `eth_getLogs` calls over more than `max_log_range` blocks get the error
        real providers give (in a batch, only those calls; the others are forwarded)."""
        oversized = [c for c in calls if self.max_log_range is not None and _log_range(c) > self.max_log_range]
        self.stats.refused_ranges += len(oversized)
        self.stats.log_ranges += [
            _range_of(c) for c in calls if c.get("method") == "eth_getLogs" and c not in oversized
        ]
        if not oversized:
            return await self._forward(body)
        refusals = [{"jsonrpc": "2.0", "id": c.get("id"), "error": LOG_RANGE_ERROR} for c in oversized]
        if not body.lstrip().startswith(b"["):
            return 200, json.dumps(refusals[0]).encode()
        rest = [c for c in calls if c not in oversized]
        answers: list[Any] = []
        if rest:
            status, forwarded = await self._forward(json.dumps(rest).encode())
            if status != 200:
                return status, forwarded
            answers = json.loads(forwarded)
        return 200, json.dumps(answers + refusals).encode()

    async def _forward(self, body: bytes) -> tuple[int, bytes]:
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        async with self._session.post(self.upstream, data=body, headers=headers) as upstream:
            return upstream.status, await upstream.read()


def _calls(body: bytes) -> list[dict[str, Any]]:
    try:
        parsed = json.loads(body)
    except ValueError:
        return []
    items = parsed if isinstance(parsed, list) else [parsed]
    return [c for c in items if isinstance(c, dict)]


def _range_of(call: dict[str, Any]) -> tuple[int, int]:
    query = call["params"][0]
    return int(query["fromBlock"], 16), int(query["toBlock"], 16)


def _log_range(call: dict[str, Any]) -> int:
    if call.get("method") != "eth_getLogs":
        return 0
    first, last = _range_of(call)
    return last - first + 1


def _reset(request: web.Request) -> web.StreamResponse:
    """Close the connection with a TCP RST (SO_LINGER 0), so the client sees "connection reset by peer"."""
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.close()
    return web.Response(status=500)
