"""Provider error texts are sorted into "split the range", "slow down" and "the call is wrong"."""

from __future__ import annotations

import pytest

from indexer.rpc_errors import RangeTooLarge, RpcError, TransientRpcFailure, classify_error

RANGE_ERRORS = [
    (-32005, "query returned more than 10000 results"),
    (-32005, "query returned more than 10000 results. Try with this block range [0x1, 0x20]."),
    (-32602, "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range"),
    (-32000, "block range is too large"),
    (-32000, "exceed maximum block range: 5000"),
    (-32600, "eth_getLogs block range too large, range: 10001, max: 10000"),
    (-32000, "too many results"),
    (-32005, "limit exceeded"),
    (-32000, "response size should not greater than 10000000 bytes"),
    (-32000, "query timeout exceeded"),
    (-32011, "logs matched by query exceeds limit of 10000"),
]


@pytest.mark.parametrize(("code", "message"), RANGE_ERRORS)
def test_range_errors_of_real_providers(code: int, message: str) -> None:
    error = classify_error("eth_getLogs", {"code": code, "message": message})
    assert isinstance(error, RangeTooLarge)
    assert (error.code, error.message) == (code, message)


def test_range_texts_mean_nothing_special_outside_get_logs() -> None:
    error = classify_error("eth_call", {"code": -32005, "message": "limit exceeded"})
    assert type(error) is RpcError


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (429, "Too Many Requests"),
        (-32005, "rate limit exceeded"),
        (-32029, "request rate exceeded"),
        (-32000, "Your app has exceeded its compute units per second capacity"),
    ],
)
def test_rate_limits_are_transient_even_on_get_logs(code: int, message: str) -> None:
    assert isinstance(classify_error("eth_getLogs", {"code": code, "message": message}), TransientRpcFailure)


def test_other_errors_are_plain_rpc_errors_with_their_code() -> None:
    error = classify_error("eth_getLogs", {"code": -32062, "message": "Batch size is too large", "data": "x"})
    assert type(error) is RpcError
    assert (error.code, error.data, error.method) == (-32062, "x", "eth_getLogs")
    assert isinstance(classify_error("eth_call", "garbage"), TransientRpcFailure)
