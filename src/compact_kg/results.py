"""Query results in one representation, whichever store produced them, and their formats.

A :class:`QueryResult` holds rdflib terms: :class:`~rdflib.URIRef` for IRIs,
:class:`~rdflib.BNode` for blank nodes and :class:`~rdflib.Literal` built with
``normalize=False``, so the lexical form is kept exactly as the store returned it.
Plain literals and ``xsd:string`` literals are both stored without a datatype, as RDF 1.1
says they are the same. Rows from the embedded store and from a remote Oxigraph server
therefore compare equal; :meth:`QueryResult.multiset` compares them ignoring row order
and blank-node labels.

Formats (:func:`format_result`): ``table`` (aligned plain text for people, IRIs under the
standard prefixes shortened to prefixed names such as ``area:surrey``), ``csv`` and ``tsv``
(SPARQL 1.1 CSV/TSV results) and ``json`` (SPARQL 1.1 JSON results). CSV and JSON of a
SELECT result from the embedded store are written by pyoxigraph's own serialiser, without
converting a single term; the table and TSV (which spells every term out in full) are
written here.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Sequence
from typing import Any
from typing import Literal as TypingLiteral

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, XSD

from compact_kg.namespace import curie

__all__ = [
    "FORMATS",
    "QueryResult",
    "RawTerm",
    "Term",
    "format_result",
    "term_from_oxigraph",
    "term_from_raw",
]

Term = URIRef | BNode | Literal
"""One RDF term of a result row."""

RawTerm = tuple[str, ...] | None
"""A term as plain strings, cheap to send between processes:
``("iri", value)``, ``("bnode", id)``, ``("literal", lexical, datatype, language)``
with ``""`` for a missing datatype or language; ``None`` when unbound."""

ResultKind = TypingLiteral["select", "ask", "graph"]

FORMATS = ("table", "csv", "tsv", "json")

_XSD_STRING = str(XSD.string)
_LANG_STRING = str(RDF.langString)
_BNODE_PLACEHOLDER = BNode("b")


class QueryResult:
    """The complete result of one query (never truncated).

    ``kind`` is ``"select"`` (``variables`` and ``rows``), ``"ask"`` (``boolean``; no rows)
    or ``"graph"`` for CONSTRUCT/DESCRIBE (rows of ``subject``, ``predicate``, ``object``).

    A result from the embedded store holds the store's own serialised answer
    (:meth:`from_serialized`); its rows become rdflib terms only when :attr:`rows` is first
    read, and :meth:`serialized` hands the bytes on unchanged. ``len()`` counts rows
    without converting them.
    """

    __slots__ = ("_boolean", "_count", "_payload", "_rows", "_variables", "kind")

    def __init__(self, variables: list[str], rows: list[tuple[Term | None, ...]] | None = None,
                 kind: ResultKind = "select", boolean: bool | None = None) -> None:
        self._variables: list[str] | None = list(variables)
        self._rows: list[tuple[Term | None, ...]] | None = list(rows or [])
        self.kind: ResultKind = kind
        self._boolean = boolean
        self._payload: tuple[str, bytes] | None = None
        self._count: int | None = None

    @classmethod
    def from_serialized(cls, kind: ResultKind, fmt: str, data: bytes) -> QueryResult:
        """A result held as pyoxigraph serialised it: ``fmt`` is ``tsv``, ``json`` or ``xml``
        for SELECT and ASK (``csv`` too, but its rows cannot be read back) and ``nt`` for
        CONSTRUCT and DESCRIBE."""
        result = cls.__new__(cls)
        result.kind = kind
        result._payload = (fmt, data)
        result._variables = [] if kind == "ask" else None
        result._rows = [] if kind == "ask" else None
        result._boolean = None
        result._count = None
        if kind == "ask":
            result._boolean = _parse_answer(fmt, data)
        elif kind == "graph":
            result._variables = ["subject", "predicate", "object"]
            if fmt == "nt":
                result._count = data.count(b"\n")
        elif fmt == "tsv":  # one line per row (newlines in values are escaped), after a header
            result._count = data.count(b"\n") - 1
        return result

    @property
    def variables(self) -> list[str]:
        if self._variables is None:
            if self._payload is not None and self._payload[0] == "tsv" \
                    and self.kind == "select":  # the header line names them
                header, _, _ = self._payload[1].partition(b"\n")
                self._variables = [name[1:] for name in header.decode("utf-8").split("\t")
                                   if name]
            else:
                self._load()
        return self._variables  # type: ignore[return-value]

    @property
    def rows(self) -> list[tuple[Term | None, ...]]:
        if self._rows is None:
            self._load()
        return self._rows  # type: ignore[return-value]

    @property
    def boolean(self) -> bool | None:
        return self._boolean

    def oxigraph_rows(self) -> list[tuple[Any, ...]]:
        """The rows as pyoxigraph terms (``None`` when unbound), without rdflib."""
        if self._payload is None:
            raise ValueError("this result was not produced by pyoxigraph")
        return _oxigraph_rows(self.kind, *self._payload)[1]

    def serialized(self, fmt: str) -> bytes | None:
        """The store's serialised answer when it is in ``fmt``, else None."""
        if self._payload is not None and self._payload[0] == fmt:
            return self._payload[1]
        return None

    def _load(self) -> None:
        assert self._payload is not None
        variables, rows = _oxigraph_rows(self.kind, *self._payload)
        self._variables = variables
        self._rows = [tuple(term_from_oxigraph(term) for term in row) for row in rows]
        self._count = len(self._rows)

    def __len__(self) -> int:
        if self._count is None:
            self._count = len(self.rows)
        return self._count

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, QueryResult):
            return NotImplemented
        return (self.kind, self.variables, self.rows, self.boolean) == \
            (other.kind, other.variables, other.rows, other.boolean)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"QueryResult(kind={self.kind!r}, variables={self.variables!r}, "
                f"rows={len(self)}, boolean={self.boolean!r})")

    def multiset(self) -> Counter[tuple[Term | None, ...]]:
        """The rows as a multiset, every blank node replaced by one placeholder.

        Two results with the same rows in any order, and blank nodes labelled differently,
        have equal multisets.
        """
        return Counter(
            tuple(_BNODE_PLACEHOLDER if isinstance(t, BNode) else t for t in row)
            for row in self.rows
        )

    def as_dicts(self) -> list[dict[str, Term]]:
        """The rows as dictionaries from variable name to term, unbound variables left out."""
        return [
            {name: term for name, term in zip(self.variables, row, strict=True) if term is not None}
            for row in self.rows
        ]


_RESULTS_FORMATS = {"tsv": "TSV", "json": "JSON", "xml": "XML", "csv": "CSV"}


def _parse_answer(fmt: str, data: bytes) -> bool:
    import pyoxigraph

    answer = pyoxigraph.parse_query_results(
        data, format=getattr(pyoxigraph.QueryResultsFormat, _RESULTS_FORMATS[fmt]))
    return bool(answer)


def _oxigraph_rows(kind: str, fmt: str, data: bytes) -> tuple[list[str], list[tuple[Any, ...]]]:
    import pyoxigraph

    if kind == "graph":
        rdf_format = {"nt": pyoxigraph.RdfFormat.N_TRIPLES, "turtle": pyoxigraph.RdfFormat.TURTLE,
                      "xml": pyoxigraph.RdfFormat.RDF_XML}[fmt]
        triples = pyoxigraph.parse(data, format=rdf_format)
        return (["subject", "predicate", "object"],
                [(t.subject, t.predicate, t.object) for t in triples])
    if fmt == "csv":
        raise ValueError("CSV results cannot be read back as RDF terms")
    solutions = pyoxigraph.parse_query_results(
        data, format=getattr(pyoxigraph.QueryResultsFormat, _RESULTS_FORMATS[fmt]))
    return [v.value for v in solutions.variables], [tuple(s) for s in solutions]


def term_from_oxigraph(term: Any) -> Term | None:
    """The rdflib term for a pyoxigraph term (lexical forms kept; xsd:string folded)."""
    if term is None:
        return None
    kind = type(term).__name__
    if kind == "NamedNode":
        return URIRef(term.value)
    if kind == "BlankNode":
        return BNode(term.value)
    if kind != "Literal":
        raise TypeError(f"triple terms are not supported in results ({term})")
    language = term.language
    if language:
        return Literal(term.value, lang=language, normalize=False)
    datatype = term.datatype.value
    if datatype == _XSD_STRING:
        return Literal(term.value, normalize=False)
    return Literal(term.value, datatype=URIRef(datatype), normalize=False)


def term_from_raw(raw: RawTerm) -> Term | None:
    """The rdflib term for a :data:`RawTerm`."""
    if raw is None:
        return None
    kind = raw[0]
    if kind == "iri":
        return URIRef(raw[1])
    if kind == "bnode":
        return BNode(raw[1])
    lexical, datatype, language = raw[1], raw[2], raw[3]
    if language:
        return Literal(lexical, lang=language, normalize=False)
    if datatype and datatype not in (_XSD_STRING, _LANG_STRING):
        return Literal(lexical, datatype=URIRef(datatype), normalize=False)
    return Literal(lexical, normalize=False)


def format_result(result: QueryResult, fmt: str = "table") -> str:
    """``result`` as text in ``fmt``: one of :data:`FORMATS`."""
    formatters = {"table": _table, "csv": _csv, "tsv": _tsv, "json": _json}
    if fmt not in formatters:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt in ("csv", "json") and result.kind == "select" and result._payload is not None \
            and result._payload[0] != "csv":
        # The same SPARQL CSV/JSON results, written by pyoxigraph without rdflib terms.
        import pyoxigraph

        source, data = result._payload
        solutions = pyoxigraph.parse_query_results(
            data, format=getattr(pyoxigraph.QueryResultsFormat, _RESULTS_FORMATS[source]))
        target = getattr(pyoxigraph.QueryResultsFormat, _RESULTS_FORMATS[fmt])
        text = solutions.serialize(format=target).decode("utf-8")
        return text if fmt == "csv" else text + "\n"
    return formatters[fmt](result)


# --- table --------------------------------------------------------------------------------

def _table(result: QueryResult) -> str:
    if result.kind == "ask":
        return "true\n" if result.boolean else "false\n"
    header = list(result.variables)
    body = [[_plain(term) for term in row] for row in result.rows]
    widths = [len(name) for name in header]
    for row in body:
        widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=True)]
    lines = [_line(header, widths), _line(["-" * w for w in widths], widths)]
    lines += [_line(row, widths) for row in body]
    noun = "row" if len(body) == 1 else "rows"
    lines.append(f"({len(body)} {noun})")
    return "\n".join(lines) + "\n"


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()


def _plain(term: Term | None) -> str:
    """A term as one line of text for a table cell."""
    if term is None:
        return ""
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        text = str(term)
        return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    return curie(str(term)) or str(term)


# --- CSV and TSV ----------------------------------------------------------------------------

def _csv(result: QueryResult) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if result.kind == "ask":
        writer.writerow(["boolean"])
        writer.writerow(["true" if result.boolean else "false"])
        return out.getvalue()
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow([_csv_cell(term) for term in row])
    return out.getvalue()


def _csv_cell(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def _tsv(result: QueryResult) -> str:
    if result.kind == "ask":
        return "?boolean\n" + ("true" if result.boolean else "false") + "\n"
    lines = ["\t".join(f"?{name}" for name in result.variables)]
    lines += ["\t".join(_tsv_cell(term) for term in row) for row in result.rows]
    return "\n".join(lines) + "\n"


def _tsv_cell(term: Term | None) -> str:
    if term is None:
        return ""
    text = term.n3()
    return text.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


# --- JSON -------------------------------------------------------------------------------------

def _json(result: QueryResult) -> str:
    if result.kind == "ask":
        document: dict[str, object] = {"head": {}, "boolean": bool(result.boolean)}
    else:
        bindings = [
            {name: _json_term(term) for name, term in zip(result.variables, row, strict=True)
             if term is not None}
            for row in result.rows
        ]
        document = {"head": {"vars": list(result.variables)}, "results": {"bindings": bindings}}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _json_term(term: Term) -> dict[str, str]:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    encoded = {"type": "literal", "value": str(term)}
    if term.language:
        encoded["xml:lang"] = term.language
    elif term.datatype is not None:
        encoded["datatype"] = str(term.datatype)
    return encoded
