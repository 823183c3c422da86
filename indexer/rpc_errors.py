"""What can go wrong when talking to a chain node, and how to tell the kinds apart from what providers answer.

    RpcFailure
    ├── RpcError            the node answered with a JSON-RPC error (code and message kept)
    │   └── RangeTooLarge   an eth_getLogs range or result set over the provider's limit: split the range
    └── RpcUnavailable      no URL gave an answer, after every retry

Anything below the client (aiohttp, JSON parsing) is translated into these at the boundary.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "RangeTooLarge",
    "RpcError",
    "RpcFailure",
    "RpcUnavailable",
    "TransientRpcFailure",
    "classify_error",
    "is_rate_limited",
]


class RpcFailure(Exception):
    """Base of every error the RPC client raises."""


class RpcError(RpcFailure):
    """The node answered the call with a JSON-RPC error object."""

    def __init__(self, code: int | None, message: str, data: Any = None, *, method: str = "") -> None:
        super().__init__(f"{method or 'rpc'} failed: [{code}] {message}")
        self.code = code
        self.message = message
        self.data = data
        self.method = method


class RangeTooLarge(RpcError):
    """An `eth_getLogs` call asked for more blocks or returned more logs than the provider allows; the same call
    over a smaller range may succeed. Never retried as is."""


class TransientRpcFailure(RpcFailure):
    """One attempt at one URL failed in a way that another attempt may not (internal to the client: it retries
    these and raises `RpcUnavailable` once it gives up). `timed_out`: the URL did not answer in time."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


class RpcUnavailable(RpcFailure):
    """Every URL failed (connection refused or reset, timeout, HTTP 429/5xx, garbled body) on every attempt."""

    def __init__(self, method: str, attempts: int, last: TransientRpcFailure | None) -> None:
        super().__init__(f"{method}: no RPC URL answered after {attempts} attempt(s); last failure: {last!r}")
        self.method = method
        self.attempts = attempts
        self.last = last

    @property
    def timed_out(self) -> bool:
        """The last attempt timed out: the call may be too heavy for the node rather than the node gone."""
        return self.last is not None and self.last.timed_out


# NOTE: rate limiting is checked before range limits: "rate limit exceeded" must not read as "limit exceeded".
_RATE_LIMITED = re.compile(r"rate.?limit|too many requests|request limit reached|exceeded .*capacity|throttl", re.I)
_RANGE_TOO_LARGE = re.compile(
    r"more than \d+ results"
    r"|too many results"
    r"|limit exceeded"
    r"|exceeds? (the )?limit"
    r"|block range"
    r"|range (is )?too (large|wide|big)"
    r"|response size (exceeded|should not|is larger)"
    r"|response (is )?too large"
    r"|max(imum)? results"
    r"|logs? (response )?size exceeded"
    r"|query timeout exceeded",
    re.I,
)
# JSON-RPC codes some providers use for "too many requests".
_RATE_LIMIT_CODES = {429, -32029}


def is_rate_limited(code: int | None, message: str) -> bool:
    """Whether a JSON-RPC error means "slow down" rather than "this call is wrong"."""
    return code in _RATE_LIMIT_CODES or bool(_RATE_LIMITED.search(message))


def classify_error(method: str, error: Any) -> RpcFailure:
    """Turn a JSON-RPC error object into the exception the caller sees: a transient failure (retried), a
    `RangeTooLarge` (for `eth_getLogs`), or a plain `RpcError`."""
    if not isinstance(error, dict):
        return TransientRpcFailure(f"{method}: malformed error object {error!r}")
    code = error.get("code")
    code = code if isinstance(code, int) else None
    message = str(error.get("message", ""))
    if is_rate_limited(code, message):
        return TransientRpcFailure(f"{method}: rate limited: [{code}] {message}")
    if method == "eth_getLogs" and _RANGE_TOO_LARGE.search(message):
        return RangeTooLarge(code, message, error.get("data"), method=method)
    return RpcError(code, message, error.get("data"), method=method)
