"""The one exception type of the metadata pipeline."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Why a metadata payload was refused. `retryable` tells whether trying again later may succeed."""

    BAD_FLAGS = "bad_flags"
    DECOMPRESSION_FAILED = "decompression_failed"
    TOO_LARGE = "too_large"
    NOT_UTF8 = "not_utf8"
    BAD_JSON = "bad_json"
    TOO_DEEP = "too_deep"
    NOT_AN_OBJECT = "not_an_object"
    HASH_MISMATCH = "hash_mismatch"
    NO_DECRYPTOR = "no_decryptor"
    DECRYPTION_FAILED = "decryption_failed"
    DECRYPTOR_URL_REFUSED = "decryptor_url_refused"
    DECRYPTOR_REFUSED = "decryptor_refused"
    DECRYPTOR_UNAVAILABLE = "decryptor_unavailable"
    INVALID_DDO = "invalid_ddo"

    @property
    def retryable(self) -> bool:
        return self is ErrorCode.DECRYPTOR_UNAVAILABLE


class MetadataError(Exception):
    """A metadata payload or DDO was refused: `code` for machines, `message` for people."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def retryable(self) -> bool:
        return self.code.retryable

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"
