"""Loading the project's graphs for publishing, and rewriting our namespace to another base.

Two graphs make up what we publish: the *model* (ontology, SKOS vocabularies and, when it
exists, the SHACL shapes) and the *data* (every Turtle file under ``data/``). Both are read
from trusted project files; a file that does not parse raises :class:`InputError` with the
parser's position.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from compact_kg.errors import InputError
from compact_kg.namespace import BASE, bind_prefixes, standard_prefixes
from compact_kg.paths import ProjectPaths
from compact_kg.rdfio import (
    _IRI_OK,
    MAX_TRUSTED_BYTES,
    _quiet_rdflib,
    canonical_language_tag,
    read_turtle,
    read_turtle_files,
)

_XSD_STRING = str(XSD.string)
_same_text = str.__eq__

__all__ = ["IndexedSources", "SourceGraphs", "TripleIndex", "cbd", "is_ours", "load_index",
           "load_sources", "prefixes", "rebase_graph"]

def prefixes(base: str) -> dict[str, str]:
    """Prefix → namespace for the site: our standard block (under ``base``) and W3C ones."""
    return {**standard_prefixes(base), "dataset": base + "id/dataset/", "vocab": base + "vocab/"}


def new_graph(base: str) -> Graph:
    """An empty graph bound to exactly the prefixes of :func:`prefixes` (no rdflib extras)."""
    return bind_prefixes(Graph(bind_namespaces="none"), prefixes(base))


@dataclass(frozen=True)
class SourceGraphs:
    """The model and data graphs of one checkout, already rebased to ``base``."""

    model: Graph
    data: Graph
    base: str

    def union(self) -> Graph:
        """A new graph holding every triple of model and data, with their prefixes."""
        merged = new_graph(self.base)
        for graph in (self.model, self.data):
            for triple in graph:
                merged.add(triple)
        return merged


def load_sources(paths: ProjectPaths, base: str | None = None) -> SourceGraphs:
    """Read the model and data of the checkout at ``paths``, rebased to ``base`` if given."""
    model = Graph()
    model_files = list(paths.model_files())
    if paths.shapes_file.is_file():
        model_files.append(paths.shapes_file)
    read_turtle_files(model_files, model)
    data = Graph()
    read_turtle_files(paths.data_files(), data)
    base = base or BASE
    return SourceGraphs(model=rebase_graph(model, BASE, base),
                        data=rebase_graph(data, BASE, base), base=base)


def _rebase_term(term: Node, old: str, new: str) -> Node:
    if isinstance(term, URIRef):
        text = str(term)
        return URIRef(new + text[len(old):]) if text.startswith(old) and old != new else term
    if isinstance(term, Literal):
        datatype = term.datatype
        if datatype is not None and str(datatype).startswith(old):
            datatype = URIRef(new + str(datatype)[len(old):])
        lexical = str(term)
        if old != new and (old in lexical or datatype != term.datatype):
            # A namespace written as a string (vann:preferredNamespaceUri) moves with it.
            return Literal(lexical.replace(old, new), lang=term.language, datatype=datatype)
        return term
    return term  # blank nodes keep their identity


def rebase_graph(graph: Graph, old: str, new: str) -> Graph:
    """A copy of ``graph`` in which every IRI (and namespace string) under ``old`` is under ``new``.

    Applied to the whole graph before anything is rendered, so that dumps, pages, JSON-LD
    and the VoID description agree on one base.
    """
    if not new.endswith(("/", "#")):
        raise InputError(f"the base URI {new!r} must end with '/' or '#'",
                         hint="For example --base-uri http://example.org/kg/")
    rebased = new_graph(new)
    for s, p, o in graph:
        rebased.add((_rebase_term(s, old, new), _rebase_term(p, old, new),  # type: ignore[arg-type]
                     _rebase_term(o, old, new)))
    return rebased


def is_ours(term: Node, base: str) -> bool:
    """True for an IRI of our namespace."""
    return isinstance(term, URIRef) and str(term).startswith(base)


def cbd(graph: Graph, subject: URIRef | BNode, base: str) -> Graph:
    """The concise bounded description of ``subject``: its outgoing triples and, recursively,
    those of the blank nodes they reach."""
    out = new_graph(base)
    seen: set[Node] = set()
    todo: list[Node] = [subject]
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for s, p, o in graph.triples((node, None, None)):  # type: ignore[arg-type]
            out.add((s, p, o))
            if isinstance(o, BNode):
                todo.append(o)
    return out


# -- the fast path used by publish ------------------------------------------------------------


class TripleIndex:
    """A read-only, graph-like view of a set of triples held in two plain dictionaries.

    ``_out`` maps each subject to its (predicate, object) pairs and ``_in`` each IRI or blank
    node object to its (subject, predicate) pairs, both in insertion order. It answers the
    few look-ups the site needs (the subset of :class:`rdflib.Graph`'s API used by
    :class:`compact_kg.site.Site` and :func:`compact_kg.dumps.void_description`) at a
    fraction of the time and memory of an rdflib store, and is built in one pass.
    """

    def __init__(self, namespaces: dict[str, str]) -> None:
        self._out: dict[Node, dict[tuple[Node, Node], None]] = {}
        self._in: dict[Node, list[tuple[Node, Node]]] = {}
        self._size = 0
        self._namespaces = [(prefix, URIRef(ns)) for prefix, ns in namespaces.items()]

    def add(self, triple: tuple[Node, Node, Node]) -> bool:
        """Add a triple; False when it was already there."""
        s, p, o = triple
        pairs = self._out.get(s)
        if pairs is None:
            pairs = self._out[s] = {}
        elif (p, o) in pairs:
            return False
        pairs[(p, o)] = None
        if not isinstance(o, Literal):
            incoming = self._in.get(o)
            if incoming is None:
                self._in[o] = [(s, p)]
            else:
                incoming.append((s, p))
        self._size += 1
        return True

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[tuple[Node, Node, Node]]:
        for s, pairs in self._out.items():
            for p, o in pairs:
                yield s, p, o

    def __contains__(self, triple: tuple[Node | None, Node | None, Node | None]) -> bool:
        s, p, o = triple
        if s is not None and p is not None and o is not None:
            pairs = self._out.get(s)
            return pairs is not None and (p, o) in pairs
        return next(self.triples(triple), None) is not None

    def namespaces(self) -> Iterator[tuple[str, URIRef]]:
        return iter(self._namespaces)

    def out(self, subject: Node) -> Iterable[tuple[Node, Node]]:
        """The (predicate, object) pairs of ``subject``."""
        return self._out.get(subject, ())

    def triples(self, pattern: tuple[Node | None, Node | None, Node | None],
                ) -> Iterator[tuple[Node, Node, Node]]:
        s, p, o = pattern
        if s is not None:
            pairs = self._out.get(s)
            if not pairs:
                return
            if o is None and type(p) is URIRef:
                # The hot path (the objects of one property): predicates are always IRIs, so
                # plain string equality is rdflib's equality here, without its Python __eq__.
                for p2, o2 in pairs:
                    if p2 is p or _same_text(p2, p):
                        yield s, p2, o2
                return
            for p2, o2 in pairs:
                if (p is None or p2 == p) and (o is None or o2 == o):
                    yield s, p2, o2
        elif o is not None and not isinstance(o, Literal):
            for s2, p2 in self._in.get(o, ()):
                if p is None or p2 == p:
                    yield s2, p2, o
        else:
            for s2, pairs in self._out.items():
                for p2, o2 in pairs:
                    if (p is None or p2 == p) and (o is None or o2 == o):
                        yield s2, p2, o2

    def subjects(self, predicate: Node | None = None, obj: Node | None = None,
                 ) -> Iterator[Node]:
        if predicate is None and obj is None:
            return iter(self._out)
        return (s for s, _, _ in self.triples((None, predicate, obj)))

    def objects(self, subject: Node | None = None, predicate: Node | None = None,
                ) -> Iterator[Node]:
        return (o for _, _, o in self.triples((subject, predicate, None)))

    def predicates(self) -> Iterator[Node]:
        return (p for _, p, _ in self.triples((None, None, None)))

    def predicate_objects(self, subject: Node) -> Iterator[tuple[Node, Node]]:
        return iter(self._out.get(subject, ()))

    def subject_predicates(self, obj: Node) -> Iterator[tuple[Node, Node]]:
        return iter(self._in.get(obj, ()))

    def subject_objects(self, predicate: Node) -> Iterator[tuple[Node, Node]]:
        return ((s, o) for s, _, o in self.triples((None, predicate, None)))

    def cbd(self, subject: Node) -> list[tuple[Node, Node, Node]]:
        """:func:`cbd` as a list of triples, in insertion order."""
        found: list[tuple[Node, Node, Node]] = []
        seen = {subject}
        todo = [subject]
        while todo:
            node = todo.pop(0)
            for p, o in self._out.get(node, ()):
                found.append((node, p, o))
                if isinstance(o, BNode) and o not in seen:
                    seen.add(o)
                    todo.append(o)
        return found


@dataclass
class IndexedSources:
    """What :func:`load_index` read: the union as a :class:`TripleIndex`, the model as an
    rdflib graph (small), and the triples of each part in reading order, deduplicated."""

    index: TripleIndex
    model: Graph
    parts: dict[str, list[tuple[Node, Node, Node]]]
    base: str


class _FastConverter:
    """pyoxigraph terms to rdflib terms, as :func:`compact_kg.rdfio.read_turtle` converts
    them (literals as written, canonical language tags), rebased from ``old`` to ``new``;
    IRIs are shared between files, blank nodes are fresh for every file."""

    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new
        self.iris: dict[str, Node] = {}
        self.bnodes: dict[str, BNode] = {}
        self.count = 0

    def term(self, term: Any) -> Node:
        if isinstance(term, ox.NamedNode):
            iri = self.iris.get(term.value)
            if iri is None:
                if not _IRI_OK.fullmatch(term.value):
                    raise ValueError(term.value)
                iri = self.iris[term.value] = _rebase_term(URIRef(term.value), self.old,
                                                           self.new)
            return iri
        if isinstance(term, ox.Literal):
            if term.direction is not None:
                raise ValueError("directional language string")
            if term.language:
                literal = Literal(term.value, lang=canonical_language_tag(term.language),
                                  normalize=False)
            else:
                datatype = term.datatype.value
                literal = Literal(term.value, normalize=False) if datatype == _XSD_STRING \
                    else Literal(term.value, datatype=self.term(term.datatype), normalize=False)
            return _rebase_term(literal, self.old, self.new) if self.old != self.new \
                else literal
        if isinstance(term, ox.BlankNode):
            node = self.bnodes.get(term.value)
            if node is None:  # numbered in reading order, so that pages showing one agree
                self.count += 1
                node = self.bnodes[term.value] = BNode(f"b{self.count}")
            return node
        raise ValueError("RDF 1.2 triple term")


def load_index(paths: ProjectPaths, base: str | None = None) -> IndexedSources:
    """:func:`load_sources` and :meth:`SourceGraphs.union` in one pass, without rdflib stores:
    the same triples (rebased to ``base``), in the same order, as a :class:`TripleIndex`.

    A file that cannot be read or parsed is read again by :func:`read_turtle`, which raises
    the same :class:`InputError` (with line and column) as the plain path.
    """
    base = base or BASE
    if not base.endswith(("/", "#")):
        rebase_graph(Graph(), BASE, base)  # raises the plain path's error
    index = TripleIndex(prefixes(base))
    model = new_graph(base)
    parts: dict[str, list[tuple[Node, Node, Node]]] = {"ontology": [], "data": []}
    convert = _FastConverter(BASE, base)
    model_files = list(paths.model_files())
    if paths.shapes_file.is_file():
        model_files.append(paths.shapes_file)
    for part, files in (("ontology", model_files), ("data", paths.data_files())):
        found = parts[part]
        seen_in_data: set[tuple[Node, Node, Node]] = set()
        for path in files:
            convert.bnodes = {}
            try:
                if path.stat().st_size > MAX_TRUSTED_BYTES:
                    raise ValueError("too large")
                with _quiet_rdflib():
                    for quad in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
                        term = convert.term
                        triple = (term(quad.subject), term(quad.predicate), term(quad.object))
                        if part == "ontology":
                            if triple not in model:
                                model.add(triple)  # type: ignore[arg-type]
                                index.add(triple)
                                found.append(triple)
                        elif index.add(triple):
                            found.append(triple)
                        elif triple in model and triple not in seen_in_data:
                            seen_in_data.add(triple)  # in the model and in the data too
                            found.append(triple)
            except (SyntaxError, ValueError, OSError):
                read_turtle(path)  # raises the plain path's InputError
                raise
    return IndexedSources(index=index, model=model, parts=parts, base=base)
