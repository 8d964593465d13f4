"""The small JQL the sandbox's issue search understands, parsed into clauses (no I/O; jira_issues.py evaluates
them against the site's issues).

    project = ITSM AND issuetype = "[System] Incident" AND statusCategory != Done
        AND created >= "2025-03-01 09:00" AND summary ~ "retry storm"
        AND issue.property[oncall].run = "r-123" ORDER BY created DESC

- Clauses `field operator value`, joined by AND (case-insensitive); then an optional
  `ORDER BY field [ASC|DESC]` (`created`, `updated`, `key`; several, comma-separated).
- Fields and operators: `project`, `key` (`issuekey`), `issuetype` (`type`), `status`, `statusCategory`:
  `=` and `!=`; `created`, `updated`: `=`, `!=`, `>`, `>=`, `<`, `<=`; `summary`: `~` and `!~`;
  `issue.property[key].path.to.value`: `=` and `!=`.
- Values are words (`ITSM`, `ITSM-3`, `1709650800000`) or quoted strings ("..." or '...', with `\\"` escapes).

Anything else (OR, NOT, parentheses, `in`, `is`, functions, other fields) is a `JqlError`, which the search
answers with Jira's 400. A query with no clause ("ORDER BY created") is unbounded: Jira's enhanced search
refuses it, and so does `parse`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FIELDS: dict[str, str] = {
    "project": "project",
    "key": "key",
    "issuekey": "key",
    "id": "key",
    "issuetype": "issuetype",
    "type": "issuetype",
    "status": "status",
    "statuscategory": "statusCategory",
    "created": "created",
    "createddate": "created",
    "updated": "updated",
    "updateddate": "updated",
    "summary": "summary",
}
"""JQL field names (lower case) and aliases -> the canonical field."""
OPERATORS: dict[str, tuple[str, ...]] = {
    "project": ("=", "!="),
    "key": ("=", "!="),
    "issuetype": ("=", "!="),
    "status": ("=", "!="),
    "statusCategory": ("=", "!="),
    "created": ("=", "!=", ">", ">=", "<", "<="),
    "updated": ("=", "!=", ">", ">=", "<", "<="),
    "summary": ("~", "!~"),
    "property": ("=", "!="),
}
ORDER_FIELDS = ("created", "updated", "key")
SUPPORTED = ("project, key, issuetype, status, statusCategory, created, updated, summary and "
             "issue.property[key].path, joined by AND, then ORDER BY created|updated|key")
UNBOUNDED = "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<property>issue\.property\[\s*(?:"[^"]*"|'[^']*'|[^\]]*?)\s*\](?:\.[\w-]+)+)
    | (?P<op>!=|>=|<=|!~|=|~|>|<)
    | (?P<punct>[(),])
    | (?P<word>[^\s"'=!<>~(),]+)
    )""",
    re.VERBOSE | re.IGNORECASE,
)


class JqlError(ValueError):
    """The query is not JQL the sandbox understands (Jira answers 400 with this message)."""


@dataclass(frozen=True, slots=True)
class Clause:
    field: str
    """The canonical field ("project", ..., "property")."""
    op: str
    value: str
    property_key: str = ""
    property_path: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Query:
    clauses: tuple[Clause, ...]
    order: tuple[tuple[str, bool], ...]
    """(field, descending) in order of precedence; empty: the search's default order."""


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str

    @property
    def value(self) -> str:
        if self.kind == "string":
            return re.sub(r"\\(.)", r"\1", self.text[1:-1])
        return self.text


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        found = _TOKEN.match(text, pos)
        if found is None or found.end() == pos:
            raise JqlError(f"Error in the JQL Query: the character '{text[pos:].strip()[:1]}' is a reserved "
                           f"JQL character (at position {pos}).")
        kind = found.lastgroup or "word"
        tokens.append(_Token(kind, found.group(kind)))
        pos = found.end()
    return tokens


def _property(text: str) -> tuple[str, tuple[str, ...]]:
    found = re.match(r"issue\.property\[\s*(?P<key>\"[^\"]*\"|'[^']*'|[^\]]*?)\s*\]\.(?P<path>.+)$", text,
                     re.IGNORECASE)
    if found is None:  # pragma: no cover - the tokenizer only yields matching text
        raise JqlError(f"Error in the JQL Query: '{text}' is not an issue property reference.")
    key = found.group("key").strip("\"'")
    if not key:
        raise JqlError("Error in the JQL Query: an issue property needs a key: issue.property[key].path.")
    return key, tuple(found.group("path").split("."))


def parse(text: str) -> Query:
    """The clauses and order of `text`; raises `JqlError` for anything outside the subset, or unbounded."""
    tokens = _tokens(text)
    clauses: list[Clause] = []
    order: list[tuple[str, bool]] = []
    i = 0

    def word(at: int) -> str:
        return tokens[at].text.lower() if at < len(tokens) and tokens[at].kind == "word" else ""

    while i < len(tokens):
        if word(i) == "order" and word(i + 1) == "by":
            i = _parse_order(tokens, i + 2, order)
            break
        if clauses:
            if word(i) != "and":
                found = tokens[i].text
                if found.lower() in ("or", "not"):
                    raise JqlError(f"Error in the JQL Query: the sandbox's JQL joins clauses with AND only "
                                   f"(found '{found}'). It understands {SUPPORTED}.")
                raise JqlError(f"Error in the JQL Query: Expecting either 'OR' or 'AND' but got '{found}'.")
            i += 1
        clause, i = _parse_clause(tokens, i)
        clauses.append(clause)
    if not clauses:
        raise JqlError(UNBOUNDED)
    return Query(tuple(clauses), tuple(order))


def _parse_clause(tokens: list[_Token], i: int) -> tuple[Clause, int]:
    if i >= len(tokens):
        raise JqlError("Error in the JQL Query: Expecting a field name at the end of the query.")
    head = tokens[i]
    if head.kind == "punct":
        raise JqlError(f"Error in the JQL Query: the sandbox's JQL has no parentheses or lists (found "
                       f"'{head.text}'). It understands {SUPPORTED}.")
    key = ""
    path: tuple[str, ...] = ()
    if head.kind == "property":
        field = "property"
        key, path = _property(head.text)
    else:
        name = head.value
        if head.kind not in ("word", "string") or name.lower() not in FIELDS:
            raise JqlError(f"Field '{name}' does not exist or the sandbox's JQL does not support it. It "
                           f"understands {SUPPORTED}.")
        field = FIELDS[name.lower()]
    if i + 1 >= len(tokens) or tokens[i + 1].kind != "op":
        found = tokens[i + 1].text if i + 1 < len(tokens) else "the end of the query"
        if found.lower() in ("in", "is", "was", "changed"):
            raise JqlError(f"Error in the JQL Query: the sandbox's JQL does not support the operator "
                           f"'{found}'. It understands {SUPPORTED}.")
        raise JqlError(f"Error in the JQL Query: Expecting operator but got '{found}'.")
    op = tokens[i + 1].text
    if op not in OPERATORS[field]:
        shown = "issue.property[...]" if field == "property" else head.value
        raise JqlError(f"The operator '{op}' is not supported by the '{shown}' field (the sandbox's JQL "
                       f"allows {', '.join(OPERATORS[field])}).")
    if i + 2 >= len(tokens) or tokens[i + 2].kind not in ("word", "string"):
        found = tokens[i + 2].text if i + 2 < len(tokens) else "the end of the query"
        raise JqlError(f"Error in the JQL Query: Expecting either a value, list or function but got "
                       f"'{found}'.")
    value_token = tokens[i + 2]
    if value_token.kind == "word" and re.fullmatch(r"\w+\(.*", value_token.text):
        raise JqlError(f"Error in the JQL Query: the sandbox's JQL has no functions (found "
                       f"'{value_token.text}').")
    return Clause(field, op, value_token.value, key, path), i + 3


def _parse_order(tokens: list[_Token], i: int, order: list[tuple[str, bool]]) -> int:
    while True:
        if i >= len(tokens) or tokens[i].kind not in ("word", "string"):
            raise JqlError("Error in the JQL Query: Expecting a field name after ORDER BY.")
        name = tokens[i].value.lower()
        field = FIELDS.get(name, name)
        if field not in ORDER_FIELDS:
            raise JqlError(f"Error in the JQL Query: the sandbox's JQL orders by {', '.join(ORDER_FIELDS)} "
                           f"only (found '{tokens[i].value}').")
        i += 1
        descending = False
        if i < len(tokens) and tokens[i].kind == "word" and tokens[i].text.lower() in ("asc", "desc"):
            descending = tokens[i].text.lower() == "desc"
            i += 1
        order.append((field, descending))
        if i >= len(tokens):
            return i
        if tokens[i].kind == "punct" and tokens[i].text == ",":
            i += 1
            continue
        raise JqlError(f"Error in the JQL Query: Expecting ',' or the end of the query but got "
                       f"'{tokens[i].text}'.")


def text_matches(query: str, text: str) -> bool:
    """`summary ~ query`: every word of `query` is a word of `text`, ignoring case (a trailing `*` matches
    a prefix), as Jira's text search matches words, not substrings."""
    words = re.findall(r"\w+", text.lower())
    for term in re.findall(r"[\w*]+", query.lower()):
        if term.endswith("*"):
            stem = term.rstrip("*")
            if not any(w.startswith(stem) for w in words):
                return False
        elif term not in words:
            return False
    return True
