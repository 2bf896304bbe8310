"""Loading the project's graphs for publishing, and rewriting our namespace to another base.

Two graphs make up what we publish: the *model* (ontology, SKOS vocabularies and, when it
exists, the SHACL shapes) and the *data* (every Turtle file under ``data/``). Both are read
from trusted project files; a file that does not parse raises :class:`InputError` with the
parser's position.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from compact_kg.errors import InputError
from compact_kg.namespace import BASE, bind_prefixes, standard_prefixes
from compact_kg.paths import ProjectPaths
from compact_kg.rdfio import read_turtle_files

__all__ = ["SourceGraphs", "cbd", "is_ours", "load_sources", "prefixes", "rebase_graph"]

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
