"""Relevance as Lucene computes it for Elasticsearch's default similarity: BM25 (k1=1.2, b=0.75) with per-field
statistics and the one-byte lossy encoding of field lengths, so that scores order documents as Elasticsearch does."""

from __future__ import annotations

import math

K1 = 1.2
B = 0.75


def _long_to_int4(i: int) -> int:
    bits = i.bit_length()
    if bits < 4:
        return i
    shift = bits - 4
    return ((i >> shift) & 0x07) | ((shift + 1) << 3)


def _int4_to_long(i: int) -> int:
    bits, shift = i & 0x07, (i >> 3) - 1
    return bits if shift == -1 else (bits | 0x08) << shift


_FREE_VALUES = 255 - _long_to_int4(2**31 - 1)


def stored_length(length: int) -> int:
    """The field length as the index remembers it (exact below 24, then with 4 significant bits)."""
    if length < _FREE_VALUES:
        return length
    return _FREE_VALUES + _int4_to_long(_long_to_int4(length - _FREE_VALUES))


def idf(doc_count: int, doc_freq: int) -> float:
    return math.log(1 + (doc_count - doc_freq + 0.5) / (doc_freq + 0.5))


def score(weight: float, freq: float, length: int, avg_length: float) -> float:
    """`weight` = boost x idf; `length` the raw field length (encoded here as the index stores it)."""
    norm = K1 * ((1 - B) + B * stored_length(length) / avg_length) if avg_length > 0 else K1
    return (K1 + 1) * weight * freq / (freq + norm)
