"""New chain heads pushed over a websocket (`eth_subscribe` "newHeads"), so that the sync loop wakes as soon as a
block is mined instead of at its next poll.

Only the subscription uses the socket: requests stay on the HTTP(S) client, where batching is cheap. A head
notice is a wake-up call, not a source of truth: the loop still asks its HTTP node for the head and checks block
hashes, so a socket that lags, drops or announces a block the HTTP node lacks costs latency, never correctness.
While the socket is down the loop keeps polling, and the subscription is re-established with jittered backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from dataclasses import dataclass
from types import TracebackType
from typing import Literal, Self
from urllib.parse import urlparse

import aiohttp
from pydantic import BaseModel, ValidationError

from indexer.rpc_types import HexInt

__all__ = ["NewHeads", "NewHeadsSettings", "SubscriptionStatus"]

log = logging.getLogger(__name__)

_SUBSCRIBE_ID = 1


@dataclass(frozen=True, kw_only=True)
class NewHeadsSettings:
    """Connection knobs of one subscription.

    :param timeout: seconds to connect and have the subscription confirmed
    :param heartbeat: seconds between pings; a pong missing for half of that closes the socket (a silent drop)
    :param backoff_base: seconds of the first reconnect backoff; doubles on each failure ("full jitter": a random
        wait in [0, d]); back to the base once a head arrives
    :param backoff_cap: the longest reconnect backoff
    """

    timeout: float = 10.0
    heartbeat: float = 20.0
    backoff_base: float = 0.5
    backoff_cap: float = 30.0


@dataclass
class SubscriptionStatus:
    """How the subscription is doing: established now or not, how often it was established and lost, the last
    announced block and the last failure."""

    subscribed: bool = False
    connects: int = 0
    drops: int = 0
    head: int | None = None
    last_error: str | None = None

    @property
    def live_mode(self) -> Literal["subscription", "polling"]:
        return "subscription" if self.subscribed else "polling"


class SubscriptionLost(Exception):
    """The node refused the subscription, answered something else, or closed the socket."""


class _Header(BaseModel):
    number: HexInt


class _NoticeParams(BaseModel):
    subscription: str
    result: _Header


class _Notice(BaseModel):
    method: Literal["eth_subscription"]
    params: _NoticeParams


class NewHeads:
    """Follows one chain's `newHeads` over `url` (ws:// or wss://) in a background task while entered.

    `arrived` is set on every announced head, and once on every (re)subscription since blocks may have been mined
    while the socket was down; the consumer clears it before it reads the head, so nothing announced in between is
    lost. `subscribed` is set while the subscription is established.
    """

    def __init__(self, url: str, chain_id: int, settings: NewHeadsSettings | None = None) -> None:
        if urlparse(url).scheme not in ("ws", "wss"):
            raise ValueError(f"{url!r}: a new-head subscription needs a ws:// or wss:// URL")
        self.url = url
        self.chain_id = chain_id
        self.settings = settings or NewHeadsSettings()
        self.status = SubscriptionStatus()
        self.arrived = asyncio.Event()
        self.subscribed = asyncio.Event()
        self._endpoint = _without_secrets(url)
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self._heads_seen = 0

    async def __aenter__(self) -> Self:
        self._session = aiohttp.ClientSession()
        self._task = asyncio.create_task(self._follow(), name=f"new-heads-{self.chain_id}")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        self.status.subscribed = False
        self.subscribed.clear()

    async def _follow(self) -> None:
        failures = 0
        while True:
            try:
                await self._subscription()
            except Exception as err:  # whatever breaks it, polling goes on and the socket is tried again
                self.status.last_error = f"{type(err).__name__}: {err}"
            failures = 1 if self.status.subscribed and self._heads_seen else failures + 1
            ceiling = min(self.settings.backoff_cap, self.settings.backoff_base * 2 ** (failures - 1))
            delay = random.uniform(0, ceiling)
            if self.status.subscribed:
                self._dropped()
                log.warning(
                    "chain %s: new-head subscription on %s dropped (%s); polling until it is back, reconnecting in "
                    "%.1fs",
                    self.chain_id,
                    self._endpoint,
                    self.status.last_error,
                    delay,
                )
            else:
                log.info(
                    "chain %s: new-head subscription on %s failed (%s); retrying in %.1fs",
                    self.chain_id,
                    self._endpoint,
                    self.status.last_error,
                    delay,
                )
            await asyncio.sleep(delay)

    async def _subscription(self) -> None:
        """Subscribe, then read notices until the socket closes (raises when it does)."""
        assert self._session is not None
        self._heads_seen = 0
        async with contextlib.AsyncExitStack() as stack:
            async with asyncio.timeout(self.settings.timeout):
                socket = await stack.enter_async_context(
                    self._session.ws_connect(
                        self.url, timeout=aiohttp.ClientWSTimeout(ws_close=5.0), heartbeat=self.settings.heartbeat
                    )
                )
                await socket.send_json(
                    {"jsonrpc": "2.0", "id": _SUBSCRIBE_ID, "method": "eth_subscribe", "params": ["newHeads"]}
                )
                subscription = _subscription_id(await socket.receive())
            self._established()
            async for message in socket:
                if message.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    break
                number = _announced_head(message.data, subscription)
                if number is not None:
                    self._heads_seen += 1
                    self.status.head = number
                    self.arrived.set()
            reason = socket.exception() or f"close code {socket.close_code}"
            raise SubscriptionLost(f"socket closed: {reason}")

    def _established(self) -> None:
        self.status.connects += 1
        self.status.subscribed = True
        self.status.last_error = None
        self.subscribed.set()
        self.arrived.set()
        again = " again" if self.status.connects > 1 else ""
        log.info("chain %s: new-head subscription on %s established%s", self.chain_id, self._endpoint, again)

    def _dropped(self) -> None:
        self.status.subscribed = False
        self.status.drops += 1
        self.subscribed.clear()


def _subscription_id(message: aiohttp.WSMessage) -> str:
    if message.type is not aiohttp.WSMsgType.TEXT:
        raise SubscriptionLost(f"no answer to eth_subscribe (websocket {message.type.name})")
    try:
        answer = json.loads(message.data)
    except ValueError as err:
        raise SubscriptionLost(f"eth_subscribe answered with something that is not JSON: {err}") from None
    if not isinstance(answer, dict) or answer.get("id") != _SUBSCRIBE_ID:
        raise SubscriptionLost(f"eth_subscribe answered with something else: {answer!r:.200}")
    if "error" in answer or not isinstance(answer.get("result"), str):
        raise SubscriptionLost(f"eth_subscribe refused: {answer.get('error', answer)!r:.200}")
    return str(answer["result"])


def _announced_head(data: str | bytes, subscription: str) -> int | None:
    """The block number a notice of our subscription announces; None for anything else (logged)."""
    try:
        notice = _Notice.model_validate_json(data)
    except ValidationError as err:
        log.debug("new-head subscription: ignored message %.200r (%s)", data, err.errors()[0]["msg"])
        return None
    if notice.params.subscription != subscription:
        return None
    return notice.params.result.number


def _without_secrets(url: str) -> str:
    """Scheme, host and port only: providers put API keys in the path or the user part."""
    parsed = urlparse(url)
    host = parsed.hostname or ""
    return f"{parsed.scheme}://{host}" + (f":{parsed.port}" if parsed.port else "")
