"""Query DSL -> matching documents with Elasticsearch scores, evaluated over the inverted index.

Every query yields `Scores`: document seq -> score. Field queries read postings by (field, term) key; only
phrase checks and wildcards with a leading `*` look further (candidate documents' text, the field's term list)."""

from __future__ import annotations

import fnmatch
import json
import sqlite3
from collections.abc import Callable, Iterable, Set
from dataclasses import dataclass
from typing import Any

from aquarius.store.base import BadQuery, UnsupportedQuery
from aquarius.store.sqlite import bm25
from aquarius.store.sqlite.analysis import tokenize
from aquarius.store.sqlite.dsl import boost_of, clause_list, min_should_match, number, single_entry
from aquarius.store.sqlite.indexing import FieldRegistry
from aquarius.store.sqlite.mapping import Field, Kind, coerce, leaves, parse_date
from aquarius.store.sqlite.query_string import Group, Occur, Text, literal_prefix, parse, wildcard_regex

Scores = dict[int, float]
_TERM_SEEKS = 128


@dataclass(frozen=True, slots=True)
class DocSet:
    """The documents a clause matches when its score is not used: `docs`, or with `complement` every document of
    the collection but `docs`, so that filters matching nearly everything (`_index`, `must_not`) stay small."""

    docs: Set[int]
    complement: bool = False


EVERYTHING = DocSet(frozenset(), complement=True)
NOTHING = DocSet(frozenset())

UNSUPPORTED_QUERIES = frozenset(
    [
        "boosting",
        "combined_fields",
        "constant_score",
        "dis_max",
        "distance_feature",
        "function_score",
        "fuzzy",
        "geo_bounding_box",
        "geo_distance",
        "geo_polygon",
        "geo_shape",
        "has_child",
        "has_parent",
        "intervals",
        "knn",
        "match_bool_prefix",
        "match_phrase_prefix",
        "more_like_this",
        "multi_match",
        "nested",
        "parent_id",
        "percolate",
        "pinned",
        "prefix",
        "rank_feature",
        "regexp",
        "script",
        "script_score",
        "shape",
        "simple_query_string",
        "span_containing",
        "span_first",
        "span_multi",
        "span_near",
        "span_not",
        "span_or",
        "span_term",
        "span_within",
        "terms_set",
        "wildcard",
        "wrapper",
    ]
)


class QueryContext:
    """Reads of one search: the collection's documents, fields and postings."""

    def __init__(self, conn: sqlite3.Connection, fields: FieldRegistry, collection: str, index_name: str) -> None:
        self.conn = conn
        self.fields = fields
        self.collection = collection
        self.index_name = index_name
        self._all: set[int] | None = None
        self._stats: dict[int, tuple[int, int]] = {}

    def all_docs(self) -> set[int]:
        if self._all is None:
            rows = self.conn.execute("SELECT seq FROM docs WHERE coll = ?", (self.collection,))
            self._all = {r[0] for r in rows}
        return self._all

    def field(self, path: str) -> Field | None:
        return self.fields.get(self.collection, path)

    def matching_fields(self, pattern: str) -> list[Field]:
        if "*" not in pattern:
            found = self.field(pattern)
            return [found] if found else []
        return [f for f in self.fields.in_collection(self.collection) if fnmatch.fnmatchcase(f.path, pattern)]

    def stats(self, field: Field) -> tuple[int, float]:
        """(documents with the field, average length) for BM25."""
        if field.fid not in self._stats:
            row = self.conn.execute("SELECT doc_count, sum_len FROM field_stats WHERE fid = ?", (field.fid,)).fetchone()
            self._stats[field.fid] = row or (0, 0)
        count, total = self._stats[field.fid]
        return count, (total / count if count else 0.0)

    def postings(self, field: Field, term: Any) -> list[tuple[int, int, int]]:
        """(doc, term frequency, field length) of every document holding `term` in `field`."""
        return self.conn.execute(
            "SELECT doc, tf, len FROM postings WHERE fid = ? AND term = ?", (field.fid, term)
        ).fetchall()

    def docs_with_terms(self, field: Field, terms: Iterable[Any]) -> set[int]:
        rows = self.conn.execute(
            "SELECT doc FROM postings WHERE fid = ? AND term IN (SELECT value FROM json_each(?))",
            (field.fid, json.dumps(list(terms))),
        )
        return {r[0] for r in rows}

    def docs_in_range(self, field: Field, low: Any, low_incl: bool, high: Any, high_incl: bool) -> set[int]:
        sql, args = "SELECT doc FROM postings WHERE fid = ?", [field.fid]
        if low is not None:
            sql += " AND term >= ?" if low_incl else " AND term > ?"
            args.append(low)
        if high is not None:
            sql += " AND term <= ?" if high_incl else " AND term < ?"
            args.append(high)
        return {r[0] for r in self.conn.execute(sql, args)}

    def docs_with_field(self, field: Field) -> set[int]:
        rows = self.conn.execute(
            "SELECT doc FROM postings WHERE fid = :fid UNION ALL SELECT doc FROM empty_text WHERE fid = :fid",
            {"fid": field.fid},
        )
        return {r[0] for r in rows}

    def terms_of(self, field: Field, prefix: str) -> list[Any]:
        """The field's distinct terms starting with `prefix`. Seeking from term to term wins when terms repeat
        across many documents (words), scanning wins when nearly every posting is a new term (ids, addresses):
        seek for a while, and scan the rest if the terms keep coming."""
        args = {"fid": field.fid, "prefix": prefix, "steps": _TERM_SEEKS}
        walked = [
            r[0]
            for r in self.conn.execute(
                "WITH RECURSIVE t(term) AS ("
                " SELECT min(term) FROM postings WHERE fid = :fid AND term >= :prefix"
                " UNION ALL SELECT (SELECT min(term) FROM postings WHERE fid = :fid AND term > t.term) FROM t"
                " WHERE t.term IS NOT NULL AND substr(t.term, 1, length(:prefix)) = :prefix LIMIT :steps)"
                " SELECT term FROM t WHERE term IS NOT NULL AND substr(term, 1, length(:prefix)) = :prefix",
                args,
            )
        ]
        if len(walked) < _TERM_SEEKS:
            return walked
        rest = self.conn.execute(
            "SELECT DISTINCT term FROM postings WHERE fid = :fid AND term > :last"
            " AND substr(term, 1, length(:prefix)) = :prefix",
            {**args, "last": walked[-1]},
        )
        return walked + [r[0] for r in rest]

    def field_values(self, field: Field) -> dict[int, list[Any]]:
        """doc -> the field's indexed values, for every document that has the field."""
        out: dict[int, list[Any]] = {}
        for doc, term in self.conn.execute("SELECT doc, term FROM postings WHERE fid = ?", (field.fid,)):
            out.setdefault(doc, []).append(term)
        return out

    def sort_values(self, field: Field, highest: bool) -> dict[int, Any]:
        """doc -> the field's highest (or lowest) value, as multi-valued fields sort."""
        pick = "max" if highest else "min"
        rows = self.conn.execute(f"SELECT doc, {pick}(term) FROM postings WHERE fid = ? GROUP BY doc", (field.fid,))
        return dict(rows.fetchall())

    def docs_by_id(self, ids: Iterable[Any]) -> set[int]:
        rows = self.conn.execute(
            "SELECT seq FROM docs WHERE coll = ? AND id IN (SELECT value FROM json_each(?))",
            (self.collection, json.dumps([str(i) for i in ids])),
        )
        return {r[0] for r in rows}

    def bodies(self, docs: Iterable[int]) -> dict[int, dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT seq, body FROM docs WHERE seq IN (SELECT value FROM json_each(?))", (json.dumps(list(docs)),)
        )
        return {seq: json.loads(body) for seq, body in rows}


def constant(docs: Iterable[int], boost: float) -> Scores:
    return dict.fromkeys(docs, boost)


def disjunction_max(results: list[Scores]) -> Scores:
    out: Scores = {}
    for result in results:
        for doc, s in result.items():
            if s > out.get(doc, -1.0):
                out[doc] = s
    return out


def _restrictions(filters: list[DocSet], must_not: list[DocSet]) -> tuple[list[Set[int]], list[Set[int]]]:
    """(sets a document must be in, sets it must not be in)."""
    required = [f.docs for f in filters if not f.complement] + [n.docs for n in must_not if n.complement]
    excluded = [f.docs for f in filters if f.complement] + [n.docs for n in must_not if not n.complement]
    return required, excluded


def _intersection(sets: list[Set[int]]) -> set[int]:
    ordered = sorted(sets, key=len)
    return set(ordered[0]).intersection(*ordered[1:])


def combine(
    ctx: QueryContext,
    must: list[Scores],
    filters: list[DocSet],
    should: list[Scores],
    must_not: list[DocSet],
    msm: int,
) -> Scores:
    required, excluded = _restrictions(filters, must_not)
    required += [m.keys() for m in must]
    if required:
        base = _intersection(required)
    elif should:
        base = set().union(*should)
    else:
        base = set(ctx.all_docs())
    for docs in excluded:
        base.difference_update(docs)
    if not must and not should:
        return dict.fromkeys(base, 0.0)
    # one pass per clause; sums accumulate in clause order, so scores are the same to the last bit
    should_sum: dict[int, float] = {}
    matched: dict[int, int] = {}
    for clause in should:
        for d, s in clause.items():
            if d in base:
                should_sum[d] = should_sum.get(d, 0) + s
                matched[d] = matched.get(d, 0) + 1
    if msm > 0:
        base = {d for d in base if matched.get(d, 0) >= msm}
    return {d: sum(m[d] for m in must) + should_sum.get(d, 0.0) for d in base}


class Evaluator:
    def __init__(self, ctx: QueryContext) -> None:
        self.ctx = ctx
        self.scoring = True
        self._handlers: dict[str, Callable[[Any], Scores]] = {
            "bool": self._bool,
            "term": self._term,
            "terms": self._terms,
            "match": self._match,
            "match_phrase": self._match_phrase,
            "query_string": self._query_string,
            "exists": self._exists,
            "ids": self._ids,
            "match_all": lambda spec: constant(self.ctx.all_docs(), boost_of(self._object(spec, "match_all"))),
            "match_none": lambda spec: {},
            "range": self._range,
        }

    def filter(self, query: Any) -> DocSet:
        """The documents a clause matches when its score is not used (filter, must_not)."""
        scoring, self.scoring = self.scoring, False
        try:
            if isinstance(query, dict) and len(query) == 1:
                ((name, spec),) = query.items()
                if name == "bool":
                    return self._bool_filter(spec)
                if name in ("term", "terms") and isinstance(spec, dict) and "_index" in spec:
                    return self._index_filter(name, spec)
                if name == "match_all":
                    self._object(spec, "match_all")
                    return EVERYTHING
            return DocSet(self.evaluate(query).keys())
        finally:
            self.scoring = scoring

    def evaluate(self, query: Any) -> Scores:
        if not isinstance(query, dict) or len(query) != 1:
            raise BadQuery("a query must be an object with exactly one query type")
        ((name, spec),) = query.items()
        handler = self._handlers.get(name)
        if handler is None:
            if name in UNSUPPORTED_QUERIES:
                raise UnsupportedQuery(f"unsupported query type '{name}'")
            raise BadQuery(f"unknown query [{name}]")
        return handler(spec)

    @staticmethod
    def _object(spec: Any, name: str) -> dict[str, Any]:
        if not isinstance(spec, dict):
            raise BadQuery(f"[{name}] query malformed, expected an object")
        return spec

    def _options(self, spec: Any, name: str, allowed: set[str], shorthand: str) -> tuple[str, dict[str, Any]]:
        """`{field: value}` or `{field: {option: ...}}` -> (field, options), refusing options we do not know."""
        path, value = single_entry(spec, name)
        options = value if isinstance(value, dict) else {shorthand: value}
        unknown = set(options) - allowed - {"boost", "_name"}
        if unknown:
            raise UnsupportedQuery(f"unsupported option '{sorted(unknown)[0]}' in [{name}]")
        if shorthand not in options:
            raise BadQuery(f"[{name}] query on [{path}] has no [{shorthand}]")
        return path, options

    # --- compound -------------------------------------------------------------------------------------------

    def _bool_clauses(
        self, spec: Any
    ) -> tuple[dict[str, Any], list[Scores], list[DocSet], list[Scores], list[DocSet], int]:
        """(spec, must, filter, should, must_not, minimum should match) of a bool query."""
        spec = self._object(spec, "bool")
        unknown = set(spec) - {"must", "filter", "should", "must_not", "minimum_should_match", "boost", "_name"}
        if unknown:
            raise BadQuery(f"[bool] query does not support [{sorted(unknown)[0]}]")
        must = [self.evaluate(c) for c in clause_list(spec.get("must", []), "must")]
        filters = [self.filter(c) for c in clause_list(spec.get("filter", []), "filter")]
        should = [self.evaluate(c) for c in clause_list(spec.get("should", []), "should")]
        must_not = [self.filter(c) for c in clause_list(spec.get("must_not", []), "must_not")]
        if "minimum_should_match" in spec and spec["minimum_should_match"] is not None:
            msm = min_should_match(len(should), spec["minimum_should_match"])
        else:
            msm = 0 if (must or filters) else (1 if should else 0)
        return spec, must, filters, should, must_not, msm

    def _bool(self, spec: Any) -> Scores:
        spec, must, filters, should, must_not, msm = self._bool_clauses(spec)
        if msm > len(should):
            return {}
        if not (must or filters or should or must_not):
            return constant(self.ctx.all_docs(), boost_of(spec))
        result = combine(self.ctx, must, filters, should, must_not, msm)
        boost = boost_of(spec)
        return {d: s * boost for d, s in result.items()} if boost != 1.0 else result

    def _bool_filter(self, spec: Any) -> DocSet:
        spec, must, filters, should, must_not, msm = self._bool_clauses(spec)
        if msm > len(should):
            return NOTHING
        if must or should:
            return DocSet(combine(self.ctx, must, filters, should, must_not, msm).keys())
        required, excluded = _restrictions(filters, must_not)
        if not required:
            return DocSet(set().union(*excluded), complement=True)
        return DocSet(_intersection(required).difference(*excluded))

    # --- term level -----------------------------------------------------------------------------------------

    def _index_filter(self, name: str, spec: dict[str, Any]) -> DocSet:
        """`term`/`terms` on `_index` without reading the collection: it holds every document or none."""
        if name == "term":
            _, options = self._options(spec, "term", {"value", "case_insensitive"}, "value")
            if options.get("case_insensitive"):
                return DocSet(self._term(spec).keys())  # refused there
            values = [options["value"]]
        else:
            _, raw = single_entry(spec, "terms")
            if not isinstance(raw, list):
                return DocSet(self._terms(spec).keys())  # refused there
            values = raw
        return EVERYTHING if self.ctx.index_name in [str(v) for v in values] else NOTHING

    def _meta_docs(self, path: str, values: list[Any]) -> set[int] | None:
        if path == "_id":
            return self.ctx.docs_by_id(values)
        if path == "_index":
            return set(self.ctx.all_docs()) if self.ctx.index_name in [str(v) for v in values] else set()
        return None

    def _query_value(self, field: Field, value: Any) -> Any:
        """A query value as the field's terms hold it; None when it can match nothing."""
        if isinstance(value, dict | list) or value is None:
            raise BadQuery(f"[{field.path}] query value must be a scalar")
        if field.kind is Kind.TEXT or field.kind is Kind.KEYWORD:
            return coerce(Kind.KEYWORD, value) if field.kind is Kind.KEYWORD else coerce(Kind.TEXT, value)
        if field.kind is Kind.BOOLEAN:
            stored = coerce(Kind.BOOLEAN, value)
            if stored is None:
                raise BadQuery(f"can't parse [{value}] as a boolean for field [{field.path}]")
            return stored
        if field.kind is Kind.DATE:
            millis = parse_date(value)
            if millis is None:
                raise BadQuery(f"failed to parse date field [{value}]")
            return millis
        parsed = number(value, field.path)
        if field.kind is Kind.LONG:
            return int(parsed) if parsed.is_integer() else None
        return parsed

    def term_scores(self, field: Field, term: Any, boost: float) -> Scores:
        if not self.scoring:
            return constant(self.ctx.docs_with_terms(field, [term]), boost)
        rows = self.ctx.postings(field, term)
        if not rows:
            return {}
        if field.kind in (Kind.LONG, Kind.DOUBLE, Kind.DATE):
            return constant((r[0] for r in rows), boost)
        doc_count, avg = self.ctx.stats(field)
        weight = boost * bm25.idf(doc_count, len(rows))
        if field.kind is Kind.TEXT:
            return {doc: bm25.score(weight, tf, length, avg) for doc, tf, length in rows}
        return {doc: bm25.score(weight, 1, 1, avg) for doc, _, _ in rows}  # no norms, no frequencies

    def _term(self, spec: Any) -> Scores:
        path, options = self._options(spec, "term", {"value", "case_insensitive"}, "value")
        if options.get("case_insensitive"):
            raise UnsupportedQuery("unsupported option 'case_insensitive' in [term]")
        boost = boost_of(options)
        meta = self._meta_docs(path, [options["value"]])
        if meta is not None:
            return constant(meta, boost)
        field = self.ctx.field(path)
        if field is None:
            return {}
        value = self._query_value(field, options["value"])
        return {} if value is None else self.term_scores(field, value, boost)

    def _terms(self, spec: Any) -> Scores:
        path, values = single_entry(spec, "terms")
        if not isinstance(values, list):
            raise UnsupportedQuery("unsupported [terms] lookup: only an array of values is supported")
        boost = boost_of(self._object(spec, "terms"))
        meta = self._meta_docs(path, values)
        if meta is not None:
            return constant(meta, boost)
        field = self.ctx.field(path)
        if field is None:
            return {}
        wanted = [v for v in (self._query_value(field, v) for v in values) if v is not None]
        return constant(self.ctx.docs_with_terms(field, wanted), boost)

    def _ids(self, spec: Any) -> Scores:
        spec = self._object(spec, "ids")
        values = spec.get("values")
        if not isinstance(values, list):
            raise BadQuery("[ids] query needs an array of [values]")
        return constant(self.ctx.docs_by_id(values), boost_of(spec))

    def _exists(self, spec: Any) -> Scores:
        spec = self._object(spec, "exists")
        path = spec.get("field")
        if not isinstance(path, str) or not path:
            raise BadQuery("[exists] query needs a [field]")
        boost = boost_of(spec)
        if path in ("_id", "_index"):
            return constant(self.ctx.all_docs(), boost)
        fields = self.ctx.matching_fields(path) or self.ctx.matching_fields(path + ".*")
        docs: set[int] = set()
        for field in fields:
            docs |= self.ctx.docs_with_field(field)
        return constant(docs, boost)

    def _range(self, spec: Any) -> Scores:
        path, options = single_entry(spec, "range")
        options = self._object(options, "range")
        bounds = {"gt", "gte", "lt", "lte", "from", "to", "include_lower", "include_upper", "boost", "relation"}
        unknown = set(options) - bounds
        if unknown:
            raise UnsupportedQuery(f"unsupported option '{sorted(unknown)[0]}' in [range]")
        field = self.ctx.field(path)
        if field is None:
            return {}
        low, low_incl, high, high_incl = None, True, None, True
        if options.get("from") is not None:
            low, low_incl = options["from"], bool(options.get("include_lower", True))
        if options.get("to") is not None:
            high, high_incl = options["to"], bool(options.get("include_upper", True))
        for key, is_low, incl in (("gt", True, False), ("gte", True, True), ("lt", False, False), ("lte", False, True)):
            if options.get(key) is not None:
                if is_low:
                    low, low_incl = options[key], incl
                else:
                    high, high_incl = options[key], incl
        low = None if low is None else self._range_value(field, low)
        high = None if high is None else self._range_value(field, high)
        return constant(self.ctx.docs_in_range(field, low, low_incl, high, high_incl), boost_of(options))

    def _range_value(self, field: Field, value: Any) -> Any:
        if field.kind is Kind.DATE and isinstance(value, str) and value.startswith("now"):
            raise UnsupportedQuery("unsupported date math in [range]")
        if field.kind is Kind.LONG:
            return number(value, field.path)  # compared numerically, so 1.2 keeps its fraction
        if field.kind is Kind.TEXT:
            return coerce(Kind.TEXT, value)
        return self._query_value(field, value)

    # --- full text ------------------------------------------------------------------------------------------

    def _analysed_terms(self, field: Field, text: Any, lenient: bool) -> list[Any] | None:
        """The terms a full-text query looks up in `field`; None when the text cannot target the field."""
        if field.kind is Kind.TEXT:
            return tokenize(coerce(Kind.TEXT, text))
        if field.kind is Kind.KEYWORD:
            value = coerce(Kind.KEYWORD, text)
            return [] if value is None else [value]
        try:
            value = self._query_value(field, text)
        except BadQuery:
            if lenient:
                return None
            raise
        return [] if value is None else [value]

    def _match(self, spec: Any) -> Scores:
        allowed = {"query", "operator", "minimum_should_match", "zero_terms_query", "lenient"}
        allowed |= {"auto_generate_synonyms_phrase_query", "analyzer"}
        path, options = self._options(spec, "match", allowed, "query")
        if options.get("analyzer", "standard") != "standard":
            raise UnsupportedQuery("unsupported option 'analyzer' in [match]")
        boost = boost_of(options)
        zero_terms = str(options.get("zero_terms_query", "none")).lower()
        meta = self._meta_docs(path, [options["query"]])
        if meta is not None:
            return constant(meta, boost)
        field = self.ctx.field(path)
        if field is None:
            return {}
        terms = self._analysed_terms(field, options["query"], bool(options.get("lenient", False)))
        if terms is None:
            return {}
        if not terms:
            return constant(self.ctx.all_docs(), boost) if zero_terms == "all" else {}
        clauses = [self.term_scores(field, t, boost) for t in terms]
        operator = str(options.get("operator", "or")).lower()
        if operator not in ("or", "and"):
            raise BadQuery(f"[match] unknown operator {options['operator']!r}")
        if len(clauses) == 1:
            return clauses[0]
        if operator == "and":
            return combine(self.ctx, clauses, [], [], [], 0)
        msm = 1
        if options.get("minimum_should_match") is not None:
            msm = max(min_should_match(len(clauses), options["minimum_should_match"]), 1)
        return combine(self.ctx, [], [], clauses, [], msm)

    def _match_phrase(self, spec: Any) -> Scores:
        path, options = self._options(spec, "match_phrase", {"query", "slop", "analyzer", "zero_terms_query"}, "query")
        if options.get("analyzer", "standard") != "standard":
            raise UnsupportedQuery("unsupported option 'analyzer' in [match_phrase]")
        field = self.ctx.field(path)
        if field is None:
            return {}
        terms = self._analysed_terms(field, options["query"], False) or []
        if not terms:
            zero_all = str(options.get("zero_terms_query", "none")).lower() == "all"
            return constant(self.ctx.all_docs(), boost_of(options)) if zero_all else {}
        return self.phrase_scores(field, terms, int(number(options.get("slop", 0), "slop")), boost_of(options))

    def phrase_scores(self, field: Field, terms: list[Any], slop: int, boost: float) -> Scores:
        if len(terms) == 1 or field.kind is not Kind.TEXT:
            return self.term_scores(field, terms[0], boost)
        if slop:
            raise UnsupportedQuery("unsupported phrase slop: only exact phrases are supported")
        postings = [self.ctx.postings(field, t) for t in terms]
        candidates = set.intersection(*({r[0] for r in p} for p in postings))
        if not candidates:
            return {}
        lengths = {doc: length for doc, _, length in postings[0]}
        doc_count, avg = self.ctx.stats(field)
        weight = boost * sum(bm25.idf(doc_count, len(p)) for p in postings)
        out: Scores = {}
        width = len(terms)
        for doc, body in self.ctx.bodies(candidates).items():
            freq = 0
            for path, value in leaves(body):
                if path == field.path:
                    tokens = tokenize(coerce(Kind.TEXT, value))
                    freq += sum(tokens[i : i + width] == terms for i in range(len(tokens) - width + 1))
            if freq:
                out[doc] = bm25.score(weight, freq, lengths[doc], avg)
        return out

    # --- query_string ---------------------------------------------------------------------------------------

    def _query_string(self, spec: Any) -> Scores:
        return QueryStringEvaluator(self, self._object(spec, "query_string")).run()


_QS_OPTIONS = {
    "query",
    "fields",
    "default_field",
    "default_operator",
    "lenient",
    "minimum_should_match",
    "boost",
    "phrase_slop",
    "allow_leading_wildcard",
    "analyze_wildcard",
    "type",
    "tie_breaker",
    "auto_generate_synonyms_phrase_query",
    "escape",
    "_name",
}


class QueryStringEvaluator:
    def __init__(self, evaluator: Evaluator, spec: dict[str, Any]) -> None:
        unknown = set(spec) - _QS_OPTIONS
        if unknown:
            raise UnsupportedQuery(f"unsupported option '{sorted(unknown)[0]}' in [query_string]")
        if not isinstance(spec.get("query"), str):
            raise BadQuery("[query_string] needs a string [query]")
        if spec.get("type", "best_fields") != "best_fields" or spec.get("tie_breaker", 0) not in (0, 0.0):
            raise UnsupportedQuery("unsupported [query_string] type: only best_fields without tie_breaker")
        if spec.get("analyze_wildcard"):
            raise UnsupportedQuery("unsupported option 'analyze_wildcard' in [query_string]")
        self.ev = evaluator
        self.ctx = evaluator.ctx
        self.spec = spec
        operator = str(spec.get("default_operator", "or")).lower()
        if operator not in ("or", "and"):
            raise BadQuery(f"[query_string] unknown default_operator {spec['default_operator']!r}")
        self.default_and = operator == "and"
        self.phrase_slop = int(number(spec.get("phrase_slop", 0), "phrase_slop"))
        patterns = spec.get("fields") or [spec.get("default_field", "*")]
        if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            raise BadQuery("[query_string] fields must be an array of strings")
        self.all_fields = patterns == ["*"]
        self.lenient = bool(spec.get("lenient", self.all_fields))
        self.defaults = self._resolve(patterns)

    def _resolve(self, patterns: list[str]) -> list[tuple[Field, float]]:
        out: dict[int, tuple[Field, float]] = {}
        for pattern in patterns:
            name, _, boost_text = pattern.partition("^")
            boost = number(boost_text, "field boost") if boost_text else 1.0
            for field in self.ctx.matching_fields(name):
                out[field.fid] = (field, boost)
        return list(out.values())

    def run(self) -> Scores:
        query = self.spec["query"]
        if not query.strip():
            return {}
        tree = parse(query, self.default_and)
        clauses = self._clauses(tree)
        if not clauses:
            return {}
        msm_spec = self.spec.get("minimum_should_match")
        result = self._combine(clauses, msm_spec if len(clauses) > 1 else None, tree.boost)
        boost = boost_of(self.spec)
        return {d: s * boost for d, s in result.items()} if boost != 1.0 else result

    def _clauses(self, group: Group) -> list[tuple[Occur, Scores]]:
        out: list[tuple[Occur, Scores]] = []
        for occur, node in group.clauses:
            if isinstance(node, Text) and node.run:
                flat = self._run_terms(node)
                if flat is not None:
                    out.extend(flat)
                    continue
            result = self._node(node)
            if result is not None:
                out.append((occur, result))
        return out

    def _combine(self, clauses: list[tuple[Occur, Scores]], msm_spec: Any, boost: float) -> Scores:
        if len(clauses) == 1 and clauses[0][0] is not Occur.MUST_NOT:
            result = clauses[0][1]
        else:
            must = [s for o, s in clauses if o is Occur.MUST]
            should = [s for o, s in clauses if o is Occur.SHOULD]
            must_not = [DocSet(s.keys()) for o, s in clauses if o is Occur.MUST_NOT]
            msm = min_should_match(len(should), msm_spec) if msm_spec is not None else 0
            if not must and not should:
                result = combine(self.ctx, [], [], [], must_not, 0)
            else:
                result = combine(self.ctx, must, [], should, must_not, msm if msm else int(not must))
        return {d: s * boost for d, s in result.items()} if boost != 1.0 else result

    def _node(self, node: Text | Group) -> Scores | None:
        if isinstance(node, Group):
            clauses = self._clauses(node)
            return self._combine(clauses, None, node.boost) if clauses else None
        if node.kind == "wildcard" and node.text == "*" and node.field is None and self.all_fields:
            return constant(self.ctx.all_docs(), node.boost)
        targets = self._targets(node)
        results = [r for r in (self._on_field(node, f, b) for f, b in targets) if r is not None]
        if not results:
            return {} if node.field is not None and not targets else None
        result = results[0] if len(results) == 1 else disjunction_max(results)
        return {d: s * node.boost for d, s in result.items()} if node.boost != 1.0 else result

    def _targets(self, node: Text) -> list[tuple[Field, float]]:
        if node.field is None:
            return self.defaults
        return self._resolve([node.field])

    def _run_terms(self, node: Text) -> list[tuple[Occur, Scores]] | None:
        """A run of words on one text field without boost: its terms are clauses of the enclosing query."""
        targets = self._targets(node)
        if len(targets) != 1 or targets[0][1] != 1.0 or targets[0][0].kind is not Kind.TEXT:
            return None
        field = targets[0][0]
        occur = Occur.MUST if self.default_and else Occur.SHOULD
        return [(occur, self.ev.term_scores(field, t, 1.0)) for t in tokenize(node.text)]

    def _on_field(self, node: Text, field: Field, boost: float) -> Scores | None:
        if node.kind == "wildcard":
            result = self._wildcard(field, node.text)
        else:
            terms = self.ev._analysed_terms(field, node.text, self.lenient)
            if not terms:
                return None
            if node.kind == "phrase":
                slop = node.slop if node.slop is not None else self.phrase_slop
                result = self.ev.phrase_scores(field, terms, slop if len(terms) > 1 else 0, 1.0)
            elif len(terms) == 1:
                result = self.ev.term_scores(field, terms[0], 1.0)
            else:
                per_term = [self.ev.term_scores(field, t, 1.0) for t in terms]
                if self.default_and:
                    result = combine(self.ctx, per_term, [], [], [], 0)
                else:
                    result = combine(self.ctx, [], [], per_term, [], 1)
        if result is None:
            return None
        return {d: s * boost for d, s in result.items()} if boost != 1.0 else result

    def _wildcard(self, field: Field, pattern: str) -> Scores | None:
        if pattern == "*":
            return constant(self.ctx.docs_with_field(field), 1.0)
        if field.kind not in (Kind.TEXT, Kind.KEYWORD):
            if self.lenient:
                return None
            raise BadQuery(f"can only use wildcard queries on keyword and text fields, not on [{field.path}]")
        lower = field.kind is Kind.TEXT
        prefix = literal_prefix(pattern)
        prefix = prefix.lower() if lower else prefix
        matcher = wildcard_regex(pattern, lower)
        terms = [t for t in self.ctx.terms_of(field, prefix) if isinstance(t, str) and matcher.fullmatch(t)]
        return constant(self.ctx.docs_with_terms(field, terms), 1.0)
