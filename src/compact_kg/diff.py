"""What changed between two releases of the graph: added and removed triples by resource.

Each side is a Turtle file or a folder of Turtle files (read recursively). Blank nodes are
matched by canonical labelling (:func:`rdflib.compare.graph_diff`), and a triple whose subject
is a blank node is listed under the IRI that refers to that blank node.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import graph_diff, to_isomorphic
from rdflib.namespace import DCTERMS, RDFS, SKOS
from rdflib.term import Node

from compact_kg.errors import InputError
from compact_kg.graphs import new_graph
from compact_kg.namespace import BASE

__all__ = ["GraphDiff", "ResourceChange", "diff_graphs", "read_turtle_tree"]

Triple = tuple[Node, Node, Node]


def read_turtle_tree(path: Path) -> Graph:
    """One graph from a Turtle file, or from every ``*.ttl`` under a folder."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.rglob("*.ttl"))
    elif path.is_file():
        files = [path]
    else:
        raise InputError("no such file or folder", path=path,
                         hint="Give two Turtle files or two folders of Turtle files.")
    graph = new_graph(BASE)
    for file in files:
        try:
            graph.parse(data=file.read_bytes(), format="turtle", publicID=file.as_uri())
        except Exception as error:  # rdflib raises many unrelated types on bad Turtle
            raise InputError(f"not valid Turtle ({type(error).__name__}: {error})", path=file,
                             hint="Fix the file or compare another release.") from error
    return graph


@dataclass
class ResourceChange:
    """The triples added and removed about one resource."""

    resource: str
    label: str | None
    added: list[Triple] = field(default_factory=list)
    removed: list[Triple] = field(default_factory=list)


@dataclass
class GraphDiff:
    """The difference between two graphs, grouped by subject resource."""

    changes: list[ResourceChange]
    unchanged: int

    @property
    def added(self) -> int:
        return sum(len(c.added) for c in self.changes)

    @property
    def removed(self) -> int:
        return sum(len(c.removed) for c in self.changes)

    def render(self, graph_for_names: Graph | None = None) -> str:
        """A plain-text report: one block per resource, ``+`` added, ``-`` removed."""
        names = graph_for_names or new_graph(BASE)
        lines = [f"{self.added} triples added, {self.removed} removed, "
                 f"{self.unchanged} unchanged, {len(self.changes)} resources changed"]
        for change in self.changes:
            heading = change.resource + (f"  ({change.label})" if change.label else "")
            lines.append("")
            lines.append(heading)
            for sign, triples in (("-", change.removed), ("+", change.added)):
                for s, p, o in triples:
                    subject = "" if s == URIRef(change.resource) else f"[{_n3(s, names)}] "
                    lines.append(f"  {sign} {subject}{_n3(p, names)} {_n3(o, names)}")
        return "\n".join(lines)


def _n3(node: Node, graph: Graph) -> str:
    if isinstance(node, BNode):
        return "_:b"
    return node.n3(graph.namespace_manager)


def _label(graph: Graph, node: Node) -> str | None:
    for predicate in (RDFS.label, SKOS.prefLabel, DCTERMS.title):
        value = next(graph.objects(node, predicate), None)  # type: ignore[arg-type]
        if isinstance(value, Literal):
            return str(value)
    return None


def _owner(graph: Graph, node: Node, seen: frozenset[Node] = frozenset()) -> Node:
    """The IRI a blank node hangs from (itself if it is not a blank node)."""
    if not isinstance(node, BNode) or node in seen:
        return node
    for parent in graph.subjects(None, node):
        owner = _owner(graph, parent, seen | {node})
        if not isinstance(owner, BNode):
            return owner
    return node


def diff_graphs(old_path: Path, new_path: Path) -> GraphDiff:
    """Compare two releases (Turtle files or folders) and group the changes by resource."""
    old = to_isomorphic(read_turtle_tree(old_path))
    new = to_isomorphic(read_turtle_tree(new_path))
    both, only_old, only_new = graph_diff(old, new)
    grouped: dict[Node, ResourceChange] = {}
    by_owner: dict[Node, list[tuple[str, Triple]]] = defaultdict(list)
    for side, graph in (("removed", only_old), ("added", only_new)):
        for triple in sorted(graph):
            by_owner[_owner(graph, triple[0])].append((side, triple))
    for owner in sorted(by_owner, key=str):
        label = _label(new, owner) or _label(old, owner)
        change = grouped.setdefault(owner, ResourceChange(
            str(owner) if not isinstance(owner, BNode) else "(blank node)", label))
        for side, triple in by_owner[owner]:
            getattr(change, side).append(triple)
    return GraphDiff(changes=list(grouped.values()), unchanged=len(both))
