"""JSON-RPC 2.0 over HTTP to one chain: URL failover with return to the primary, retries with backoff, batching.

The client never skips anything: a call either returns what the node answered, raises the node's own error
(`RpcError`, `RangeTooLarge`), or raises `RpcUnavailable` after every URL failed on every attempt.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, TypeVar

import aiohttp

from indexer.rpc_errors import (
    RangeTooLarge,
    RpcError,
    RpcFailure,
    RpcUnavailable,
    TransientRpcFailure,
    classify_error,
)
from indexer.rpc_types import Block, RawLog, Receipt, Transaction, to_quantity

__all__ = ["BlockId", "Call", "EndpointHealth", "RpcClient", "RpcSettings", "Topics"]

log = logging.getLogger(__name__)

_T = TypeVar("_T")
_M = TypeVar("_M", Block, RawLog, Receipt, Transaction)

BlockId = int | str
"""A block number, or a tag such as "latest", "safe" or "finalized"."""
Topics = Sequence[str | Sequence[str] | None]
"""An `eth_getLogs` topic filter: per position, one topic, any of several, or anything (None)."""
Call = tuple[str, Sequence[Any]]
"""A JSON-RPC method and its params."""


@dataclass(frozen=True, kw_only=True)
class RpcSettings:
    """Timeouts, retry and failover knobs of one client.

    :param timeout: seconds one HTTP attempt may take (connect + answer)
    :param attempts: rounds over the URL list before `RpcUnavailable`
    :param backoff_base: seconds of the first backoff; doubles each round ("full jitter": a random wait in [0, d])
    :param backoff_cap: the longest backoff between rounds
    :param cooldown: seconds a failed URL is passed over before it is tried first again; doubles while it keeps
        failing
    :param cooldown_cap: the longest cool-down
    :param max_batch: calls per HTTP request in `batch`; longer batches are split
    :param max_concurrency: HTTP requests in flight at once
    """

    timeout: float = 10.0
    attempts: int = 6
    backoff_base: float = 0.25
    backoff_cap: float = 8.0
    cooldown: float = 15.0
    cooldown_cap: float = 300.0
    max_batch: int = 100
    max_concurrency: int = 8


@dataclass
class _Endpoint:
    url: str
    failures: int = 0
    down_until: float = 0.0


@dataclass(frozen=True)
class EndpointHealth:
    """How one URL is doing: consecutive failed attempts, and until when (client clock) it is passed over."""

    url: str
    failures: int
    down_until: float


class RpcClient:
    """A JSON-RPC client for one chain over a list of HTTP URLs, tried in order.

    Every call goes to the first URL that is not cooling down after a failure; when the call fails there it fails
    over to the next URL at once. A URL that failed is passed over for `cooldown` seconds and then tried first
    again, so the client returns to the primary once it has recovered. Transport failures (refused or reset
    connections, timeouts, HTTP 429/5xx, bodies that are not JSON-RPC) are retried over all URLs for
    `attempts` rounds with exponential backoff and full jitter; then `RpcUnavailable` is raised. Errors the
    node answers are raised at once as `RpcError` (or `RangeTooLarge` for an oversized `eth_getLogs`), except
    rate limiting, which is retried.

    Use as an async context manager, or call `close()`. Pass `session` to share one `aiohttp.ClientSession`
    between clients; the client then leaves it open. `clock` is for tests.
    """

    def __init__(
        self,
        urls: Sequence[str],
        settings: RpcSettings | None = None,
        *,
        session: aiohttp.ClientSession | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not urls:
            raise ValueError("an RPC client needs at least one URL")
        for url in urls:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"{url!r}: the RPC client speaks JSON-RPC over HTTP(S) only")
        self.settings = settings or RpcSettings()
        self._endpoints = [_Endpoint(url) for url in urls]
        self._session = session
        self._owns_session = session is None
        self._clock = clock
        self._ids = itertools.count(1)
        self._slots = asyncio.Semaphore(self.settings.max_concurrency)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    def health(self) -> list[EndpointHealth]:
        """The state of every URL, in configured order."""
        return [EndpointHealth(e.url, e.failures, e.down_until) for e in self._endpoints]

    @property
    def preferred_url(self) -> str:
        """The URL the next call goes to first."""
        return self._order()[0].url

    # --- generic calls -------------------------------------------------------------------------------------

    async def request(self, method: str, params: Sequence[Any] = ()) -> Any:
        """One JSON-RPC call; returns its `result`."""
        request_id = next(self._ids)
        payload = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": list(params)}

        def read(answer: Any) -> Any:
            if not isinstance(answer, dict) or answer.get("id") != request_id:
                raise TransientRpcFailure(f"{method}: answer is not the response to the request: {answer!r:.200}")
            if "error" in answer:
                raise classify_error(method, answer["error"])
            if "result" not in answer:
                raise TransientRpcFailure(f"{method}: response without result or error")
            return answer["result"]

        return await self._send(method, payload, read)

    async def batch(self, calls: Sequence[Call]) -> list[Any | RpcError]:
        """Several calls in one HTTP request each `max_batch` calls. Returns, in the order of `calls`, each call's
        result or its `RpcError`; a failure of the whole request is retried like a single call's."""
        size = self.settings.max_batch
        chunks = [calls[i : i + size] for i in range(0, len(calls), size)]
        answers = await asyncio.gather(*(self._batch_once(chunk) for chunk in chunks))
        return [item for chunk in answers for item in chunk]

    async def _batch_once(self, calls: Sequence[Call]) -> list[Any | RpcError]:
        ids = [next(self._ids) for _ in calls]
        payload = [
            {"jsonrpc": "2.0", "id": i, "method": method, "params": list(params)}
            for i, (method, params) in zip(ids, calls, strict=True)
        ]
        label = f"batch of {len(calls)}"

        def read(answer: Any) -> list[Any | RpcError]:
            if isinstance(answer, dict) and "error" in answer:
                # some providers answer a whole batch with one error (e.g. batch too large)
                has_logs = any(method == "eth_getLogs" for method, _ in calls)
                error = classify_error("eth_getLogs" if has_logs else label, answer["error"])
                if isinstance(error, RpcError):
                    return [error] * len(calls)
                raise error
            if not isinstance(answer, list):
                raise TransientRpcFailure(f"{label}: answer is not a list: {answer!r:.200}")
            by_id = {item.get("id"): item for item in answer if isinstance(item, dict)}
            results: list[Any | RpcError] = []
            for request_id, (method, _) in zip(ids, calls, strict=True):
                item = by_id.get(request_id)
                if item is None:
                    raise TransientRpcFailure(f"{label}: no answer for {method} (id {request_id})")
                if "error" in item:
                    error = classify_error(method, item["error"])
                    if not isinstance(error, RpcError):
                        raise error
                    results.append(error)
                elif "result" in item:
                    results.append(item["result"])
                else:
                    raise TransientRpcFailure(f"{label}: {method} has neither result nor error")
            return results

        return await self._send(label, payload, read)

    # --- chain methods -------------------------------------------------------------------------------------

    async def chain_id(self) -> int:
        return int(await self.request("eth_chainId"), 16)

    async def block_number(self) -> int:
        return int(await self.request("eth_blockNumber"), 16)

    async def get_block(self, block: BlockId) -> Block:
        """The header of a block by number or tag; `RpcError` if the node does not have it."""
        answer = await self.request("eth_getBlockByNumber", [_block_param(block), False])
        return _parse(Block, answer, f"block {block}")

    async def get_blocks(self, numbers: Sequence[int]) -> list[Block]:
        """Headers of several blocks, batched; in the order of `numbers`."""
        calls = [("eth_getBlockByNumber", [to_quantity(n), False]) for n in numbers]
        answers = await self.batch(calls)
        return [_parse(Block, _unwrap(a), f"block {n}") for n, a in zip(numbers, answers, strict=True)]

    async def get_logs(
        self,
        from_block: int,
        to_block: int,
        *,
        addresses: Sequence[str] | None = None,
        topics: Topics | None = None,
    ) -> list[RawLog]:
        """Every log in blocks `from_block..to_block` (both included) matching the filter, in chain order.

        Raises `RangeTooLarge` when the provider refuses the range or the size of the answer; the caller splits.
        """
        answer = await self.request("eth_getLogs", [_logs_query(from_block, to_block, addresses, topics)])
        return _read_logs(answer, from_block, to_block)

    async def get_logs_with_header(
        self,
        from_block: int,
        to_block: int,
        *,
        addresses: Sequence[str] | None = None,
        topics: Topics | None = None,
    ) -> tuple[list[RawLog], Block]:
        """`get_logs` and the header of `to_block`, in one batched request. The logs of `to_block` must carry the
        header's hash: an answer mixing two forks of that block raises `RpcError`."""
        query = _logs_query(from_block, to_block, addresses, topics)
        logs_answer, header_answer = await self.batch(
            [("eth_getLogs", [query]), ("eth_getBlockByNumber", [to_quantity(to_block), False])]
        )
        logs = _read_logs(_unwrap(logs_answer), from_block, to_block)
        header = _parse(Block, _unwrap(header_answer), f"block {to_block}")
        if any(lg.block_number == to_block and lg.block_hash != header.hash for lg in logs):
            raise RpcError(None, f"logs of block {to_block} are not from block {header.hash}", method="eth_getLogs")
        return logs, header

    async def call(self, to: str, data: str, block: BlockId = "latest") -> bytes:
        """`eth_call`; the returned bytes. A revert raises `RpcError`."""
        answer = await self.request("eth_call", [{"to": to, "data": data}, _block_param(block)])
        return _hex_to_bytes(answer)

    async def batch_call(self, calls: Sequence[tuple[str, str, BlockId]]) -> list[bytes | RpcError]:
        """Several `eth_call`s `(to, data, block)` in one batch; per call its bytes or its `RpcError` (a revert)."""
        answers = await self.batch([("eth_call", [{"to": to, "data": data}, _block_param(b)]) for to, data, b in calls])
        return [a if isinstance(a, RpcError) else _hex_to_bytes(a) for a in answers]

    async def get_transaction(self, tx_hash: str) -> Transaction:
        return (await self.get_transactions([tx_hash]))[0]

    async def get_transactions(self, tx_hashes: Sequence[str]) -> list[Transaction]:
        """Mined transactions by hash, batched; `RpcError` if the node does not know one."""
        answers = await self.batch([("eth_getTransactionByHash", [h]) for h in tx_hashes])
        return [_parse(Transaction, _unwrap(a), f"transaction {h}") for h, a in zip(tx_hashes, answers, strict=True)]

    async def get_receipt(self, tx_hash: str) -> Receipt:
        return (await self.get_receipts([tx_hash]))[0]

    async def get_receipts(self, tx_hashes: Sequence[str]) -> list[Receipt]:
        """Receipts by transaction hash, batched; `RpcError` if the node does not know one."""
        answers = await self.batch([("eth_getTransactionReceipt", [h]) for h in tx_hashes])
        return [_parse(Receipt, _unwrap(a), f"receipt of {h}") for h, a in zip(tx_hashes, answers, strict=True)]

    # --- transport -----------------------------------------------------------------------------------------

    def _order(self) -> list[_Endpoint]:
        """URLs out of cool-down in configured order, then the cooling ones (last resort) soonest first."""
        now = self._clock()
        ready = [e for e in self._endpoints if e.down_until <= now]
        cooling = sorted((e for e in self._endpoints if e.down_until > now), key=lambda e: e.down_until)
        return ready + cooling

    def _failed(self, endpoint: _Endpoint, error: BaseException) -> None:
        endpoint.failures += 1
        pause = min(self.settings.cooldown * 2 ** (endpoint.failures - 1), self.settings.cooldown_cap)
        endpoint.down_until = self._clock() + pause
        if len(self._endpoints) > 1:
            log.warning("rpc %s failed (%s); passed over for %.1fs", endpoint.url, error, pause)

    def _succeeded(self, endpoint: _Endpoint) -> None:
        if endpoint.failures and len(self._endpoints) > 1:
            log.info("rpc %s answers again", endpoint.url)
        endpoint.failures = 0
        endpoint.down_until = 0.0

    async def _send(self, label: str, payload: Any, read: Callable[[Any], _T]) -> _T:
        body = json.dumps(payload, separators=(",", ":")).encode()
        calls = payload if isinstance(payload, list) else [payload]
        method = "eth_getLogs" if any(c["method"] == "eth_getLogs" for c in calls) else str(calls[0]["method"])
        last: TransientRpcFailure | None = None
        for attempt in range(self.settings.attempts):
            if attempt:
                ceiling = min(self.settings.backoff_cap, self.settings.backoff_base * 2 ** (attempt - 1))
                await asyncio.sleep(random.uniform(0, ceiling))
            for endpoint in self._order():
                try:
                    answer = await self._post(endpoint.url, body, method)
                    result = read(answer)
                except TransientRpcFailure as err:
                    self._failed(endpoint, err)
                    last = err
                    continue
                except RpcFailure:
                    self._succeeded(endpoint)  # the node answered; the call itself is at fault
                    raise
                self._succeeded(endpoint)
                return result
        raise RpcUnavailable(label, self.settings.attempts, last)

    async def _post(self, url: str, body: bytes, method: str) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            async with (
                self._slots,
                self._session.post(
                    url,
                    data=body,
                    headers={"Content-Type": "application/json"},
                    timeout=aiohttp.ClientTimeout(total=self.settings.timeout),
                ) as response,
            ):
                status = response.status
                raw = await response.read()
        except (aiohttp.ClientError, TimeoutError, OSError) as err:
            timed_out = isinstance(err, TimeoutError)
            raise TransientRpcFailure(f"{url}: {type(err).__name__}: {err}", timed_out=timed_out) from err
        if status == 413:
            if method == "eth_getLogs":
                raise RangeTooLarge(413, "HTTP 413: request or response too large", method=method)
            raise RpcError(413, "HTTP 413: request too large", method=method)
        if status == 429 or status >= 500:
            raise TransientRpcFailure(f"{url}: HTTP {status}")
        try:
            answer = json.loads(raw)
        except ValueError as err:
            raise TransientRpcFailure(f"{url}: HTTP {status} with a body that is not JSON ({len(raw)} bytes)") from err
        if status != 200 and not (isinstance(answer, dict) and "error" in answer):
            raise TransientRpcFailure(f"{url}: HTTP {status}")
        return answer


def _logs_query(
    from_block: int, to_block: int, addresses: Sequence[str] | None, topics: Topics | None
) -> dict[str, Any]:
    query: dict[str, Any] = {"fromBlock": to_quantity(from_block), "toBlock": to_quantity(to_block)}
    if addresses is not None:
        query["address"] = list(addresses)
    if topics is not None:
        query["topics"] = [t if t is None or isinstance(t, str) else list(t) for t in topics]
    return query


def _read_logs(answer: Any, from_block: int, to_block: int) -> list[RawLog]:
    """Parse an `eth_getLogs` answer into chain order, refusing logs outside the range or given twice."""
    if not isinstance(answer, list):
        raise RpcError(None, f"eth_getLogs answered {type(answer).__name__}, not a list", method="eth_getLogs")
    logs = sorted((_parse(RawLog, item, "log") for item in answer), key=lambda lg: lg.position)
    for previous, current in itertools.pairwise(logs):
        if previous.position == current.position:
            raise RpcError(None, f"eth_getLogs returned log {current.position} twice", method="eth_getLogs")
    if logs and not (from_block <= logs[0].block_number and logs[-1].block_number <= to_block):
        raise RpcError(None, f"eth_getLogs {from_block}..{to_block} returned logs outside it", method="eth_getLogs")
    return logs


def _block_param(block: BlockId) -> str:
    return to_quantity(block) if isinstance(block, int) else block


def _hex_to_bytes(value: Any) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise RpcError(None, f"expected 0x-hex data, got {value!r:.100}")
    return bytes.fromhex(value[2:])


def _unwrap(answer: Any) -> Any:
    if isinstance(answer, RpcError):
        raise answer
    return answer


def _parse(model: type[_M], answer: Any, what: str) -> _M:
    if answer is None:
        raise RpcError(None, f"{what} not found")
    try:
        return model.model_validate(answer)
    except ValueError as err:
        raise RpcError(None, f"{what}: malformed answer: {err}") from err
