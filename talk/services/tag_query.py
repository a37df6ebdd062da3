"""The tag query language of tag groups: ``#nurse AND (#smallpox OR #measles) AND NOT #army``.

- A tag is written ``#name`` or as a bare name (``nurse``), in any spelling the hashtag rules
  accept (``#Église`` is ``église``); a bare ``and``/``or``/``not`` is an operator, so a tag of
  that name is written with its ``#``.
- Operators ``AND``, ``OR``, ``NOT`` in any case, and parentheses. ``NOT`` binds tightest, then
  ``AND``, then ``OR``: ``#a OR #b AND NOT #c`` is ``#a OR (#b AND (NOT #c))``. Tags side by
  side are an error (``#a #b``: write AND or OR between them), not a guess.
- At most :data:`MAX_TERMS` tags and :data:`MAX_DEPTH` levels of parentheses and NOTs.
- A query must include something: its matches must lie among the items carrying one of its
  tags. ``NOT #a`` and ``#a OR NOT #b`` would match every other item of the project and are
  refused; ``#a AND NOT #b`` and ``NOT (NOT #a OR NOT #b)`` are fine.

:func:`parse_query` turns text into a :class:`TagQuery` (or raises :class:`InvalidInput` naming
the problem and where it is); :mod:`talk.services.tag_groups` evaluates it against the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from talk.errors import InvalidInput
from talk.limits import MAX_GROUP_QUERY, MAX_TAG_NAME, MIN_TAG_NAME
from talk.services.tags import normalise

MAX_TERMS = 20
MAX_DEPTH = 10
EXAMPLE = "#nurse AND #smallpox"

TokenKind = Literal["tag", "and", "or", "not", "(", ")"]
_OPERATORS: dict[str, TokenKind] = {"AND": "and", "OR": "or", "NOT": "not"}


@dataclass(frozen=True)
class Token:
    """One piece of a query: ``text`` as typed, at ``start`` (0-based); tags carry their
    normalised ``name``."""

    kind: TokenKind
    text: str
    start: int
    name: str = ""

    @property
    def end(self) -> int:
        return self.start + len(self.text)


@dataclass(frozen=True)
class Term:
    name: str  # normalised


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class And:
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Node, ...]


Node = Term | Not | And | Or


@dataclass(frozen=True)
class TagQuery:
    """A parsed query: the text as typed, its tokens, and its expression tree."""

    text: str
    tokens: tuple[Token, ...]
    tree: Node

    @property
    def names(self) -> tuple[str, ...]:
        """The distinct normalised tag names, in the order first written."""
        return tuple(dict.fromkeys(t.name for t in self.tokens if t.kind == "tag"))


def _invalid(problem: str) -> InvalidInput:
    return InvalidInput(f"The tag query is not valid: {problem}", {"query": [problem]})


def _where(token: Token) -> str:
    return f"{token.text!r} (character {token.start + 1})"


def tokenise(text: str) -> list[Token]:
    """The query's tokens; a word that is neither an operator nor a tag name is refused."""
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
            continue
        if char in "()":
            tokens.append(Token(char, char, i))  # type: ignore[arg-type]
            i += 1
            continue
        end = i
        while end < len(text) and not text[end].isspace() and text[end] not in "()":
            end += 1
        word = text[i:end]
        operator = _OPERATORS.get(word.upper())
        if operator:
            tokens.append(Token(operator, word, i))
        else:
            name = normalise(word)
            if name is None:
                raise _invalid(
                    f"{word!r} (character {i + 1}) is not a tag name: a tag is "
                    f"{MIN_TAG_NAME}–{MAX_TAG_NAME} letters, "
                    "digits, '-' or '_', and tags are joined with AND, OR, NOT and parentheses."
                )
            tokens.append(Token("tag", word, i, name))
        i = end
    return tokens


class _Parser:
    """Recursive descent over the tokens: or → and (OR and)*, and → not (AND not)*,
    not → NOT not | primary, primary → tag | ( or )."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def parse(self) -> Node:
        tree = self.or_expr(0)
        token = self.peek()
        if token is not None:
            if token.kind == ")":
                raise _invalid(f"')' (character {token.start + 1}) has no matching '('.")
            before = self.tokens[self.i - 1]
            raise _invalid(
                f"Put AND or OR between {before.text!r} and {_where(token)}"
                + (" (NOT needs AND before it here: 'AND NOT')." if token.kind == "not" else ".")
            )
        return tree

    def or_expr(self, depth: int) -> Node:
        operands = [self.and_expr(depth)]
        while (token := self.peek()) is not None and token.kind == "or":
            self.take()
            operands.append(self.and_expr(depth))
        return _join(Or, operands)

    def and_expr(self, depth: int) -> Node:
        operands = [self.not_expr(depth)]
        while (token := self.peek()) is not None and token.kind == "and":
            self.take()
            operands.append(self.not_expr(depth))
        return _join(And, operands)

    def not_expr(self, depth: int) -> Node:
        token = self.peek()
        if token is not None and token.kind == "not":
            self._deeper(token, depth)
            self.take()
            operand = self.not_expr(depth + 1)
            return operand.operand if isinstance(operand, Not) else Not(operand)
        return self.primary(depth)

    def primary(self, depth: int) -> Node:
        token = self.peek()
        if token is None:
            if not self.tokens:
                raise _invalid(f"Type at least one tag, e.g. {EXAMPLE}.")
            last = self.tokens[-1]
            raise _invalid(f"The query ends after {_where(last)}: a tag must follow.")
        if token.kind == "tag":
            self.take()
            return Term(token.name)
        if token.kind == "(":
            self._deeper(token, depth)
            self.take()
            inner = self.or_expr(depth + 1)
            closing = self.peek()
            if closing is None or closing.kind != ")":
                raise _invalid(f"'(' (character {token.start + 1}) is never closed.")
            self.take()
            return inner
        raise _invalid(f"Expected a tag, NOT or '(' at {_where(token)}.")

    @staticmethod
    def _deeper(token: Token, depth: int) -> None:
        if depth >= MAX_DEPTH:
            raise _invalid(
                f"Parentheses and NOTs are nested more than {MAX_DEPTH} deep at {_where(token)}."
            )


def _join(kind: type[And] | type[Or], operands: list[Node]) -> Node:
    """``kind`` of ``operands``, with nested operands of the same kind flattened into it."""
    if len(operands) == 1:
        return operands[0]
    flat: list[Node] = []
    for operand in operands:
        flat.extend(operand.operands if isinstance(operand, kind) else [operand])
    return kind(tuple(flat))


def includes(node: Node) -> bool:
    """Whether ``node``'s matches lie among the items carrying its tags (rather than being
    "everything but" some such set). Every node is exactly one of the two."""
    if isinstance(node, Term):
        return True
    if isinstance(node, Not):
        return not includes(node.operand)
    if isinstance(node, And):
        return any(includes(o) for o in node.operands)
    return all(includes(o) for o in node.operands)


def parse_query(text: str) -> TagQuery:
    """Parse ``text``; :class:`InvalidInput` (field ``query``) says what is wrong and where."""
    if not isinstance(text, str) or "\x00" in text:
        raise _invalid("The query contains a NUL byte.")
    if len(text) > MAX_GROUP_QUERY:
        raise _invalid(f"The query is longer than {MAX_GROUP_QUERY} characters.")
    tokens = tokenise(text)
    terms = sum(1 for t in tokens if t.kind == "tag")
    if terms > MAX_TERMS:
        raise _invalid(f"At most {MAX_TERMS} tags in a query; this one has {terms}.")
    tree = _Parser(tokens).parse()
    if not includes(tree):
        raise _invalid(
            "The query needs at least one tag to include: NOT only leaves items out, so "
            "write e.g. '#nurse AND NOT #smallpox', not 'NOT #smallpox' or "
            "'#nurse OR NOT #smallpox'."
        )
    return TagQuery(text, tuple(tokens), tree)


def show(node: Node) -> str:
    """A fully parenthesised rendering of ``node`` (tests and debugging read it)."""
    if isinstance(node, Term):
        return f"#{node.name}"
    if isinstance(node, Not):
        return f"NOT {show(node.operand)}"
    joiner = " AND " if isinstance(node, And) else " OR "
    return "(" + joiner.join(show(o) for o in node.operands) + ")"
