"""What changed between two releases of the graph: added and removed triples by resource.

Each side is a Turtle file or a folder of Turtle files (read recursively). A triple whose
subject is a blank node is listed under the IRI that refers to that blank node, and blank-node
structures are compared up to renaming (:func:`rdflib.compare.isomorphic`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, RDFS, SKOS
from rdflib.term import Node

from compact_kg.errors import InputError
from compact_kg.graphs import new_graph
from compact_kg.namespace import BASE
from compact_kg.rdfio import read_turtle_files

__all__ = ["GraphDiff", "ResourceChange", "compare_graphs", "diff_graphs", "read_turtle_tree"]

Triple = tuple[Node, Node, Node]
UNATTACHED = Literal("(blank nodes not attached to any resource)")


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
    return read_turtle_files(files, new_graph(BASE))


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


def _bnode_parts(graph: Graph) -> tuple[set[Triple], dict[Node, Graph]]:
    """The triples without blank nodes, and, per resource, the triples that reach blank nodes
    from it (its blank-node closure) as a small graph."""
    ground: set[Triple] = set()
    parts: dict[Node, Graph] = defaultdict(Graph)
    reached: set[Node] = set()
    for triple in graph:
        s, _, o = triple
        if isinstance(s, BNode):
            continue
        if isinstance(o, BNode):
            part = parts[s]
            part.add(triple)
            todo, seen = [o], set()
            while todo:
                node = todo.pop()
                if node in seen:
                    continue
                seen.add(node)
                reached.add(node)
                for inner in graph.triples((node, None, None)):
                    part.add(inner)
                    if isinstance(inner[2], BNode):
                        todo.append(inner[2])
        else:
            ground.add(triple)
    for triple in graph:
        if isinstance(triple[0], BNode) and triple[0] not in reached:
            parts[UNATTACHED].add(triple)
    return ground, parts


def diff_graphs(old_path: Path, new_path: Path) -> GraphDiff:
    """Compare two releases (Turtle files or folders) and group the changes by resource.

    Triples without blank nodes are compared one by one. The blank-node structure hanging
    from a resource is compared as a whole, up to blank-node renaming: when it differs, all
    of its old triples are listed as removed and all of its new ones as added.
    """
    return compare_graphs(read_turtle_tree(old_path), read_turtle_tree(new_path))


def compare_graphs(old: Graph, new: Graph) -> GraphDiff:
    """:func:`diff_graphs` for two graphs already read (``old`` empty: everything ``new``
    would add)."""
    old_ground, old_parts = _bnode_parts(old)
    new_ground, new_parts = _bnode_parts(new)
    by_owner: dict[Node, ResourceChange] = {}

    def change(owner: Node) -> ResourceChange:
        if owner not in by_owner:
            by_owner[owner] = ResourceChange(str(owner), _label(new, owner) or _label(old, owner))
        return by_owner[owner]

    for triple in sorted(old_ground - new_ground):
        change(triple[0]).removed.append(triple)
    for triple in sorted(new_ground - old_ground):
        change(triple[0]).added.append(triple)
    unchanged = len(old_ground & new_ground)
    for owner in set(old_parts) | set(new_parts):
        before, after = old_parts.get(owner, Graph()), new_parts.get(owner, Graph())
        if len(before) == len(after) and isomorphic(before, after):
            unchanged += len(before)
            continue
        change(owner).removed.extend(sorted(before))
        change(owner).added.extend(sorted(after))
    return GraphDiff(changes=[by_owner[k] for k in sorted(by_owner, key=str)],
                     unchanged=unchanged)
