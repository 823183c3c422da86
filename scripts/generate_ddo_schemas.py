"""Translate the official SHACL shapes of the DDO versions into the JSON Schemas of `schemas/ddo/`.

    .venv/bin/python scripts/generate_ddo_schemas.py SHAPES_DIR

reads SHAPES_DIR/<version>.ttl for every supported version and writes schemas/ddo/<version>.json. The shapes are
validated as JSON-LD (arrays are sets of values, `null` is no value, a bare value is one value), so every property
accepts a bare value or an array, counts its non-null values against sh:minCount/sh:maxCount, and checks each
value against the property's datatype, lengths, pattern or node shape. A constraint this translation does not
know stops the script, so a new shape never loses a rule silently.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection

SH = Namespace("http://www.w3.org/ns/shacl#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
VERSIONS = ("4.1.0", "4.3.0", "4.5.0", "4.7.0", "5.0.0")
ROOT_CLASSES = ("DDO", "VerifiableCredential")
DATATYPES = {XSD.string: "string", XSD.integer: "integer", XSD.boolean: "boolean"}
NODE_KINDS = {SH.Literal: {"type": ["string", "number", "boolean"]}, SH.BlankNodeOrIRI: {"type": "object"}}
KNOWN = {SH.path, SH.datatype, SH.pattern, SH.minCount, SH.maxCount, SH.minLength, SH.maxLength, SH.node}
KNOWN |= {SH["or"], SH.nodeKind}
NOT_NULL = {"not": {"type": "null"}}
Schema = dict[str, Any]


def local_name(term: URIRef | BNode) -> str:
    return str(term).rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def shape_name(shape: URIRef) -> str:
    return local_name(shape).removesuffix("Shape")


def portable_pattern(pattern: str) -> str:
    # `\:` is an identity escape to Python and to ECMA-262 without the u flag, a syntax error with it.
    return pattern.replace("\\:", ":")


class Translator:
    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.defs: dict[str, Schema] = {}

    def one(self, subject: URIRef | BNode, predicate: URIRef) -> Any:
        """The single value of `predicate` (a Python value for a literal), None when absent."""
        values = list(self.graph.objects(subject, predicate))
        if len(values) > 1:
            raise SystemExit(f"{subject} has {len(values)} values for {predicate}")
        if not values:
            return None
        return values[0].toPython() if isinstance(values[0], Literal) else values[0]

    def node_ref(self, shape: URIRef) -> Schema:
        name = shape_name(shape)
        if name not in self.defs:
            self.defs[name] = {}  # placeholder: shapes may refer to each other
            self.defs[name] = self.node_schema(shape)
        return {"$ref": f"#/$defs/{name}"}

    def resolve(self, schema: Schema) -> Schema:
        ref = schema.get("$ref")
        return self.defs[ref.removeprefix("#/$defs/")] if ref else schema

    def node_schema(self, shape: URIRef) -> Schema:
        properties: dict[str, Schema] = {}
        required: list[str] = []
        for prop in self.graph.objects(shape, SH.property):
            name, schema, min_count = self.property_schema(prop)
            if name in properties:
                raise SystemExit(f"{shape_name(shape)}.{name} is constrained twice")
            properties[name] = schema
            if min_count:
                required.append(name)
        # A value that is not an object is a literal to SHACL: it has no properties, so it conforms exactly when
        # the shape requires none.
        schema: Schema = {"type": "object"} if required else {"not": {"type": "array"}}
        schema["properties"] = dict(sorted(properties.items()))
        if required:
            schema["required"] = sorted(required)
        return schema

    def value_schema(self, prop: BNode) -> Schema:
        datatype = self.one(prop, SH.datatype)
        node = self.one(prop, SH.node)
        alternatives = self.one(prop, SH["or"])
        node_kind = self.one(prop, SH.nodeKind)
        pattern = self.one(prop, SH.pattern)
        lengths = {"minLength": self.one(prop, SH.minLength), "maxLength": self.one(prop, SH.maxLength)}
        if sum(x is not None for x in (datatype, node, alternatives, node_kind)) > 1:
            raise SystemExit(f"{prop}: more than one of datatype/node/or/nodeKind")
        if node is not None:
            return self.node_ref(node)
        if alternatives is not None:
            return {"anyOf": [self.value_schema(item) for item in Collection(self.graph, alternatives)]}
        if node_kind is not None:
            return dict(NODE_KINDS[node_kind])
        if datatype is None:
            if pattern is not None or any(v is not None for v in lengths.values()):
                raise SystemExit(f"{prop}: pattern or length without a datatype")
            return {}
        schema: Schema = {"type": DATATYPES[datatype]}
        if DATATYPES[datatype] == "string":
            if pattern is not None:
                schema["pattern"] = portable_pattern(pattern)
            schema.update({k: v for k, v in lengths.items() if v is not None})
        elif pattern not in (None, "^(.*)$") or any(v is not None for v in lengths.values()):
            # Every lexical form of a non-string datatype matches `^(.*)$`; anything else would need thought.
            raise SystemExit(f"{prop}: string constraint on {datatype}")
        return schema

    def property_schema(self, prop: BNode) -> tuple[str, Schema, int]:
        unknown = {p for p in self.graph.predicates(prop) if p not in KNOWN}
        if unknown:
            raise SystemExit(f"{prop}: constraints not translated: {sorted(map(str, unknown))}")
        name = local_name(self.one(prop, SH.path))
        min_count = self.one(prop, SH.minCount) or 0
        max_count = self.one(prop, SH.maxCount)
        if min_count > 1 or max_count == 0:
            raise SystemExit(f"{name}: counts [{min_count}..{max_count}] not translated")
        value = self.value_schema(prop)
        # A bare value: null is no value, which only an optional property accepts.
        if min_count == 0:
            single: Schema = {"if": {"type": "null"}, "else": value}
        else:
            single = value if "type" in self.resolve(value) else {**NOT_NULL, **value}
        many: Schema = {"items": {"if": {"type": "null"}, "else": value}}
        if min_count or max_count is not None:
            many["contains"] = NOT_NULL
            many["minContains"] = min_count
            if max_count is not None:
                many["maxContains"] = max_count
        return name, {"if": {"type": "array"}, "then": many, "else": single}, min_count


def translate(version: str, graph: Graph) -> Schema:
    roots = [
        shape
        for shape, target in graph.subject_objects(SH.targetClass)
        if isinstance(shape, URIRef) and local_name(target) in ROOT_CLASSES
    ]
    if len(roots) != 1:
        raise SystemExit(f"{version}: expected one root shape, found {roots}")
    translator = Translator(graph)
    root = translator.node_schema(roots[0])
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:aquarius:schema:ddo:{version}",
        "title": f"DDO {version}",
        "description": (
            f"Translated from the SHACL shapes of DDO {version} by scripts/generate_ddo_schemas.py. Values follow "
            "JSON-LD: a bare value is one value, an array holds several, null is no value. Patterns are Python "
            "regular expressions applied with re.search, as by pySHACL. Integers are JSON numbers written without "
            "a fraction or exponent."
        ),
        **root,
        "$defs": dict(sorted(translator.defs.items())),
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    shapes = Path(argv[1])
    out = Path(__file__).resolve().parents[1] / "schemas" / "ddo"
    out.mkdir(parents=True, exist_ok=True)
    for version in VERSIONS:
        graph = Graph().parse(shapes / f"{version}.ttl", format="turtle")
        schema = translate(version, graph)
        (out / f"{version}.json").write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {out / f'{version}.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
