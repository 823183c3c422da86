"""Our validator and pySHACL with the official DDO shapes agree on every document of a generated corpus.

The corpus starts from a valid sample of each version and breaks one rule at a time, for every property the
sample holds: remove it, null it, empty it, wrap it in an array, give it one value too many, the wrong type, a
string one character too long or too short, a line break where the pattern forbids one. The DDO becomes RDF the
way Aquarius fed pySHACL: `@type` set to the root class, `@context` replaced by a vocabulary, parsed as JSON-LD.
Deliberate differences (docs/validation.md) are listed in EXPECTED_DIFFERENCES with the verdict each side gives.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pyshacl import validate as shacl_validate
from rdflib import RDF, SH, Graph

from aquarius.metadata.validation import SUPPORTED_VERSIONS, schema, validate_ddo
from tests.metadata.samples import CHAIN_ID, NFT, sample_ddo

SHAPES_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "ddo-shacl"
V4_VOCABULARY = "http://schema.org/"
V5_VOCABULARY = "https://www.w3.org/ns/credentials/v2/"


@dataclass(frozen=True)
class Case:
    label: str
    version: str
    ddo: dict[str, Any]


def test_official_shapes_are_present() -> None:
    missing = [v for v in SUPPORTED_VERSIONS if not (SHAPES_DIR / f"{v}.ttl").is_file()]
    assert not missing, f"SHACL shapes missing in {SHAPES_DIR.resolve()}: {missing}"


@cache
def _shapes(version: str) -> Graph:
    return Graph().parse(SHAPES_DIR / f"{version}.ttl", format="turtle")


def to_rdf(ddo: dict[str, Any], version: str) -> Graph:
    """The DDO as the RDF graph that Aquarius (v4) and Ocean Node (v5) validate."""
    document = dict(ddo)
    if version.startswith("5."):
        document["@type"] = "VerifiableCredential"
        document["@context"] = {"@vocab": V5_VOCABULARY}
    else:
        document["@type"] = "DDO"
        document["@context"] = {"@vocab": V4_VOCABULARY}
    return Graph().parse(data=json.dumps(document), format="json-ld")


def shacl_verdicts(ddos: list[dict[str, Any]], version: str) -> list[bool]:
    """Whether each DDO conforms to the shapes of `version`. The DDOs are checked in one pySHACL run over the
    union of their graphs (their nodes are distinct blank nodes); a DDO is invalid when a result focuses on one
    of its nodes."""
    union = Graph()
    owner: dict[Any, int] = {}
    for index, ddo in enumerate(ddos):
        graph = to_rdf(ddo, version)
        owner.update((subject, index) for subject in graph.subjects())
        union += graph
    _, results, _ = shacl_validate(union, shacl_graph=_shapes(version))
    (report,) = results.subjects(RDF.type, SH.ValidationReport)
    failed = {owner[results.value(result, SH.focusNode)] for result in results.objects(report, SH.result)}
    return [index not in failed for index in range(len(ddos))]


def shacl_conforms(ddo: dict[str, Any], version: str) -> bool:
    conforms, _, _ = shacl_validate(to_rdf(ddo, version), shacl_graph=_shapes(version))
    return bool(conforms)


def _resolve(root: dict[str, Any], subschema: dict[str, Any]) -> dict[str, Any]:
    ref = subschema.get("$ref")
    return root["$defs"][ref.removeprefix("#/$defs/")] if ref else subschema


def _distinct(value: Any, count: int) -> list[Any]:
    """`count` distinct values like `value` (RDF collapses equal literals, so copies would count once)."""
    if isinstance(value, bool):
        return [True, False][:count]
    if isinstance(value, int):
        return [value + i for i in range(count)]
    if isinstance(value, str) and value:
        return [value[:-2] + f"{i:02d}"[-2:] if len(value) >= 2 else f"{value}{i}" for i in range(count)]
    return [copy.deepcopy(value) for _ in range(count)]


def _wrong_type(value_schema: dict[str, Any]) -> tuple[str, Any]:
    kind = value_schema.get("type")
    if kind == "string":
        return "integer for string", 12345
    if kind == "integer":
        return "integral float for integer", 60.0
    if kind == "boolean":
        return "string for boolean", "true"
    return "string for node", "text"


# Versions whose mutations are limited to the rules that differ between v4 versions (counts and lengths); the
# current 4.5.0 and 5.0.0 get every mutation. pySHACL takes about 15 ms per document.
COUNTS_AND_LENGTHS_ONLY = {"4.1.0", "4.3.0", "4.7.0"}


def _mutations(
    value: Any, prop: dict[str, Any], value_schema: dict[str, Any], *, path: list[str | int], full: bool
) -> Iterator[tuple[str, Any]]:
    shallow = len(path) <= 1
    if full and (shallow or prop["then"].get("minContains")):
        yield "removed", KeyError
    if full and not path:
        # JSON-LD multiplicity: null is no value, [] is no value, [x] is x.
        yield "null", None
        yield "empty array", []
        if not isinstance(value, list):
            yield "wrapped in an array", [copy.deepcopy(value)]
    items = value if isinstance(value, list) else [value]
    most = prop["then"].get("maxContains")
    if most is not None and items:
        yield "one value too many", _distinct(items[0], most + 1)
    if full:
        yield _wrong_type(value_schema)
    sample = items[0] if items else None
    if value_schema.get("type") == "string" and isinstance(sample, str):
        pattern = value_schema.get("pattern", "")
        prefix = sample[:8] if pattern.startswith("^did:") else ""
        if "maxLength" in value_schema:
            yield "one character too long", prefix + "a" * (value_schema["maxLength"] + 1 - len(prefix))
        if value_schema.get("minLength", 0) > len(prefix):
            yield "one character too short", prefix + "a" * (value_schema["minLength"] - 1 - len(prefix))
        if full and pattern:
            yield "line break inside", sample[:2] + "\n" + sample[3:]
        if full and pattern.startswith("^did:"):
            yield "wrong DID method", "did:xx:" + sample[7:]


def _cases_for(version: str) -> Iterator[Case]:
    root = schema(version)
    base = sample_ddo(version)
    yield Case(f"{version} sample", version, base)

    seen: list[dict[str, Any]] = []

    def walk(path: list[str | int], node: dict[str, Any], shape: dict[str, Any]) -> Iterator[Case]:
        # A shape used in several places (consumer parameters, credentials) is broken in its first place only.
        if any(shape is other for other in seen):
            return
        seen.append(shape)
        for name, prop in shape.get("properties", {}).items():
            if name not in node:
                continue
            value_schema = _resolve(root, prop["then"]["items"]["else"])
            where = ".".join(map(str, [*path, name]))
            mutations = _mutations(
                node[name], prop, value_schema, path=path, full=version not in COUNTS_AND_LENGTHS_ONLY
            )
            for what, replacement in mutations:
                ddo = copy.deepcopy(base)
                target: Any = ddo
                for part in path:
                    target = target[part]
                if replacement is KeyError:
                    del target[name]
                else:
                    target[name] = replacement
                yield Case(f"{version} {where}: {what}", version, ddo)
            child = node[name]
            if isinstance(child, list) and child and isinstance(child[0], dict):
                yield from walk([*path, name, 0], child[0], value_schema)
            elif isinstance(child, dict):
                yield from walk([*path, name], child, value_schema)

    yield from walk([], base, root)


def _hand_written_cases() -> Iterator[Case]:
    ddo = sample_ddo("4.5.0")
    ddo["metadata"]["tags"] = ["same"] * 65
    yield Case("4.5.0 metadata.tags: 65 equal values", "4.5.0", ddo)
    ddo = sample_ddo("4.5.0")
    ddo["metadata"]["tags"] = [["nested"], "flat"]
    yield Case("4.5.0 metadata.tags: nested array", "4.5.0", ddo)
    ddo = sample_ddo("4.5.0")
    ddo["metadata"]["@type"] = "Service"
    yield Case("4.5.0 metadata: JSON-LD @type", "4.5.0", ddo)
    ddo = sample_ddo("4.5.0")
    ddo["services"][0]["compute"]["publisherTrustedAlgorithms"] = "*"
    yield Case("4.5.0 services.0.compute.publisherTrustedAlgorithms: '*'", "4.5.0", ddo)
    ddo = sample_ddo("4.1.0")
    ddo["services"] = []
    yield Case("4.1.0 services: none (4.1.0 needs one)", "4.1.0", ddo)


# label -> (our verdict, SHACL's verdict); each is explained in docs/validation.md.
EXPECTED_DIFFERENCES: dict[str, tuple[bool, bool]] = {
    # RDF collapses equal literals: 65 copies of one tag are a single value to SHACL.
    "4.5.0 metadata.tags: 65 equal values": (False, True),
    # JSON-LD flattens nested arrays; we refuse them.
    "4.5.0 metadata.tags: nested array": (False, True),
    # The extra checks read `id` and `metadata` as plain JSON values, as Aquarius did.
    "4.5.0 id: wrapped in an array": (False, True),
    "4.5.0 metadata: wrapped in an array": (False, True),
    "5.0.0 id: wrapped in an array": (False, True),
    # The version picks the schema, so it must be one string.
    "4.5.0 version: wrapped in an array": (False, True),
    "5.0.0 version: wrapped in an array": (False, True),
    "5.0.0 credentialSubject: wrapped in an array": (False, True),
}


def corpus() -> list[Case]:
    cases = [case for version in SUPPORTED_VERSIONS for case in _cases_for(version)]
    return cases + list(_hand_written_cases())


CORPUS = corpus()


def test_corpus_is_large_and_mixed() -> None:
    assert len({case.label for case in CORPUS}) == len(CORPUS)
    assert len(CORPUS) >= 150
    assert {case.version for case in CORPUS} == set(SUPPORTED_VERSIONS)


def test_validator_and_shacl_agree_on_the_corpus() -> None:
    verdicts = {}
    for version in SUPPORTED_VERSIONS:
        cases = [case for case in CORPUS if case.version == version]
        for case, shacl in zip(cases, shacl_verdicts([case.ddo for case in cases], version), strict=True):
            verdicts[case.label] = (validate_ddo(case.ddo, chain_id=CHAIN_ID, nft_address=NFT).valid, shacl)
    disagreements = {label: v for label, v in verdicts.items() if v[0] != v[1] and label not in EXPECTED_DIFFERENCES}
    assert disagreements == {}
    assert {label: verdicts[label] for label in EXPECTED_DIFFERENCES} == EXPECTED_DIFFERENCES
    valid = sum(ours for ours, _ in verdicts.values())
    assert valid >= 40 and len(verdicts) - valid >= 100, f"{valid} valid of {len(verdicts)}"


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_sample_conforms_to_the_official_shapes(version: str) -> None:
    assert shacl_conforms(sample_ddo(version), version)


def test_union_run_gives_the_verdicts_of_separate_runs() -> None:
    cases = [case for case in CORPUS if case.version == "4.5.0"][:12]
    separate = [shacl_conforms(case.ddo, "4.5.0") for case in cases]
    assert separate == shacl_verdicts([case.ddo for case in cases], "4.5.0")
    assert True in separate and False in separate
