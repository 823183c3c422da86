"""The handled event set and the decoding of single logs, checked against the reference table and against
web3's own decoding of the same receipts."""

from __future__ import annotations

import json
import lzma
from collections import Counter
from typing import Any

import pytest
import pytest_asyncio
from eth_utils import to_checksum_address
from web3.logs import DISCARD

from aquarius import contracts
from indexer.events import HANDLED_EVENTS, MalformedLog, UnknownEvent, decode_log, handled_events
from indexer.rpc import RpcClient
from indexer.rpc_types import RawLog
from tests.faults.fixtures import BusyChain

# the topic0 table of the chain harness reference (computed there from the 3.1.0 ABIs)
REFERENCE_TOPICS = {
    "MetadataCreated": "0x5463569dcc320958360074a9ab27e809e8a6942c394fb151d139b5f7b4ecb1bd",
    "MetadataUpdated": "0xe5c4cf86b1815151e6f453e1e133d4454ae3b0b07145db39f2e0178685deac84",
    "MetadataState": "0xa8336411cc72db0e5bdc4dff989eeb35879bafaceffb59b54b37645c3395adb9",
    "MetadataValidated": "0x2819d8badf5cff2c9220b8ee99dacc14d67058e343d7f0c2c444d198507fe941",
    "TokenURIUpdate": "0x6de6cd3982065cbd31e789e3109106f4d76d1c8a46e85262045cf947fb3fd4ed",
    "Transfer": "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef",
    "DataChanged": "0xece574603820d07bc9b91f2a932baadf4628aabcb8afba49776529c14a6104b2",
    "NFTCreated": "0x8125264ec1d174cb383ea0646ea1e6921ca3b0aba20370c8e18389e7c2d6a571",
    "TokenCreated": "0x567699dbf7c5f63a51a42fd451f5e065bca0dfc723adf2cc498bbb7cfb780b90",
    "OrderStarted": "0xe1c4fa794edfa8f619b8257a077398950357b9c6398528f94480307352f9afcc",
    "OrderReused": "0x526e31449ea46e2aecf9b480c8d7dfa191348ef74ffdf75b445a6ab726daa6ff",
    "ExchangeCreated": "0xeb7a353641f7d3cc54b497ef1553fdc292b64d9cc3be8587c23dfba01f310b19",
    "ExchangeRateChanged": "0xe50f9919fdc524004a4ee0cb934f4734f144bec0713a52e5483b753f5de0f08c",
    "ExchangeActivated": "0xc7344c45124818d1d3a4c24ccb9b86d8b88d3bd05209b2a42b494cb32a503529",
    "ExchangeDeactivated": "0x03da9148e1de78fba22de63c573465562ebf6ef878a1d3ea83790a560229984c",
    "DispenserCreated": "0x7d0aa581e6eb87e15f58588ff20c39ff6622fc796ec9bb664df6ed3eb02442c9",
    "DispenserActivated": "0xe9372084cb52c5392afee4b9d79d131e04b1e65676088d50a8f39fffb16a8745",
    "DispenserDeactivated": "0x393f01061139648745ea000bb047bbe1785bd3a19d3a9c90f6747e1d2357d2b8",
}
TRANSFER = REFERENCE_TOPICS["Transfer"]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def chain_logs(busy_chain: BusyChain) -> list[RawLog]:
    async with RpcClient([busy_chain.node.url]) as client:
        return await client.get_logs(0, busy_chain.head, topics=handled_events().topics())


def _log(topics: list[str], data: str = "0x") -> RawLog:
    return RawLog.model_validate(
        {
            "address": "0x" + "11" * 20,
            "topics": topics,
            "data": data,
            "blockNumber": "0x10",
            "blockHash": "0x" + "22" * 32,
            "transactionHash": "0x" + "33" * 32,
            "transactionIndex": "0x0",
            "logIndex": "0x5",
        }
    )


def _word(value: int | str) -> str:
    number = int(value, 16) if isinstance(value, str) else value
    return "0x" + number.to_bytes(32, "big").hex()


def test_topic0_of_every_handled_event_matches_the_reference_table() -> None:
    events = handled_events()
    assert {s.name: s.topic0 for s in events.specs} == REFERENCE_TOPICS
    assert set(HANDLED_EVENTS) == set(REFERENCE_TOPICS)
    assert events.topics() == [sorted(REFERENCE_TOPICS.values())]
    assert {s.name: s.topic_count for s in events.specs}["Transfer"] == 4


def test_every_handled_event_of_the_chain_decodes_like_web3_decodes_it(
    busy_chain: BusyChain, chain_logs: list[RawLog]
) -> None:
    decoded = [decode_log(lg, 8996) for lg in chain_logs if handled_events().handles(lg)]
    assert Counter(d.event for d in decoded).keys() == REFERENCE_TOPICS.keys()

    web3_decoded: dict[tuple[str, str], dict[int, Any]] = {}
    for event in decoded:
        if (event.tx_hash, event.event) not in web3_decoded:
            receipt = busy_chain.w3.eth.get_transaction_receipt(event.tx_hash)
            contract = busy_chain.w3.eth.contract(abi=contracts.abi(HANDLED_EVENTS[event.event]))
            theirs = contract.events[event.event]().process_receipt(receipt, errors=DISCARD)
            web3_decoded[event.tx_hash, event.event] = {t["logIndex"]: t for t in theirs}
        match = web3_decoded[event.tx_hash, event.event][event.log_index]
        assert match["address"] == event.address
        assert match["blockHash"].to_0x_hex() == event.block_hash
        assert event.args == {k: "0x" + v.hex() if isinstance(v, bytes) else v for k, v in match["args"].items()}
        assert event.key == (8996, event.tx_hash, event.log_index)


def test_each_log_of_a_multi_asset_transaction_decodes_to_its_own_asset(
    busy_chain: BusyChain, chain_logs: list[RawLog]
) -> None:
    batch = busy_chain.assets[:25]
    tx_logs = [lg for lg in chain_logs if lg.transaction_hash == batch[0].tx_hash]
    created = [decode_log(lg, 8996) for lg in tx_logs if lg.topics[0] == REFERENCE_TOPICS["MetadataCreated"]]
    assert len(created) == 25
    for event in created:
        data = bytes.fromhex(event.args["data"][2:])
        n = json.loads(lzma.decompress(data) if event.args["flags"] == "0x01" else data)["n"]
        assert batch[n].nft == event.address
        assert event.args["flags"] == f"0x0{n % 2}"


def test_erc20_transfer_is_not_a_handled_event(chain_logs: list[RawLog]) -> None:
    erc20 = [lg for lg in chain_logs if lg.topics[0] == TRANSFER and len(lg.topics) == 3]
    assert erc20  # orders move datatokens
    for lg in erc20:
        assert not handled_events().handles(lg)
        with pytest.raises(UnknownEvent, match="3 topics"):
            decode_log(lg, 8996)


def test_unknown_topic_raises_unknown_event() -> None:
    with pytest.raises(UnknownEvent) as caught:
        decode_log(_log(["0x" + "ab" * 32]), 1)
    assert caught.value.log.log_index == 5
    with pytest.raises(UnknownEvent):
        decode_log(_log([]), 1)


def test_a_crafted_log_decodes_to_plain_values() -> None:
    nft = "0x" + "ab" * 20
    event = decode_log(_log([REFERENCE_TOPICS["DispenserActivated"], _word(nft)]), 137)
    assert event.event == "DispenserActivated"
    assert event.args == {"datatokenAddress": to_checksum_address(nft)}
    assert (event.chain_id, event.block_number, event.log_index) == (137, 16, 5)

    key, value = _word(7), b"hello"
    data = "0x" + (_word(32)[2:] + _word(len(value))[2:] + value.ljust(32, b"\0").hex())
    changed = decode_log(_log([REFERENCE_TOPICS["DataChanged"], key], data), 1)
    assert changed.args == {"key": key, "value": "0x" + value.hex()}


@pytest.mark.parametrize(
    ("topics", "data"),
    [
        # state, timestamp and blockNumber missing from the data
        ([REFERENCE_TOPICS["MetadataState"], _word(1)], "0x" + "00" * 31),
        # an address topic with dirty high bytes
        ([REFERENCE_TOPICS["DispenserActivated"], "0x" + "ff" * 32], "0x"),
        # a string offset pointing past the end
        (
            [REFERENCE_TOPICS["TokenURIUpdate"], _word(1)],
            "0x" + _word(4096)[2:] + _word(1)[2:] + _word(2)[2:] + _word(3)[2:],
        ),
    ],
    ids=["short-data", "dirty-address-topic", "bad-offset"],
)
def test_undecodable_data_raises_malformed_log(topics: list[str], data: str) -> None:
    with pytest.raises(MalformedLog):
        decode_log(_log(topics, data), 1)
