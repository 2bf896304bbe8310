"""Saved SPARQL queries: their metadata header, parameters, safety checks and execution.

A saved query is ``queries/NAME.rq``: a metadata header in ``#+`` comment lines (so the
file stays valid SPARQL), then the query. ``queries/README.md`` documents the format::

    #+ title: Labels of the members of a class
    #+ description: Lists every instance of a class with its rdfs:label.
    #+ tags: overview, labels
    #+ param: type | iri | http://www.w3.org/2004/02/skos/core#Concept | The class to list

A parameter ``type`` appears in the query as the variable ``?_type``. Values are parsed
from text, checked against the declared type and bound as RDF terms in a ``VALUES`` block
opening the WHERE clause, on the embedded store and remote endpoints alike. The rewrite is
proved safe by parsing it again: it must equal the original parse tree plus exactly that
block holding exactly those terms (:func:`bind_text`), so no value can change the query.
The proof is made once per query text and parameter names; as every value is written as
exactly one SPARQL token, it holds for any values. The bound text of the most recent
(query, values) pairs is remembered too, so re-running a query with the same values does
not parse, check and escape them again; values that were refused are refused every time.

Queries are checked before they run, on the one text that both the check and the engine read
(:mod:`compact_kg.sparqltext` re-writes every query so that rdflib and Oxigraph cannot read it
two ways): updates, ``SERVICE``, ``FROM`` and ``FROM NAMED`` are refused on rdflib's parse
tree and on the lexer's tokens, and Oxigraph's parse must agree with rdflib's on the query's
form and result variables; each text is checked once per process. Texts that are not saved
queries of the catalogue run only in a worker cut off from the network and the files.
On the embedded store a query runs in a persistent forked worker that is killed
at its deadline (:class:`QueryRunner`, :mod:`compact_kg._deadline`); results come back as
pyoxigraph serialised them and become rdflib terms only when read (:class:`QueryResult`).
Queries whose name ends in ``-violation`` are curator checks: they must return no rows.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyoxigraph
from pyparsing import ParseBaseException
from rdflib import Literal, URIRef, Variable
from rdflib.namespace import XSD
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from compact_kg._deadline import (
    DEFAULT_MEMORY_LIMIT,
    ChildFailed,
    DeadlinePassed,
    NotIsolated,
    WorkerPool,
    isolated,
)
from compact_kg.errors import ParameterError, QueryError, QueryTimeoutError
from compact_kg.results import FORMATS, QueryResult, RawTerm, format_result, term_from_raw
from compact_kg.sparqltext import CanonicalQuery, canonical_query, split_lines

__all__ = [
    "DEFAULT_TIMEOUT",
    "FORMATS",
    "PARAMETER_TYPES",
    "Parameter",
    "QueryResult",
    "QueryRunner",
    "SavedQuery",
    "bind_parameters",
    "bind_text",
    "close_runners",
    "find_query",
    "format_result",
    "load_catalogue",
    "load_query",
    "parse_query_text",
    "parse_value",
    "run_embedded",
    "run_query",
    "run_remote",
    "runner_for",
]

DEFAULT_TIMEOUT = 30.0
"""Seconds a query may run before it is stopped."""

NOT_ISOLATED = (
    "this machine cannot cut the query worker off from the network and the file system "
    "(it has no network namespaces and no Landlock), so only the saved queries of queries/ "
    "run here; run your query on a Linux kernel 5.13 or newer, or add it to queries/"
)
"""Why a query text that is not a saved query is refused where workers cannot be isolated."""

PARAMETER_TYPES: dict[str, tuple[str, str]] = {
    # type: (how to name it in a message, an example value)
    "iri": ("an IRI", "https://w3id.org/compact-kg/id/area/surrey"),
    "string": ("a string", "Surrey"),
    "integer": ("an integer", "2010"),
    "decimal": ("a decimal number", "2.5"),
    "date": ("a date (YYYY-MM-DD)", "2011-03-31"),
    "gYear": ("a year (YYYY)", "2011"),
    "boolean": ("a boolean (true or false)", "true"),
}

Term = URIRef | Literal
_HEADER_MARK = "#+"
_HEADER_LINE = re.compile(r"#\+ ?(?P<key>[A-Za-z_]+):(?: (?P<value>.*))?$")
_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_PARAM_NAME = re.compile(r"[a-z][a-z0-9_]*")
_TAG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_DATE = re.compile(r"-?[0-9]{4,}-[0-9]{2}-[0-9]{2}")
_GYEAR = re.compile(r"-?[0-9]{4,}")
_IRI_FORBIDDEN = frozenset('<>"{}|^`\\ ') | {chr(c) for c in range(0x21)}
_FORMS = {"SelectQuery": "select", "AskQuery": "ask", "ConstructQuery": "construct",
          "DescribeQuery": "describe"}
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t",
            "\b": "\\b", "\f": "\\f"}
# One SPARQL term token: IRIREF, or STRING_LITERAL2 with LANGTAG or '^^' IRIREF (SPARQL 1.1
# grammar, productions 139, 145, 149, 159). A bound value must be exactly one of these.
_IRIREF = r'<[^<>"{}|^`\\\x00-\x20]*>'
_ONE_TOKEN = re.compile(
    rf'{_IRIREF}|"(?:[^"\\\n\r]|\\[tbnrf"\'\\])*"'
    rf"(?:@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*|\^\^{_IRIREF})?"
)
_OX_ERROR_AT = re.compile(r"error at (\d+):(\d+): (.*)", re.DOTALL)


@dataclass(frozen=True)
class Parameter:
    """One declared parameter of a saved query, bound to the variable ``?_NAME``."""

    name: str
    type: str
    default: str | None
    description: str

    @property
    def required(self) -> bool:
        """True when the parameter has no default and must be given."""
        return self.default is None

    @property
    def variable(self) -> str:
        """The query variable the parameter binds, without the question mark."""
        return f"_{self.name}"


@dataclass(frozen=True)
class SavedQuery:
    """A checked, runnable SPARQL query with its metadata.

    ``trusted`` is True for the saved queries of a ``queries/`` folder (the catalogue), and
    False for every other text (a user's ``.rq`` file, a request to the endpoint): those run
    only in a worker that has no network and no files (:func:`compact_kg._deadline.isolated`).
    """

    name: str
    text: str
    form: str
    title: str = ""
    description: str = ""
    tags: tuple[str, ...] = ()
    params: tuple[Parameter, ...] = ()
    path: Path | None = None
    checked_text: str = ""
    trusted: bool = False
    _tree: Any = field(default=None, repr=False, compare=False)

    @property
    def is_violation(self) -> bool:
        """True for a curator check (name ends in ``-violation``): it must return no rows."""
        return self.name.endswith("-violation")

    @property
    def source(self) -> str:
        """Where the query came from, for messages: its path, or its name."""
        return str(self.path) if self.path is not None else self.name

    @property
    def runnable_text(self) -> str:
        """The text that was checked and is run: ``text`` re-written by
        :func:`compact_kg.sparqltext.canonical_query` (``text`` itself is kept for display)."""
        return self.checked_text or self.text

    def parameter(self, name: str) -> Parameter | None:
        """The declared parameter called ``name``, if any."""
        return next((p for p in self.params if p.name == name), None)


# --- the catalogue ----------------------------------------------------------------------------

def load_catalogue(queries_dir: Path) -> list[SavedQuery]:
    """Every ``*.rq`` file of ``queries_dir``, checked, sorted by name.

    Catalogue queries must have a ``title`` and a ``description``; any fault raises
    :class:`QueryError` naming the file and line.
    """
    paths = sorted(Path(queries_dir).glob("*.rq"))
    return [load_query(path, require_header=True, trusted=True) for path in paths]


def find_query(name_or_path: str | Path, queries_dir: Path) -> SavedQuery:
    """The saved query ``name_or_path`` of ``queries_dir``, or the ``.rq`` file at that path."""
    text = str(name_or_path)
    if text.endswith(".rq") or "/" in text or "\\" in text:
        return load_query(Path(text))
    path = Path(queries_dir) / f"{text}.rq"
    if not _NAME.fullmatch(text) or not path.is_file():
        raise QueryError(
            f"no saved query named {text!r} in {queries_dir}; "
            "run `compact-kg query --list` to see them, or give a path to a .rq file"
        )
    return load_query(path, require_header=True, trusted=True)


def load_query(path: Path, *, require_header: bool = False, trusted: bool = False) -> SavedQuery:
    """Read and check the query file at ``path`` (``trusted``: a saved query of the project's
    ``queries/``, see :class:`SavedQuery`)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise QueryError(f"{path}: cannot read the query file ({error})") from None
    name = Path(path).stem
    if require_header and not _NAME.fullmatch(name):
        raise QueryError(
            f"{path}: a saved query's name must be lowercase words joined by hyphens "
            "(e.g. compacts-by-region.rq); rename the file"
        )
    saved = parse_query_text(text, name=name, path=Path(path), require_header=require_header)
    return dataclasses.replace(saved, trusted=True) if trusted else saved


def parse_query_text(
    text: str, *, name: str = "query", path: Path | None = None, require_header: bool = False
) -> SavedQuery:
    """Check a query's header and body and return it as a :class:`SavedQuery`.

    The checks are made once per process for each text (and name, path, header rule): the
    checked query is remembered, so serving or re-running a query does not parse it again.
    """
    return _parse_query_text_cached(text, name, path, require_header)


@functools.lru_cache(maxsize=512)
def _parse_query_text_cached(
    text: str, name: str, path: Path | None, require_header: bool
) -> SavedQuery:
    source = str(path) if path is not None else name
    header = _parse_header(text, source)
    if require_header:
        for key in ("title", "description"):
            if not header.get(key):
                raise QueryError(f"{source}:1: the header has no '#+ {key}:' line; add one")
    # The guard and the engine read one text: see compact_kg.sparqltext.
    canonical = canonical_query(text, source)
    tree = _parse_sparql(canonical.text, source)
    _refuse_unsafe(tree, source)
    _refuse_hidden(canonical, source)
    params = tuple(header.get("params", ()))
    _check_parameter_variables(tree, params, source)
    _check_with_oxigraph(canonical.text, source, tree)
    form = _FORMS[tree[1].name]
    if name.endswith("-violation") and form != "select":
        raise QueryError(f"{source}: a -violation query must be a SELECT returning the faults")
    return SavedQuery(
        name=name,
        text=text,
        form=form,
        title=header.get("title", ""),
        description=header.get("description", ""),
        tags=header.get("tags", ()),
        params=params,
        path=path,
        checked_text=canonical.text,
        _tree=tree,
    )


# --- the header -------------------------------------------------------------------------------

def _parse_header(text: str, source: str) -> dict[str, Any]:
    """The ``#+`` lines at the top of ``text`` as a dictionary (params as Parameter objects)."""
    header: dict[str, Any] = {}
    in_header = True
    for number, line in enumerate(split_lines(text), start=1):
        stripped = line.strip()
        if in_header and stripped and not stripped.startswith("#"):
            in_header = False
        if not line.startswith(_HEADER_MARK):
            continue
        if not in_header:
            raise QueryError(
                f"{source}:{number}: a '#+' metadata line after the query has begun; "
                "move it to the header at the top of the file"
            )
        _parse_header_line(line.rstrip(), header, f"{source}:{number}")
    return header


def _parse_header_line(line: str, header: dict[str, Any], where: str) -> None:
    match = _HEADER_LINE.fullmatch(line)
    if match is None:
        raise QueryError(f"{where}: a malformed header line; write '#+ key: value'")
    key, value = match["key"], (match["value"] or "").strip()
    if not value:
        raise QueryError(f"{where}: '#+ {key}:' has no value")
    if key == "description":
        header[key] = f"{header[key]} {value}" if key in header else value
    elif key in ("title", "tags"):
        if key in header:
            raise QueryError(f"{where}: a second '#+ {key}:' line; keep one")
        header[key] = value if key == "title" else _parse_tags(value, where)
    elif key == "param":
        header.setdefault("params", [])
        _add_parameter(header["params"], _parse_param(value, where), where)
    else:
        raise QueryError(
            f"{where}: unknown header key {key!r}; use title, description, tags or param"
        )


def _parse_tags(value: str, where: str) -> tuple[str, ...]:
    tags = tuple(tag.strip() for tag in value.split(","))
    for tag in tags:
        if not _TAG.fullmatch(tag):
            raise QueryError(
                f"{where}: tag {tag!r} is not lowercase words joined by hyphens; "
                "write tags as 'a, b-c'"
            )
    return tags


def _parse_param(value: str, where: str) -> Parameter:
    fields = [part.strip() for part in value.split("|", 3)]
    if len(fields) != 4:
        raise QueryError(
            f"{where}: a param line needs four fields, "
            "'#+ param: name | type | default | description' (leave default empty if required)"
        )
    name, kind, default, description = fields
    if not _PARAM_NAME.fullmatch(name):
        raise QueryError(f"{where}: parameter name {name!r} must match [a-z][a-z0-9_]*")
    if kind not in PARAMETER_TYPES:
        raise QueryError(
            f"{where}: parameter {name!r} has unknown type {kind!r}; "
            f"use one of {', '.join(PARAMETER_TYPES)}"
        )
    if not description:
        raise QueryError(f"{where}: parameter {name!r} has no description; say what it selects")
    parameter = Parameter(name, kind, default or None, description)
    if parameter.default is not None:
        try:
            parse_value(parameter, parameter.default)
        except ParameterError as error:
            raise QueryError(f"{where}: the default is wrong: {error}") from None
    return parameter


def _add_parameter(params: list[Parameter], parameter: Parameter, where: str) -> None:
    if any(p.name == parameter.name for p in params):
        raise QueryError(f"{where}: parameter {parameter.name!r} is declared twice")
    params.append(parameter)


# --- parsing and safety -----------------------------------------------------------------------

# rdflib's SPARQL grammar (pyparsing) is not safe to use from several threads at once: the
# first parses in a process build shared state, and concurrent first use can break the parser
# for good. Every parse in compact-kg goes through these two functions, under one lock.
_PARSER_LOCK = threading.Lock()


def parse_query_tree(text: str) -> Any:
    """rdflib's parse tree of a SPARQL query (thread-safe); raises rdflib's parse errors."""
    with _PARSER_LOCK:
        return parseQuery(text)


def parse_update_tree(text: str) -> Any:
    """rdflib's parse tree of a SPARQL update (thread-safe); raises rdflib's parse errors."""
    with _PARSER_LOCK:
        return parseUpdate(text)


def _parse_sparql(text: str, source: str) -> Any:
    """rdflib's parse tree of the query, or QueryError for updates and syntax errors."""
    try:
        return parse_query_tree(text)
    except ParseBaseException as error:
        _refuse_update(text, source)
        raise QueryError(
            f"{source}:{error.lineno}:{error.col}: SPARQL syntax error: "
            f"{_one_line(error.msg)}; fix the query there"
        ) from None
    except Exception as error:  # rdflib raises plain exceptions, e.g. for unknown prefixes
        _refuse_update(text, source)
        raise QueryError(f"{source}: SPARQL error: {_one_line(str(error))}") from None


def _refuse_update(text: str, source: str) -> None:
    try:
        update = parse_update_tree(text)
    except Exception:
        return
    operations = sorted({_camel_to_words(op.name) for op in update.get("request", [])})
    raise QueryError(
        f"{source}: refused: this is a SPARQL update ({', '.join(operations) or 'empty'}); "
        "compact-kg runs read-only queries only"
    )


def _camel_to_words(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", " ", name).upper()


def _refuse_unsafe(tree: Any, source: str) -> None:
    """Refuse SERVICE, FROM and FROM NAMED anywhere in the parse tree."""
    for node in _walk(tree):
        if not isinstance(node, CompValue):
            continue
        if node.name == "ServiceGraphPattern":
            raise QueryError(
                f"{source}: refused: SERVICE <{dict.get(node, 'term')}> would query another "
                "server; compact-kg queries only its own graph"
            )
        if node.name == "DatasetClause":
            clause = "FROM NAMED" if dict.get(node, "named") is not None else "FROM"
            target = dict.get(node, "named") or dict.get(node, "default")
            raise QueryError(
                f"{source}: refused: {clause} <{target}> could load data from elsewhere; "
                "remove the clause (the default graph is the whole dataset)"
            )


def _walk(tree: Any) -> Any:
    """Every node of an rdflib SPARQL parse tree, depth first."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, CompValue):
            stack.extend(dict.values(node))
        elif isinstance(node, list | tuple) or type(node).__name__ == "ParseResults":
            stack.extend(node)


def _check_parameter_variables(tree: Any, params: tuple[Parameter, ...], source: str) -> None:
    """Each ``?_x`` variable must be a declared parameter, and each parameter must be used."""
    used = {str(node) for node in _walk(tree) if isinstance(node, Variable)}
    declared = {p.variable for p in params}
    for variable in sorted(v for v in used if v.startswith("_") and v not in declared):
        raise QueryError(
            f"{source}: the query uses ?{variable} but the header declares no parameter "
            f"{variable[1:]!r}; add '#+ param: {variable[1:]} | type | default | description'"
        )
    for variable in sorted(declared - used):
        raise QueryError(
            f"{source}: parameter {variable[1:]!r} is declared but ?{variable} "
            "is not used in the query"
        )


def _refuse_hidden(canonical: CanonicalQuery, source: str) -> None:
    """Refuse a keyword of an outside-reaching form that rdflib's tree does not show.

    Reached only when rdflib saw no SERVICE, FROM or update: a keyword token still there
    means the lexer of :mod:`compact_kg.sparqltext` and rdflib read the text differently.
    """
    for keyword, line, column in canonical.outside:
        raise QueryError(
            f"{source}:{line}:{column}: refused: {keyword} appears here where the query's "
            "parse does not show it, so SPARQL parsers would read this text differently; "
            "compact-kg runs only read-only queries of its own graph"
        )


def _check_with_oxigraph(text: str, source: str, tree: Any) -> None:
    """Parse with pyoxigraph too, and refuse the query unless both parsers agree on its form
    and its result variables.

    ``Store.query`` on an empty store parses the query and evaluates nothing until the
    result is read, which it never is here.
    """
    theirs = _oxigraph_reading(text, source)
    ours = _rdflib_reading(text, tree, source)
    if ours != theirs:
        raise QueryError(
            f"{source}: refused: the two SPARQL parsers compact-kg uses read this query "
            f"differently ({_reading(ours)} for one, {_reading(theirs)} for the other); "
            "write it more plainly"
        )


def _oxigraph_reading(text: str, source: str) -> tuple[str, frozenset[str]]:
    """The query's form and result variables as Oxigraph parses them (its result object is
    dropped here, on the thread that made it: pyoxigraph's results may not change thread)."""
    try:
        answer = pyoxigraph.Store().query(text)
    except SyntaxError as error:
        raise _oxigraph_syntax_error(str(error), source) from None
    if isinstance(answer, pyoxigraph.QuerySolutions):
        return ("select", frozenset(v.value for v in answer.variables))
    if isinstance(answer, pyoxigraph.QueryTriples):
        return ("graph", frozenset())
    return ("ask", frozenset())


def _rdflib_reading(text: str, tree: Any, source: str) -> tuple[str, frozenset[str]]:
    """The query's form and, for SELECT, its result variables, as rdflib's algebra has them."""
    from rdflib.plugins.sparql.algebra import translateQuery

    form = _FORMS[tree[1].name]
    if form != "select":
        return ("graph" if form in ("construct", "describe") else "ask", frozenset())
    try:  # on a tree of its own: the algebra rewrites the tree it is given
        algebra = translateQuery(parse_query_tree(text)).algebra
    except Exception as error:
        raise QueryError(f"{source}: SPARQL error: {_one_line(str(error))}") from None
    return ("select", frozenset(str(v) for v in algebra.get("PV", ())))


def _reading(reading: tuple[str, frozenset[str]]) -> str:
    form, variables = reading
    if form != "select":
        return {"graph": "a graph", "ask": "a yes-or-no answer"}[form]
    return "the variables " + (", ".join(f"?{v}" for v in sorted(variables)) or "none")


def _oxigraph_syntax_error(message: str, source: str) -> QueryError:
    match = _OX_ERROR_AT.match(message)
    if match is None:
        return QueryError(f"{source}: SPARQL syntax error: {_one_line(message)}")
    line, column, reason = match.groups()
    return QueryError(
        f"{source}:{line}:{column}: SPARQL syntax error: {_one_line(reason)}; fix the query there"
    )


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# --- parameters -----------------------------------------------------------------------------------

def parse_value(parameter: Parameter, value: object) -> Term:
    """The RDF term for ``value`` given as ``parameter``, or ParameterError.

    ``value`` is text (as typed on the command line) or a matching Python value
    (int, Decimal, date, bool, an rdflib term).
    """
    text = _as_text(value)
    parsers = {
        "iri": _parse_iri, "string": Literal, "integer": _parse_integer,
        "decimal": _parse_decimal, "date": _parse_date, "gYear": _parse_gyear,
        "boolean": _parse_boolean,
    }
    try:
        return parsers[parameter.type](text)
    except ValueError:
        noun, example = PARAMETER_TYPES[parameter.type]
        raise ParameterError(
            f"parameter {parameter.name!r} expects {noun} (e.g. {example}), got {_quote(text)}"
        ) from None


def _as_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal | date):
        return value.isoformat() if isinstance(value, date) else str(value)
    return str(value)


def _quote(text: str, limit: int = 60) -> str:
    shown = text if len(text) <= limit else text[: limit - 1] + "…"
    return json.dumps(shown, ensure_ascii=False)


def _parse_iri(text: str) -> URIRef:
    if not text or any(char in _IRI_FORBIDDEN for char in text):
        raise ValueError(text)
    pyoxigraph.NamedNode(text)  # raises ValueError unless an absolute IRI
    if ":" not in text:
        raise ValueError(text)
    return URIRef(text)


def _typed(text: str, datatype: URIRef) -> Literal:
    return Literal(text, datatype=datatype, normalize=False)


def _parse_integer(text: str) -> Literal:
    if not _INTEGER.fullmatch(text):
        raise ValueError(text)
    return _typed(str(int(text)), XSD.integer)


def _parse_decimal(text: str) -> Literal:
    if not _DECIMAL.fullmatch(text):
        raise ValueError(text)
    return _typed(text, XSD.decimal)


def _parse_date(text: str) -> Literal:
    if not _DATE.fullmatch(text):
        raise ValueError(text)
    date.fromisoformat(text)
    return _typed(text, XSD.date)


def _parse_gyear(text: str) -> Literal:
    if not _GYEAR.fullmatch(text):
        raise ValueError(text)
    return _typed(text, XSD.gYear)


def _parse_boolean(text: str) -> Literal:
    canonical = {"true": "true", "1": "true", "false": "false", "0": "false"}.get(text)
    if canonical is None:
        raise ValueError(text)
    return _typed(canonical, XSD.boolean)


def bind_parameters(query: SavedQuery, values: Mapping[str, object] | None) -> dict[str, Term]:
    """The RDF term of every parameter of ``query``, from ``values`` or the defaults.

    Unknown names, missing required parameters and ill-typed values raise ParameterError.
    """
    values = dict(values or {})
    for name in sorted(values):
        if query.parameter(name) is None:
            known = ", ".join(p.name for p in query.params)
            offer = f"its parameters are: {known}" if known else "it takes no parameters"
            raise ParameterError(f"query {query.name!r} has no parameter {name!r}; {offer}")
    bound: dict[str, Term] = {}
    for parameter in query.params:
        if parameter.name in values:
            bound[parameter.name] = parse_value(parameter, values[parameter.name])
        elif parameter.default is not None:
            bound[parameter.name] = parse_value(parameter, parameter.default)
        else:
            raise ParameterError(
                f"query {query.name!r} needs parameter {parameter.name!r} "
                f"({parameter.type}: {parameter.description}); "
                f"pass --param {parameter.name}=VALUE"
            )
    return bound


# --- running on the embedded store --------------------------------------------------------------

def _coerce(query: SavedQuery | str) -> SavedQuery:
    return query if isinstance(query, SavedQuery) else parse_query_text(query)


def run_embedded(
    query: SavedQuery | str,
    store: pyoxigraph.Store,
    params: Mapping[str, object] | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> QueryResult:
    """Run ``query`` on the in-memory ``store`` and return its complete result.

    The query runs in the store's :class:`QueryRunner` (a persistent forked worker, killed
    after ``timeout`` seconds: QueryTimeoutError); ``timeout=None`` runs it in this process
    with no limit (a trusted saved query), or in the worker with a day's limit (any other text).
    """
    if timeout is None and not _coerce(query).trusted:
        timeout = _UNTRUSTED_NO_LIMIT
    if timeout is None:
        saved = _coerce(query)
        text = _bound_text(saved, params)
        try:
            kind, data = _evaluate(store, text, "tsv")
        except SyntaxError as error:
            raise _oxigraph_syntax_error(str(error), saved.source) from None
        return QueryResult.from_serialized(kind, _transfer_format(kind, "tsv"), data)
    return runner_for(store).run(query, params, timeout)


_UNTRUSTED_NO_LIMIT = 86400.0  # "no limit" for a text that must run in an isolated worker
_GRAPH_FORMATS = {"nt": "N_TRIPLES", "turtle": "TURTLE", "xml": "RDF_XML"}
_SOLUTION_FORMATS = {"tsv": "TSV", "json": "JSON", "xml": "XML", "csv": "CSV"}
_GRAPH_OX = {k: getattr(pyoxigraph.RdfFormat, v) for k, v in _GRAPH_FORMATS.items()}
_SOLUTION_OX = {k: getattr(pyoxigraph.QueryResultsFormat, v)
                for k, v in _SOLUTION_FORMATS.items()}


def _transfer_format(kind: str, fmt: str) -> str:
    return "nt" if kind == "graph" and fmt not in _GRAPH_FORMATS else fmt


def _evaluate(store: pyoxigraph.Store, text: str, fmt: str = "tsv",
              graph_fmt: str = "nt") -> tuple[str, bytes]:
    """Run the query; its kind and its whole result serialised by pyoxigraph.

    ``fmt`` (``tsv``, ``json``, ``xml``, ``csv``) is used for SELECT and ASK results,
    ``graph_fmt`` (``nt``, ``turtle``, ``xml``) for CONSTRUCT and DESCRIBE.
    """
    answer = store.query(text)
    if isinstance(answer, pyoxigraph.QuerySolutions):
        return "select", answer.serialize(format=_SOLUTION_OX[fmt])
    if isinstance(answer, pyoxigraph.QueryTriples):
        return "graph", answer.serialize(format=_GRAPH_OX[graph_fmt])
    return "ask", answer.serialize(format=_SOLUTION_OX[fmt])


class QueryRunner:
    """Runs queries on one in-memory store in persistent forked workers, with a deadline.

    ``workers`` children are forked from this process (lazily, or all at once by
    :meth:`start`) and share the loaded store copy-on-write; each answers queries over a
    pipe with the store's own serialised results, so nothing is converted that nobody
    reads. A query past its deadline gets its worker killed and reaped at once, and the
    next query forks a fresh one. Call :meth:`start` before starting threads that use the
    store: a fork copies locks that other threads hold.
    """

    def __init__(self, store: pyoxigraph.Store, *, workers: int = 1,
                 memory_limit: int | None = DEFAULT_MEMORY_LIMIT) -> None:
        self.store = store

        def handle(request: tuple[str, str, str, bool]) -> tuple[str, bytes]:
            # Runs in the worker: the check is made where the query is evaluated.
            text, fmt, graph_fmt, untrusted = request
            if untrusted and not isolated():
                raise NotIsolated(NOT_ISOLATED)
            return _evaluate(store, text, fmt, graph_fmt)

        self._pool = WorkerPool(handle, workers, memory_limit)

    @property
    def worker_pids(self) -> list[int]:
        """The process ids of this runner's workers (0 for one not forked yet)."""
        return self._pool.pids

    def start(self) -> QueryRunner:
        """Fork the workers now; returns the runner."""
        self._pool.start()
        return self

    def run(self, query: SavedQuery | str, params: Mapping[str, object] | None = None,
            timeout: float = DEFAULT_TIMEOUT, *, fmt: str = "tsv",
            graph_fmt: str = "nt") -> QueryResult:
        """Run ``query`` with ``params``; the result, serialised in ``fmt`` (SELECT, ASK) or
        ``graph_fmt`` (CONSTRUCT, DESCRIBE) and read lazily (:class:`QueryResult`)."""
        saved = _coerce(query)
        text = _bound_text(saved, params)
        try:
            kind, data = self._pool.call((text, fmt, graph_fmt, not saved.trusted), timeout)
        except DeadlinePassed:
            raise QueryTimeoutError(
                f"query {saved.name!r} ran past its {timeout:g} s limit and was stopped; "
                "narrow it or raise --timeout"
            ) from None
        except ChildFailed as error:
            raise _child_error(saved, error) from None
        return QueryResult.from_serialized(kind, graph_fmt if kind == "graph" else fmt, data)

    def close(self) -> None:
        """Stop the workers."""
        self._pool.close()

    def __enter__(self) -> QueryRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# One runner per store, for run_embedded; the few most recent stores keep theirs.
_RUNNERS: dict[int, tuple[pyoxigraph.Store, QueryRunner]] = {}
_RUNNERS_LOCK = threading.Lock()
_RUNNERS_MAX = 4


def _forget_runners() -> None:  # pragma: no cover - runs in forked children
    """A forked child must not use its parent's workers (their pipes are the parent's)."""
    global _RUNNERS_LOCK
    _RUNNERS_LOCK = threading.Lock()
    _RUNNERS.clear()


os.register_at_fork(after_in_child=_forget_runners)


def runner_for(store: pyoxigraph.Store) -> QueryRunner:
    """The :class:`QueryRunner` that :func:`run_embedded` uses for ``store`` (made on first
    use; the runners of the least recently used stores beyond a few are stopped)."""
    with _RUNNERS_LOCK:
        entry = _RUNNERS.pop(id(store), None)
        if entry is None or entry[0] is not store:
            entry = (store, QueryRunner(store))
        _RUNNERS[id(store)] = entry
        while len(_RUNNERS) > _RUNNERS_MAX:
            _RUNNERS.pop(next(iter(_RUNNERS)))[1].close()
        return entry[1]


def close_runners() -> None:
    """Stop every worker that :func:`run_embedded` started."""
    with _RUNNERS_LOCK:
        for _, runner in _RUNNERS.values():
            runner.close()
        _RUNNERS.clear()


def _raw(term: Any) -> RawTerm:
    if term is None:
        return None
    if isinstance(term, pyoxigraph.NamedNode):
        return ("iri", term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return ("bnode", term.value)
    if isinstance(term, pyoxigraph.Literal):
        return ("literal", term.value, term.datatype.value, term.language or "")
    raise TypeError(f"triple terms are not supported in results ({term})")


def _result_from_raw(raw: tuple[Any, ...]) -> QueryResult:
    if raw[0] == "ask":
        return QueryResult(variables=[], kind="ask", boolean=raw[1])
    rows = [tuple(term_from_raw(term) for term in row) for row in raw[2]]
    return QueryResult(variables=list(raw[1]), rows=rows, kind=raw[0])


def _child_error(query: SavedQuery, error: ChildFailed) -> QueryError:
    if error.kind == "SyntaxError":
        return _oxigraph_syntax_error(str(error), query.source)
    if error.kind == "MemoryError":
        return QueryError(f"query {query.name!r} ran out of memory and was stopped; narrow it")
    if error.kind == "NotIsolated":
        return QueryError(f"{query.source}: refused: {error}")
    return QueryError(f"query {query.name!r} failed: {_one_line(str(error))}")


# --- running remotely -----------------------------------------------------------------------------

def run_remote(
    query: SavedQuery | str,
    endpoint_url: str,
    timeout: float = DEFAULT_TIMEOUT,
    params: Mapping[str, object] | None = None,
    *,
    default_graph: str | None = None,
) -> QueryResult:
    """Run ``query`` on a remote SPARQL 1.1 endpoint and return its complete result.

    ``endpoint_url`` is the query URL, or an Oxigraph server's base URL
    (``http://HOST:PORT``, which means ``http://HOST:PORT/query``). ``default_graph`` (an
    IRI, sent as ``default-graph-uri``) makes that named graph the query's default graph:
    needed on servers whose default graph is the union of all graphs (Virtuoso). Parameters
    are bound with a VALUES block (:func:`bind_text`), as on the embedded store. Raises
    EndpointError when the server cannot be reached or answers with an error,
    QueryTimeoutError after ``timeout``.
    """
    from compact_kg import endpoint

    saved = _coerce(query)
    text = _bound_text(saved, params)
    raw = endpoint.query_remote(text, endpoint_url, timeout, saved.form, saved.name, default_graph)
    return _result_from_raw(raw)


def bind_text(query: SavedQuery, terms: Mapping[str, Term]) -> str:
    """The query text with ``terms`` bound by a VALUES block opening its WHERE clause.

    The same text runs on the embedded store and on remote endpoints, so both give the same
    answer. (pyoxigraph's own ``substitutions`` were not used: in 0.5 they refuse a
    variable that is not projected, such as ``?_type`` in a COUNT ... GROUP BY query.)
    The block is tried after each ``{`` in turn; a placement is accepted only when the
    rewritten text parses to the original parse tree plus exactly this VALUES block
    holding exactly these terms, so a value can never change the query's structure.
    """
    text = query.runnable_text
    if not terms:
        return text
    for name, term in terms.items():
        if isinstance(term, Literal) and re.search(r"\\[uU]", str(term)):
            raise ParameterError(
                f"parameter {name!r}: a value containing '\\u' is refused, as SPARQL parsers "
                "read it differently (some expand it before parsing); leave out the backslash"
            )
    names = sorted(terms)
    tokens = [_sparql_term(terms[n]) for n in names]
    block = f" VALUES ({' '.join(f'?_{n}' for n in names)}) {{ ({' '.join(tokens)}) }} "
    key = (text, tuple(names))
    index = _PLACEMENTS.get(key)
    if index is None:
        index = _prove_placement(query, names, block, [terms[n] for n in names])
        with _PLACEMENTS_LOCK:
            if len(_PLACEMENTS) >= _PLACEMENTS_MAX:
                _PLACEMENTS.clear()
            _PLACEMENTS[key] = index
    return text[: index + 1] + block + text[index + 1 :]


def _bound_text(query: SavedQuery, values: Mapping[str, object] | None) -> str:
    """``bind_text(query, bind_parameters(query, values))``, remembered for recent values.

    A run of the same query with the same values (a page reloaded, a benchmark loop) then
    costs a dictionary lookup instead of parsing, checking and escaping each value again.
    The key is the query text, its declared parameters and each value as the text that
    :func:`parse_value` reads (the term depends on nothing else), so a hit returns exactly
    the text that binding afresh would. Only texts bound without error are kept, so a
    refused value is refused again on every call; values longer than
    :data:`_BOUND_VALUE_MAX` characters are bound afresh and never kept. At most
    :data:`_BOUND_MAX` texts are kept, the least recently used going first.
    """
    if not values:
        key: tuple[Any, ...] = (query.text, query.params)
    else:
        try:
            given = tuple(sorted((name, _as_text(value)) for name, value in values.items()))
        except TypeError:  # names that do not sort: let bind_parameters say what is wrong
            return bind_text(query, bind_parameters(query, values))
        if sum(len(text) for _, text in given) > _BOUND_VALUE_MAX:
            return bind_text(query, bind_parameters(query, values))
        key = (query.text, query.params, given)
    text = _BOUND.get(key)
    if text is not None:
        with _BOUND_LOCK:
            if key in _BOUND:
                _BOUND.move_to_end(key)
        return text
    text = bind_text(query, bind_parameters(query, values))
    with _BOUND_LOCK:
        _BOUND[key] = text
        while len(_BOUND) > _BOUND_MAX:
            _BOUND.popitem(last=False)
    return text


# The bound texts of recent (query, values) pairs: see _bound_text.
_BOUND: OrderedDict[tuple[Any, ...], str] = OrderedDict()
_BOUND_LOCK = threading.Lock()
_BOUND_MAX = 1024
_BOUND_VALUE_MAX = 2048


# Where the VALUES block goes, per (query text, parameter names): proved once with rdflib's
# parser, then reused for any values. That is sound because every value is written as exactly
# one SPARQL token (an IRIREF or a short string with an optional datatype IRI), checked by
# _sparql_term against the grammar, so values cannot change how the text around them parses.
_PLACEMENTS: dict[tuple[str, tuple[str, ...]], int] = {}
_PLACEMENTS_LOCK = threading.Lock()
_PLACEMENTS_MAX = 4096


def _prove_placement(query: SavedQuery, names: list[str], block: str,
                     expected: list[Term]) -> int:
    """The index of the ``{`` after which ``block`` binds exactly these values, or QueryError."""
    original = _canonical(_tree_of(query))
    text = query.runnable_text
    for index, char in enumerate(text):
        if char == "{":
            candidate = text[: index + 1] + block + text[index + 1 :]
            if _is_same_query_plus_values(candidate, original, names, expected):
                return index
    raise QueryError(
        f"{query.source}: cannot bind the parameters safely: no VALUES block opening the "
        "WHERE clause parses back to this query with exactly these values "
        "(is the WHERE clause a bare sub-SELECT? wrap it in braces)"
    )


def _tree_of(query: SavedQuery) -> Any:
    return query._tree if query._tree is not None else parse_query_tree(query.runnable_text)


def _is_same_query_plus_values(
    candidate: str, original: Any, names: list[str], expected: list[Term]
) -> bool:
    try:
        tree = parse_query_tree(candidate)
    except Exception:
        return False
    where = dict.get(tree[1], "where")
    parts = dict.get(where, "part") if isinstance(where, CompValue) else None
    if not parts or not isinstance(parts[0], CompValue) or parts[0].name != "InlineData":
        return False
    values = parts[0]
    if [str(v) for v in dict.get(values, "var", [])] != [f"_{n}" for n in names]:
        return False
    rows = list(dict.get(values, "value", []))
    if len(rows) != 1 or [_inline_term(v) for v in rows[0]] != [_key(t) for t in expected]:
        return False
    del parts[0]
    if not parts:
        dict.pop(where, "part")
    return _canonical(tree) == original


def _inline_term(value: Any) -> tuple[str, ...]:
    if isinstance(value, URIRef):
        return ("iri", str(value))
    if isinstance(value, CompValue) and value.name == "literal":
        datatype = dict.get(value, "datatype")
        return ("literal", str(dict.get(value, "string")),
                str(datatype) if datatype is not None else "", str(dict.get(value, "lang") or ""))
    return ("other", repr(value))


def _key(term: Term) -> tuple[str, ...]:
    if isinstance(term, URIRef):
        return ("iri", str(term))
    datatype = "" if term.datatype is None else str(term.datatype)
    return ("literal", str(term), datatype, term.language or "")


def _canonical(node: Any) -> Any:
    """A parse tree as nested tuples, comparable with ``==``."""
    if isinstance(node, CompValue):
        return (node.name, tuple((k, _canonical(v)) for k, v in dict.items(node)))
    if isinstance(node, list | tuple) or type(node).__name__ == "ParseResults":
        return tuple(_canonical(item) for item in node)
    if isinstance(node, Literal):
        return ("literal", str(node), str(node.datatype or ""), node.language or "")
    return node


def _sparql_term(term: Term) -> str:
    """``term`` in SPARQL syntax, as one token of the grammar (checked, ValueError if not):
    an IRIREF, or a short string with escapes and an optional language tag or datatype IRI."""
    if isinstance(term, URIRef):
        token = f"<{_parse_iri(str(term))}>"
    else:
        escaped = "".join(_ESCAPES.get(char, char) for char in str(term))
        if term.language:
            token = f'"{escaped}"@{term.language}'
        elif term.datatype is not None:
            token = f'"{escaped}"^^<{_parse_iri(str(term.datatype))}>'
        else:
            token = f'"{escaped}"'
    if not _ONE_TOKEN.fullmatch(token):
        raise ParameterError(f"a value is not a single SPARQL term: {token!r}")
    return token


# --- either ---------------------------------------------------------------------------------------

def run_query(
    query: SavedQuery | str,
    *,
    store: pyoxigraph.Store | None = None,
    endpoint_url: str | None = None,
    params: Mapping[str, object] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> QueryResult:
    """Run ``query`` on ``store`` or, when ``endpoint_url`` is given, on that endpoint."""
    if endpoint_url is not None:
        return run_remote(query, endpoint_url, timeout, params)
    if store is None:
        raise QueryError("run_query needs a store or an endpoint_url")
    return run_embedded(query, store, params, timeout)
