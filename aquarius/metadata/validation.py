"""Validate a DDO: the JSON Schema of its version (`schemas/ddo/`, translated from the official SHACL shapes) plus
the checks Aquarius made beside SHACL (context, metadata, ISO dates, chain id, NFT address, DID).

Errors come back per field, keyed by the dotted path of the offending value (`metadata.name`,
`services.0.timeout`); `ValidationResult.aquarius_body()` gives the body the Aquarius API answered with.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from eth_utils import is_address
from jsonschema import Draft202012Validator, ValidationError
from jsonschema.validators import extend

from aquarius.did import make_did
from aquarius.metadata.errors import ErrorCode, MetadataError
from aquarius.schemas_path import DDO_SCHEMA_DIR

SUPPORTED_VERSIONS = ("4.1.0", "4.3.0", "4.5.0", "4.7.0", "5.0.0")
# 4.0.0 and 4.1.0 have byte-identical shapes; Aquarius accepted both.
VERSION_ALIASES = {"4.0.0": "4.1.0"}
NO_VERSION = "no version provided for DDO."
JSONLD_KEYWORDS_AT_ROOT = frozenset({"@context", "@type"})
# A JSON-LD value object (`{"@value": "text", "@language": "en"}`) is one literal; v5 DDOs write descriptions so.
VALUE_OBJECT_KEYS = frozenset({"@value", "@language", "@direction"})


def _strict_integer(_checker: Any, instance: object) -> bool:
    # JSON-LD types a number written with a fraction (3600.0) as xsd:double, which SHACL refuses as xsd:integer.
    return isinstance(instance, int) and not isinstance(instance, bool)


DdoValidator = extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _strict_integer),
)


@cache
def schema(version: str) -> dict[str, Any]:
    """The JSON Schema of a supported DDO version (after aliases)."""
    loaded: dict[str, Any] = json.loads((DDO_SCHEMA_DIR / f"{version}.json").read_text())
    return loaded


@cache
def compiled_validator(version: str) -> Any:
    """The validator of a supported version, compiled once per process."""
    return DdoValidator(schema(version))


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """`errors` maps a field's dotted path to a readable message; empty when the DDO is valid."""

    version: str | None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def missing_version(self) -> bool:
        return self.version is None

    def aquarius_body(self) -> list[dict[str, str]] | dict[str, dict[str, str]]:
        """What Aquarius' validate endpoint answered with status 400: a list with one message when the DDO has no
        version, else `{"errors": {field: message}}`."""
        if self.missing_version:
            return [{"message": NO_VERSION}]
        return {"errors": dict(self.errors)}

    def summary(self) -> str:
        return "; ".join(f"{path}: {message}" for path, message in self.errors.items())


_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "boolean": "true or false",
    "object": "an object",
    "null": "null",
    "number": "a number",
}


def _describe_type(expected: str | list[str]) -> str:
    names = [expected] if isinstance(expected, str) else expected
    return " or ".join(_TYPE_NAMES.get(name, name) for name in names)


def _message(error: ValidationError) -> str:
    keyword, expected, instance = error.validator, error.validator_value, error.instance
    if keyword == "required":
        return "is required"
    if keyword == "type" and instance is None:
        return "is required (null is no value)"
    if keyword == "type":
        return f"must be {_describe_type(expected)}, got {json.dumps(instance)[:60]}"
    if keyword == "minLength":
        return f"must be at least {expected} characters long, got {len(instance)}"
    if keyword == "maxLength":
        return f"must be at most {expected} characters long, got {len(instance)}"
    if keyword == "pattern":
        return f"does not match the pattern {expected!r}"
    if keyword in ("contains", "minContains"):
        return "needs at least one value"
    if keyword == "maxContains":
        count = sum(item is not None for item in instance)
        return f"has {count} values, at most {expected} allowed"
    if keyword == "not" and expected == {"type": "array"}:
        return "must not be a nested array"
    if keyword == "not" and expected == {"type": "null"}:
        return "is required"
    if keyword == "anyOf":
        return "matches none of the allowed forms: " + " | ".join(sorted({_message(e) for e in error.context or []}))
    return error.message


def _path(error: ValidationError, prefix: str = "") -> str:
    parts = [str(part) for part in error.absolute_path]
    if error.validator == "required":
        missing = re.match(r"'(.*)' is a required property", error.message)
        parts.append(missing.group(1) if missing else "?")
    return ".".join([prefix, *parts] if prefix else parts) or "(document)"


def _add(errors: dict[str, str], path: str, message: str) -> None:
    if path in errors and message not in errors[path]:
        errors[path] = f"{errors[path]}; {message}"
    else:
        errors.setdefault(path, message)


def schema_errors(ddo: Mapping[str, Any], version: str) -> dict[str, str]:
    """The JSON Schema errors of `ddo` under the schema of `version` (one of SUPPORTED_VERSIONS)."""
    errors: dict[str, str] = {}
    for error in sorted(compiled_validator(version).iter_errors(ddo), key=lambda e: list(map(str, e.absolute_path))):
        _add(errors, _path(error), _message(error))
    return errors


def _is_value_object(value: dict[str, Any]) -> bool:
    return "@value" in value and value.keys() <= VALUE_OBJECT_KEYS


def _jsonld_keywords(value: Any, path: str) -> Iterator[str]:
    """Paths of JSON-LD keywords that would change how the document reads as RDF (node ids, types, nested
    contexts): SHACL would then check other nodes than the DDO's own, so they are refused."""
    if isinstance(value, dict) and _is_value_object(value):
        return
    if isinstance(value, dict):
        for key, child in value.items():
            child_path = f"{path}.{key}" if path else key
            if key.startswith("@") and (path or key not in JSONLD_KEYWORDS_AT_ROOT):
                yield child_path
            elif path or key != "@context":
                yield from _jsonld_keywords(child, child_path)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _jsonld_keywords(child, f"{path}.{index}")


# Python 3.8's `datetime.fromisoformat`, which Aquarius used after stripping a trailing "Z", accepted exactly these
# forms: a date, optionally followed by any one separator, HH[:MM[:SS[.fff[fff]]]] and a ±HH:MM[:SS[.ffffff]] offset.
_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}"
    r"(?:.\d{2}(?::\d{2}(?::\d{2}(?:\.\d{3}(?:\d{3})?)?)?)?"
    r"(?:[+-]\d{2}:\d{2}(?::\d{2}(?:\.\d{6})?)?)?)?",
    re.DOTALL,
)


def is_iso_datetime(value: str) -> bool:
    """Whether `value` (one trailing `Z` allowed) is an ISO 8601 date or date-time as Aquarius accepted it."""
    text = value.removesuffix("Z")
    if not _ISO_DATETIME.fullmatch(text):
        return False
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _valid_chain_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _extra_errors(
    ddo: Mapping[str, Any], version: str, chain_id: int | None, nft_address: str | None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    for path in _jsonld_keywords(ddo, ""):
        errors[path] = "JSON-LD keywords are not allowed inside a DDO"
    if not isinstance(ddo.get("@context"), list | dict):
        errors["@context"] = "Context is missing or invalid."
    v5 = version.startswith("5.")
    subject: Any = ddo.get("credentialSubject") if v5 else ddo
    where = "credentialSubject." if v5 else ""
    if not isinstance(subject, dict):
        errors["credentialSubject"] = "credentialSubject is missing or invalid."
        return errors
    metadata = subject.get("metadata")
    if not isinstance(metadata, dict):
        errors[f"{where}metadata"] = "Metadata is missing or invalid."
    else:
        for attr in ("created", "updated"):
            value = metadata.get(attr)
            if isinstance(value, str) and not is_iso_datetime(value):
                errors[f"{where}metadata.{attr}"] = f"{attr} is not in iso format."
    chain = subject.get("chainId") if chain_id is None else chain_id
    nft = subject.get("nftAddress") if nft_address is None else nft_address
    if not _valid_chain_id(chain):
        errors[f"{where}chainId"] = "chainId is missing or invalid."
    if not (isinstance(nft, str) and is_address(nft)):
        errors[f"{where}nftAddress"] = "nftAddress is missing or invalid."
    if f"{where}chainId" not in errors and f"{where}nftAddress" not in errors:
        did = make_did(nft, chain, prefix="did:ope:" if v5 else "did:op:")
        if ddo.get("id") != did:
            errors["id"] = "did is not valid for chain Id and nft address"
    return errors


def validate_ddo(
    ddo: Mapping[str, Any], *, chain_id: int | None = None, nft_address: str | None = None
) -> ValidationResult:
    """Validate `ddo` against the schema of its `version` and Aquarius' extra checks.

    The DID must derive from `chain_id` and `nft_address` (the event's chain and NFT when indexing); when they are
    None, the DDO's own `chainId` and `nftAddress` are used (`credentialSubject.*` for 5.x). A DDO without a
    version gives `missing_version`; an unsupported version gives one error on `version`.
    """
    version = ddo.get("version")
    if version is None:
        return ValidationResult(None, {"version": NO_VERSION})
    resolved = VERSION_ALIASES.get(version, version) if isinstance(version, str) else None
    if resolved not in SUPPORTED_VERSIONS:
        supported = ", ".join((*VERSION_ALIASES, *SUPPORTED_VERSIONS))
        return ValidationResult(
            str(version), {"version": f"unsupported DDO version {version!r} (supported: {supported})"}
        )
    errors = schema_errors(ddo, resolved)
    errors.update(_extra_errors(ddo, resolved, chain_id, nft_address))
    return ValidationResult(version, errors)


def ensure_valid(
    ddo: Mapping[str, Any], *, chain_id: int | None = None, nft_address: str | None = None
) -> ValidationResult:
    """`validate_ddo`, raising MetadataError(INVALID_DDO) with every field's error when the DDO is invalid."""
    result = validate_ddo(ddo, chain_id=chain_id, nft_address=nft_address)
    if not result.valid:
        raise MetadataError(ErrorCode.INVALID_DDO, result.summary())
    return result
