"""The pure, CPU-bound part of indexing one metadata event: from the payload (or the DDO bytes a remote decryptor
answered with) to a validated DDO. Inputs and outcomes are plain picklable values, so that the step can run in
another process; the indexer's own key is registered once per process with `register_local_key`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aquarius.metadata.decrypt import LocalDecryptor
from aquarius.metadata.errors import ErrorCode, MetadataError
from aquarius.metadata.hashing import check_metadata_hash
from aquarius.metadata.payload import DEFAULT_LIMITS, PayloadLimits, decode_payload, parse_ddo
from aquarius.metadata.validation import SUPPORTED_VERSIONS, compiled_validator, validate_ddo

# address -> decryptor: a process may index several chains with the same key, or tests with several keys
_LOCAL_KEYS: dict[str, LocalDecryptor] = {}


def register_local_key(private_key: str) -> str:
    """Make the key usable by `decode_metadata` in this process; returns its address, which jobs name."""
    decryptor = LocalDecryptor(private_key)
    _LOCAL_KEYS.setdefault(decryptor.address.lower(), decryptor)
    return decryptor.address.lower()


def prepare_worker(private_key: str | None) -> None:
    """Once per worker: register the indexer's key, and build every version's validator (resolving its
    references) now rather than inside the first job."""
    if private_key is not None:
        register_local_key(private_key)
    for version in SUPPORTED_VERSIONS:
        compiled_validator(version).is_valid({})


@dataclass(frozen=True, slots=True)
class MetadataJob:
    """One event's payload. `flags` None: `payload` is the DDO bytes already (a remote decryptor's answer).
    `decrypt_with`: the address of a registered key, for a payload encrypted to this indexer."""

    payload: bytes
    flags: int | None
    metadata_hash: str
    chain_id: int
    nft_address: str
    limits: PayloadLimits = DEFAULT_LIMITS
    decrypt_with: str | None = None


@dataclass(frozen=True, slots=True)
class MetadataOutcome:
    """The DDO and the hash convention it follows, or why it was refused (`error`, `message`), or, for an
    unexpected failure, its description in `failure`."""

    ddo: dict[str, Any] | None = None
    hash_convention: str = ""
    error: ErrorCode | None = None
    message: str = ""
    failure: str | None = None

    def result(self) -> tuple[dict[str, Any], str]:
        """The DDO and hash convention; MetadataError when refused, RuntimeError for an unexpected failure."""
        if self.failure is not None:
            raise RuntimeError(self.failure)
        if self.error is not None:
            raise MetadataError(self.error, self.message)
        assert self.ddo is not None
        return self.ddo, self.hash_convention


def decode_metadata(job: MetadataJob) -> MetadataOutcome:
    """Decrypt (with the registered key), decompress, check the hash, parse and validate, in that order: the
    first step that refuses names the outcome."""
    try:
        plaintext = job.payload
        if job.flags is not None:
            decrypt = _LOCAL_KEYS[job.decrypt_with].decrypt if job.decrypt_with is not None else None
            plaintext = decode_payload(job.flags, plaintext, decrypt=decrypt, limits=job.limits)
        convention = check_metadata_hash(plaintext, job.metadata_hash)
        ddo = parse_ddo(plaintext, job.limits)
        validation = validate_ddo(ddo, chain_id=job.chain_id, nft_address=job.nft_address)
    except MetadataError as err:
        return MetadataOutcome(error=err.code, message=err.message)
    except Exception as err:  # reported to the caller, which queues the event for a retry
        return MetadataOutcome(failure=f"{type(err).__name__}: {err}")
    if not validation.valid:
        return MetadataOutcome(
            error=ErrorCode.INVALID_DDO, message=f"DDO has validation errors: {validation.summary()}"
        )
    return MetadataOutcome(ddo=ddo, hash_convention=str(convention))
