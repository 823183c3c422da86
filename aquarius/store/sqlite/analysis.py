"""Text analysis with the behaviour of Elasticsearch's `standard` analyzer: Unicode word segmentation (UAX #29),
lower-casing, tokens longer than 255 characters cut into pieces, Southeast Asian runs kept whole."""

from __future__ import annotations

import regex

MAX_TOKEN_LENGTH = 255

_BOUNDARY = regex.compile(r"(?wV1)\b")
_WORDLIKE = regex.compile(r"[\p{L}\p{N}\p{M}\p{Extended_Pictographic}]")
# Lucene has no dictionary for these scripts in the standard tokenizer: a run of them is one token
_SOUTHEAST_ASIAN = regex.compile(r"^[\p{Thai}\p{Lao}\p{Myanmar}\p{Khmer}]+$")


def tokenize(text: str) -> list[str]:
    """The lower-cased tokens of `text`, in order."""
    tokens: list[str] = []
    joinable = False  # the previous token was Southeast Asian and directly adjacent
    for segment in _BOUNDARY.split(text):
        if not segment:
            continue
        if not _WORDLIKE.search(segment):
            joinable = False
            continue
        lowered = segment.lower()
        southeast = bool(_SOUTHEAST_ASIAN.match(segment))
        if southeast and joinable and tokens:
            tokens[-1] += lowered
            continue
        joinable = southeast
        tokens.extend(lowered[i : i + MAX_TOKEN_LENGTH] for i in range(0, len(lowered), MAX_TOKEN_LENGTH))
    return tokens
