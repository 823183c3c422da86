"""MetadataCreated / MetadataUpdated: from the on-chain payload to the stored asset.

`prepare` (concurrent, no store access) reads the NFT's facts at the event's block in one batched round trip,
checks the factory and the validator proofs; the worker processes then decrypt, decompress, check the hash and
validate the DDOs of a whole batch at once.
`apply` (in chain order) checks the publisher, builds the document and records the outcome per DID.
Each check that fails is recorded in the asset's state record with its reason; a passing failure (a decryptor
that is down, an RPC read that failed) goes to the retry queue instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

from eth_utils import to_checksum_address

from aquarius.metadata.errors import ErrorCode, MetadataError
from aquarius.metadata.payload import Flags, parse_flags
from aquarius.metadata.pipeline import MetadataJob, MetadataOutcome, decode_metadata
from aquarius.store.base import Collection, Doc
from indexer.asset_records import (
    SOFT_DELETED_STATES,
    append_history,
    ddo_key,
    did_of_nft,
    iso_time,
    load_stats,
    public_stats,
    set_asset_state_record,
    soft_deleted_view,
    stats_key,
)
from indexer.contract_calls import call_data, decode_result
from indexer.handler import (
    Handler,
    HandlerEnv,
    LogLike,
    Prepared,
    RejectedEvent,
    RetryableError,
    captured,
    registers,
)
from indexer.handlers import default_registry
from indexer.handlers.onchain_data import load_onchain_data, onchain_key
from indexer.purgatory import LISTS_ID
from indexer.unit_of_work import UnitOfWork

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


@dataclass
class NftFacts:
    name: str
    symbol: str
    token_uri: str
    owner: str
    decryptor_address: str
    in_factory: bool


@dataclass
class PreparedMetadata:
    did: str
    ddo: Doc
    sender: str
    nft: NftFacts
    hash_convention: str
    datatokens: list[Doc] = field(default_factory=list)


async def _batch(env: HandlerEnv, calls: list[tuple[str, list[Any]]]) -> list[Any]:
    try:
        answers = await env.get("rpc").batch(calls)
    except Exception as err:
        raise RetryableError(f"RPC read failed: {err}") from err
    return list(answers)


def _ok(answer: Any) -> bytes | None:
    if isinstance(answer, Exception) or not isinstance(answer, str):
        return None
    return bytes.fromhex(answer[2:])


async def read_nft_facts(log: LogLike, env: HandlerEnv) -> tuple[NftFacts, str]:
    """The NFT's name, symbol, token URI, owner and decryptor address at the event's block, whether the chain's
    factory created it, and the transaction's sender: one batched round trip."""
    block = hex(log.block_number)
    nft = log.address
    factory = env.get("contracts")["ERC721Factory"]

    def call(to: str, signature: str, *args: Any) -> tuple[str, list[Any]]:
        return ("eth_call", [{"to": to, "data": call_data(signature, *args)}, block])

    answers = await _batch(
        env,
        [
            call(factory, "erc721List(address)", nft),
            call(nft, "name()"),
            call(nft, "symbol()"),
            call(nft, "tokenURI(uint256)", 1),
            call(nft, "ownerOf(uint256)", 1),
            call(nft, "getMetaData()"),
            ("eth_getTransactionByHash", [log.tx_hash]),
        ],
    )
    listed, name, symbol, uri, owner, metadata, tx = answers
    if not isinstance(tx, dict) or "from" not in tx:
        raise RetryableError(f"transaction {log.tx_hash} not readable: {tx}")

    def text(raw: Any) -> str:
        data = _ok(raw)
        return str(decode_result(["string"], data)[0]) if data else ""

    listed_bytes = _ok(listed)
    in_factory = bool(listed_bytes) and decode_result(["address"], listed_bytes)[0].lower() == nft.lower()
    owner_bytes = _ok(owner)
    metadata_bytes = _ok(metadata)
    decryptor_address = ""
    if metadata_bytes:
        decryptor_address = str(decode_result(["string", "string", "uint8", "bool"], metadata_bytes)[1])
    facts = NftFacts(
        name=text(name),
        symbol=text(symbol),
        token_uri=text(uri),
        owner=to_checksum_address(decode_result(["address"], owner_bytes)[0]) if owner_bytes else "",
        decryptor_address=decryptor_address,
        in_factory=in_factory,
    )
    return facts, to_checksum_address(tx["from"])


async def read_datatokens(ddo: Doc, block: int, env: HandlerEnv) -> list[Doc]:
    """`datatokens` as Aquarius lists them: one per service with a datatoken, with the token's name and symbol."""
    services = [s for s in ddo.get("services") or [] if isinstance(s, dict) and s.get("datatokenAddress")]
    if not services:
        return []
    calls: list[tuple[str, list[Any]]] = []
    for service in services:
        for signature in ("name()", "symbol()"):
            calls.append(("eth_call", [{"to": service["datatokenAddress"], "data": call_data(signature)}, hex(block)]))
    answers = await _batch(env, calls)
    result = []
    for i, service in enumerate(services):
        name, symbol = (_ok(answers[2 * i]), _ok(answers[2 * i + 1]))
        result.append(
            {
                "address": service["datatokenAddress"],
                "name": str(decode_result(["string"], name)[0]) if name else "",
                "symbol": str(decode_result(["string"], symbol)[0]) if symbol else "",
                "serviceId": service.get("id", ""),
            }
        )
    return result


def check_proofs(log: LogLike, env: HandlerEnv) -> None:
    allowed = {a.lower() for a in env.get("settings").allowed_validators}
    if not allowed:
        return
    validators = {
        str(sibling.args["validator"]).lower()
        for sibling in env.tx_logs.get(log.tx_hash, [])
        if sibling.event == "MetadataValidated" and sibling.address.lower() == log.address.lower()
    }
    if not validators & allowed:
        raise RejectedEvent("missing_proof", "no MetadataValidated proof from a validator in ALLOWED_VALIDATORS")


async def metadata_job(log: LogLike, facts: NftFacts, env: HandlerEnv) -> MetadataJob:
    """The decoding work of a metadata event for the worker processes. A payload encrypted to another decryptor
    is decrypted here, by asking that decryptor over HTTP: its answer is the DDO bytes."""
    flags = parse_flags(bytes.fromhex(str(log.args["flags"])[2:]))
    data = bytes.fromhex(str(log.args["data"])[2:])
    decryptor = env.services.get("local_decryptor")
    ours = decryptor is not None and facts.decryptor_address.lower() == decryptor.address.lower()
    common: dict[str, Any] = {
        "metadata_hash": str(log.args["metaDataHash"]),
        "chain_id": log.chain_id,
        "nft_address": log.address,
        "limits": env.get("payload_limits"),
    }
    if flags & Flags.ENCRYPTED and not ours:
        remote = env.services.get("remote_decryptor")
        if remote is None:
            raise MetadataError(ErrorCode.NO_DECRYPTOR, "payload is encrypted to another decryptor")
        plaintext = await remote.decrypt(
            str(log.args["decryptorUrl"]), tx_id=log.tx_hash, chain_id=log.chain_id, nft_address=log.address
        )
        return MetadataJob(plaintext, None, **common)
    return MetadataJob(data, int(flags), decrypt_with=decryptor.address.lower() if ours else None, **common)


def _refuse(err: MetadataError) -> NoReturn:
    if err.retryable:
        raise RetryableError(str(err)) from err
    raise RejectedEvent(err.code.value, err.message) from err


@dataclass
class _Read:
    """A metadata event after its chain reads, waiting for its decoding."""

    did: str
    nft: NftFacts
    sender: str
    job: MetadataJob


async def _read(log: LogLike, env: HandlerEnv) -> _Read:
    did = did_of_nft(log.address, log.chain_id)
    facts, sender = await read_nft_facts(log, env)
    if not facts.in_factory:
        raise RejectedEvent("not_factory_nft", "nft not deployed by our factory")
    check_proofs(log, env)
    try:
        job = await metadata_job(log, facts, env)
    except MetadataError as err:
        _refuse(err)
    return _Read(did, facts, sender, job)


async def _finish(log: LogLike, read: _Read, outcome: MetadataOutcome, env: HandlerEnv) -> PreparedMetadata:
    try:
        ddo, convention = outcome.result()
    except MetadataError as err:
        _refuse(err)
    datatokens = await read_datatokens(ddo, log.block_number, env)
    return PreparedMetadata(read.did, ddo, read.sender, read.nft, convention, datatokens)


class _MetadataHandler(Handler):
    """`prepare_many` reads every event's NFT facts concurrently, then hands every payload of the batch to the
    worker processes at once (decrypt, decompress, hash, parse, validate), then reads the datatokens."""

    async def prepare(self, log: LogLike, env: HandlerEnv) -> PreparedMetadata:
        [(prepared, error)] = await self.prepare_many([log], env)
        if error is not None:
            raise error
        return prepared  # type: ignore[no-any-return]

    async def prepare_many(self, logs: Sequence[LogLike], env: HandlerEnv) -> list[Prepared]:
        reads = await asyncio.gather(*(captured(_read(log, env)) for log in logs))
        decoding = [i for i, (_, error) in enumerate(reads) if error is None]
        outcomes = await env.get("cpu_pool").map(decode_metadata, [reads[i][0].job for i in decoding])
        finished = await asyncio.gather(
            *(captured(_finish(logs[i], reads[i][0], o, env)) for i, o in zip(decoding, outcomes, strict=True))
        )
        results: list[Prepared] = list(reads)
        for i, result in zip(decoding, finished, strict=True):
            results[i] = result
        return results

    def reads(self, log: LogLike, prepared: Any) -> list[tuple[Collection, str]]:
        did = did_of_nft(log.address, log.chain_id)
        return [
            (Collection.META, ddo_key(did)),
            (Collection.ASSETS, did),
            (Collection.META, stats_key(did)),
            (Collection.META, onchain_key(did)),
            (Collection.META, LISTS_ID),
        ]

    async def apply(self, log: LogLike, prepared: PreparedMetadata, uow: UnitOfWork, env: HandlerEnv) -> None:
        did = prepared.did
        last_valid = await uow.get(Collection.META, ddo_key(did))
        position = [log.block_number, log.log_index]
        if last_valid is not None and last_valid.get("position", [-1, -1]) >= position:
            return  # a newer (or this same) metadata event is applied already: an older one never overwrites it
        existing = await uow.get(Collection.ASSETS, did)
        settings = env.get("settings")
        created = existing is None
        if created and settings.allowed_publishers and prepared.sender.lower() not in settings.allowed_publishers:
            raise RejectedEvent("publisher_not_allowed", f"Sender {prepared.sender} is not in ALLOWED_PUBLISHERS.")
        state = int(log.args["state"])
        nft_created = (existing or {}).get("nft", {}).get("created") or iso_time(int(log.args["timestamp"]))
        doc: Doc = {
            **prepared.ddo,
            "nft": {
                "address": log.address,
                "name": prepared.nft.name,
                "symbol": prepared.nft.symbol,
                "state": state,
                "tokenURI": prepared.nft.token_uri,
                "owner": prepared.nft.owner,
                "created": nft_created,
            },
            "event": {
                "tx": log.tx_hash,
                "txid": log.tx_hash,
                "block": log.block_number,
                "from": prepared.sender,
                "contract": log.address,
                "datetime": iso_time(int(log.args["timestamp"])),
            },
            "datatokens": prepared.datatokens,
            "stats": public_stats(await load_stats(uow, did)),
            "purgatory": await purgatory_of(uow, did, prepared.sender, existing),
        }
        onchain = await load_onchain_data(uow, did)
        if onchain:
            doc["onchainData"] = onchain
        uow.put(
            Collection.META,
            ddo_key(did),
            {"did": did, "ddo": prepared.ddo, "purgatory": doc["purgatory"], "position": position},
        )
        uow.put(Collection.ASSETS, did, soft_deleted_view(doc) if state in SOFT_DELETED_STATES else doc)
        await set_asset_state_record(
            uow,
            did=did,
            chain_id=log.chain_id,
            nft=log.address,
            tx=log.tx_hash,
            block=log.block_number,
            valid=True,
            error=None,
        )
        append_history(
            uow,
            did,
            log,
            "metadata",
            {
                "created": created,
                "actor": prepared.sender,
                "hash": log.args["metaDataHash"],
                "hash_convention": prepared.hash_convention,
                "previous": existing,
            },
        )

    async def on_rejected(self, log: LogLike, error: RejectedEvent, uow: UnitOfWork, env: HandlerEnv) -> None:
        await _record_failure(uow, log, str(error), error.code)

    async def on_retry_queued(self, log: LogLike, error: BaseException, uow: UnitOfWork, env: HandlerEnv) -> None:
        await _record_failure(uow, log, f"queued for retry: {error}", "retrying")


async def _record_failure(uow: UnitOfWork, log: LogLike, error: str, code: str) -> None:
    await set_asset_state_record(
        uow,
        did=did_of_nft(log.address, log.chain_id),
        chain_id=log.chain_id,
        nft=log.address,
        tx=log.tx_hash,
        block=log.block_number,
        valid=False,
        error=error,
        code=code,
    )


async def purgatory_of(uow: UnitOfWork, did: str, sender: str, existing: Doc | None) -> Doc:
    """Carried over from the stored asset; set when the asset or its publisher is listed."""
    current: Doc = dict((existing or {}).get("purgatory") or {"state": False})
    lists = await uow.get(Collection.META, LISTS_ID)
    if lists:
        assets = {a["did"]: a.get("reason", "") for a in lists.get("assets", [])}
        accounts = {a["address"].lower(): a.get("reason", "") for a in lists.get("accounts", [])}
        if did in assets:
            return {"state": True, "reason": assets[did]}
        if sender.lower() in accounts:
            return {"state": True, "reason": accounts[sender.lower()]}
    return current


@registers(default_registry)
class MetadataCreated(_MetadataHandler):
    event = "MetadataCreated"


@registers(default_registry)
class MetadataUpdated(_MetadataHandler):
    event = "MetadataUpdated"
