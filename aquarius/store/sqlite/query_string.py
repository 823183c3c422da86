"""The Lucene query syntax of `query_string`, parsed into a small tree: the subset the clients produce (terms,
AND/OR/NOT, + and -, groups, `field:` prefixes, quoted phrases, `*`/`?` wildcards, backslash escapes, boosts).
Fuzzy, proximity, range and regular-expression syntax raise UnsupportedQuery."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

from aquarius.store.base import BadQuery, UnsupportedQuery

_SPECIAL = set(' \t\n\r\u3000+-!():^[]"{}~*?\\/')
_TERM_START_EXCLUDED = _SPECIAL - {"*", "?"}
_TERM_EXCLUDED = _TERM_START_EXCLUDED - {"+", "-"}


class Occur(Enum):
    MUST = "must"
    SHOULD = "should"
    MUST_NOT = "must_not"


@dataclass(slots=True)
class Text:
    """A run of plain words (analysed as one piece), one quoted phrase, or one wildcard pattern."""

    field: str | None
    text: str  # unescaped for words and phrases; for wildcards a pattern where `\x` keeps x literal
    kind: str  # "words" | "phrase" | "wildcard"
    boost: float = 1.0
    slop: int | None = None
    run: bool = False  # several words with no operator between: their terms join the enclosing clauses


@dataclass(slots=True)
class Group:
    clauses: list[tuple[Occur, Node]] = field(default_factory=list)
    boost: float = 1.0


Node = Text | Group

_CONJ_NONE, _CONJ_AND, _CONJ_OR = 0, 1, 2
_MOD_NONE, _MOD_REQ, _MOD_NOT = 0, 1, 2


@dataclass(slots=True)
class _Token:
    kind: str  # TERM WILD PHRASE LPAREN RPAREN AND OR NOT PLUS MINUS COLON CARET TILDE EOF
    text: str = ""
    raw: str = ""


def _lex(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(query)
    while i < n:
        c = query[i]
        if c in " \t\n\r\u3000":
            i += 1
            continue
        if c == "(":
            tokens.append(_Token("LPAREN"))
        elif c == ")":
            tokens.append(_Token("RPAREN"))
        elif c == "+":
            tokens.append(_Token("PLUS"))
        elif c == "-":
            tokens.append(_Token("MINUS"))
        elif c == "!":
            tokens.append(_Token("NOT"))
        elif c == ":":
            tokens.append(_Token("COLON"))
        elif c == "^":
            tokens.append(_Token("CARET"))
        elif c == "~":
            tokens.append(_Token("TILDE"))
        elif c in "[]{}":
            raise UnsupportedQuery("unsupported query_string syntax: ranges")
        elif c == "/":
            raise UnsupportedQuery("unsupported query_string syntax: regular expressions")
        elif c == '"':
            j, text = i + 1, []
            while j < n and query[j] != '"':
                if query[j] == "\\" and j + 1 < n:
                    j += 1
                text.append(query[j])
                j += 1
            if j >= n:
                raise BadQuery("query_string: unterminated phrase")
            tokens.append(_Token("PHRASE", "".join(text)))
            i = j + 1
            continue
        elif query.startswith("&&", i) or query.startswith("||", i):
            tokens.append(_Token("AND" if c == "&" else "OR"))
            i += 2
            continue
        else:
            j, text, raw, wild = i, [], [], False
            while j < n:
                ch = query[j]
                if ch == "\\":
                    if j + 1 >= n:
                        raise BadQuery("query_string: the query ends with an escape character")
                    text.append(query[j + 1])
                    raw.append(query[j : j + 2])
                    j += 2
                    continue
                excluded = _TERM_START_EXCLUDED if j == i else _TERM_EXCLUDED
                if ch in excluded:
                    break
                wild = wild or ch in "*?"
                text.append(ch)
                raw.append(ch)
                j += 1
            word = "".join(text)
            if not wild and word in ("AND", "OR", "NOT"):
                tokens.append(_Token(word))
            else:
                tokens.append(_Token("WILD" if wild else "TERM", word, "".join(raw)))
            i = j
            continue
        i += 1
    tokens.append(_Token("EOF"))
    return tokens


class _Parser:
    def __init__(self, query: str, default_and: bool) -> None:
        self.tokens = _lex(query)
        self.pos = 0
        self.default_and = default_and

    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def take(self) -> _Token:
        token = self.peek()
        self.pos += 1
        return token

    def query(self, field_name: str | None) -> Group:
        group = Group()
        first = True
        while self.peek().kind not in ("EOF", "RPAREN"):
            if self._multi_term_ahead():
                words = [self.take().text]
                while self.peek().kind == "TERM" and self.peek(1).kind not in ("COLON", "CARET", "TILDE"):
                    words.append(self.take().text)
                self._add(group, _CONJ_NONE, _MOD_NONE, Text(field_name, " ".join(words), "words", run=True))
                first = False
                continue
            conj = _CONJ_NONE
            if not first and self.peek().kind in ("AND", "OR"):
                conj = _CONJ_AND if self.take().kind == "AND" else _CONJ_OR
            mods = _MOD_NONE
            if self.peek().kind in ("PLUS", "MINUS", "NOT"):
                mods = {"PLUS": _MOD_REQ, "MINUS": _MOD_NOT, "NOT": _MOD_NOT}[self.take().kind]
            self._add(group, conj, mods, self.clause(field_name))
            first = False
        return group

    def _multi_term_ahead(self) -> bool:
        return (
            self.peek().kind == "TERM"
            and self.peek(1).kind == "TERM"
            and self.peek(2).kind not in ("COLON", "CARET", "TILDE")
        )

    def clause(self, field_name: str | None) -> Node:
        if self.peek().kind in ("TERM", "WILD") and self.peek(1).kind == "COLON":
            field_name = self.take().raw.replace("\\", "")
            self.take()
            if self.peek().kind in ("TERM",) and self.peek().text[:1] in "<>=":
                raise UnsupportedQuery("unsupported query_string syntax: ranges")
        token = self.take()
        if token.kind == "LPAREN":
            inner = self.query(field_name)
            if self.take().kind != "RPAREN":
                raise BadQuery("query_string: missing closing parenthesis")
            inner.boost = self._boost()
            return inner
        if token.kind == "PHRASE":
            slop = None
            if self.peek().kind == "TILDE":
                self.take()
                slop_token = self.take()
                if slop_token.kind != "TERM" or not slop_token.text.isdigit():
                    raise BadQuery("query_string: a phrase slop must be a number")
                slop = int(slop_token.text)
            return Text(field_name, token.text, "phrase", self._boost(), slop)
        if token.kind in ("TERM", "WILD"):
            if self.peek().kind == "TILDE":
                raise UnsupportedQuery("unsupported query_string syntax: fuzzy terms (~)")
            kind = "wildcard" if token.kind == "WILD" else "words"
            return Text(field_name, token.raw if kind == "wildcard" else token.text, kind, self._boost())
        raise BadQuery(f"query_string: cannot parse the query near {token.kind.lower()} {token.text!r}".rstrip())

    def _boost(self) -> float:
        if self.peek().kind != "CARET":
            return 1.0
        self.take()
        token = self.take()
        try:
            return float(token.text)
        except ValueError:
            raise BadQuery(f"query_string: invalid boost {token.text!r}") from None

    def _add(self, group: Group, conj: int, mods: int, node: Node) -> None:
        # the classic query parser's rules for combining clauses with the default operator
        clauses = group.clauses
        if clauses and conj == _CONJ_AND and clauses[-1][0] is not Occur.MUST_NOT:
            clauses[-1] = (Occur.MUST, clauses[-1][1])
        if clauses and self.default_and and conj == _CONJ_OR and clauses[-1][0] is not Occur.MUST_NOT:
            clauses[-1] = (Occur.SHOULD, clauses[-1][1])
        prohibited = mods == _MOD_NOT
        if self.default_and:
            required = not prohibited and conj != _CONJ_OR
        else:
            required = mods == _MOD_REQ or (conj == _CONJ_AND and not prohibited)
        occur = Occur.MUST_NOT if prohibited else Occur.MUST if required else Occur.SHOULD
        clauses.append((occur, node))


def parse(query: str, default_and: bool) -> Group:
    parser = _Parser(query, default_and)
    group = parser.query(None)
    if parser.peek().kind != "EOF":
        raise BadQuery("query_string: unbalanced closing parenthesis")
    return group


def wildcard_regex(pattern: str, lower: bool) -> re.Pattern[str]:
    """A compiled regex for a wildcard pattern in which `\\x` stands for a literal x."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            literal = pattern[i + 1]
            out.append(re.escape(literal.lower() if lower else literal))
            i += 2
            continue
        out.append(".*" if c == "*" else "." if c == "?" else re.escape(c.lower() if lower else c))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def literal_prefix(pattern: str) -> str:
    """The part of a wildcard pattern before its first unescaped wildcard, unescaped."""
    out, i = [], 0
    while i < len(pattern) and pattern[i] not in "*?":
        if pattern[i] == "\\" and i + 1 < len(pattern):
            i += 1
        out.append(pattern[i])
        i += 1
    return "".join(out)
