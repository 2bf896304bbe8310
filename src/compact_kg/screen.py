"""Screen a whole dataset for SHACL problems on Oxigraph, then let pySHACL confirm them.

pySHACL checks every focus node one at a time in Python: at 10^4 case studies that is minutes.
Almost every node conforms, so this module first asks, with a few SPARQL queries over an
Oxigraph store of the whole dataset, which focus nodes *may* fail a shape (the candidates), and
then runs pySHACL only on the files that describe the candidates, with their neighbourhood
(``compact_kg.scale``'s partitioned validation, which gives exactly the whole-graph results
for the subjects of those files). The report is therefore pySHACL's own, result for result.

The screen must never miss a failing node; it may flag too many. Each shape is compiled into a
SPARQL boolean expression, "this node may fail", following the constraint components' meaning
in SHACL and pySHACL:

- counting, class, node kind, value, uniqueness, equality and logical components are
  compiled exactly;
- components that compare values (datatype, pattern, minInclusive/maxInclusive,
  lessThanOrEquals) are decided in Python, with pySHACL's own rules, on the distinct values
  the data holds; the failing values (usually none) go into the query as a list;
- SPARQL-based constraints run once over the store with ``$this`` unbound and are joined
  with the shape's targets; they must compare literals through ``STR()`` (ours do), since
  the store keeps literals as written (see below);
- anything else (an unknown component, ``sh:not`` of a shape that is not compiled exactly)
  makes every target a candidate: slower, never wrong.

The store keeps literals exactly as written: Oxigraph stores numbers, booleans and derived
integer types canonically (``"1.0"^^xsd:decimal`` becomes ``"1"``, ``xsd:positiveInteger``
becomes ``xsd:integer``), which would change counts and datatypes, so every literal whose
datatype is not ``xsd:string`` is stored with the datatype ``urn:compact-kg:datatype:<IRI>``,
which Oxigraph leaves alone.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD
from rdflib.term import Node

__all__ = ["EncodedDataset", "Screen", "candidates"]

#: Prefix of the datatype IRIs under which literals are stored as written.
ENCODED = "urn:compact-kg:datatype:"
_XSD_STRING = str(XSD.string)
_RDF_LANGSTRING = str(RDF.langString)
_IRI_OK = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>\"{}|^`\\\x7f]*")

#: Parameters of a shape that are not constraints (they change no verdict).
_NOT_CONSTRAINTS = {
    RDF.type, RDFS.label, RDFS.comment, SH.message, SH.severity, SH.name, SH.description,
    SH.order, SH.group, SH.defaultValue, SH.targetClass, SH.targetSubjectsOf,
    SH.targetObjectsOf, SH.targetNode, SH.path, SH.deactivated, SH.prefixes, SH.declare,
}


#: The graph in which long lists of failing values are written while screening.
_LISTS = ox.NamedNode("urn:compact-kg:screen")
_MEMBER = ox.NamedNode("urn:compact-kg:screen:member")


def _graph(index: int) -> ox.NamedNode:
    return ox.NamedNode(f"urn:compact-kg:file:{index}")


class EncodedDataset:
    """Every file in a named graph of its own (``urn:compact-kg:file:N``), literals as written.

    ``files[N]`` is the file of graph N. A file that pyoxigraph cannot parse, or that holds a
    term the project's reader refuses, is read again with :func:`compact_kg.rdfio.read_turtle`
    so that the error is exactly the plain path's.
    """

    def __init__(self, files: Sequence[Path]) -> None:
        self.files = [Path(f) for f in files]
        self.store = ox.Store()
        seen: set[str] = set()
        from compact_kg.rdfio import MAX_TRUSTED_BYTES

        for index, path in enumerate(self.files):
            try:
                if path.stat().st_size > MAX_TRUSTED_BYTES:
                    raise ValueError("too large")
                quads = self._encode(path, _graph(index), seen)
            except (SyntaxError, OSError, ValueError):
                from compact_kg.rdfio import read_turtle

                read_turtle(path)  # raises the plain path's InputError
                raise
            self.store.bulk_extend(quads)

    @staticmethod
    def _encode(path: Path, graph: ox.NamedNode, seen: set[str]) -> list[ox.Quad]:
        quads = []
        literal, named = ox.Literal, ox.NamedNode
        for quad in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
            subject, predicate, obj = quad.subject, quad.predicate, quad.object
            for term in (subject, predicate, obj):
                kind = type(term)
                if kind is named:
                    if term.value not in seen:
                        if not _IRI_OK.fullmatch(term.value):
                            raise ValueError(term.value)
                        seen.add(term.value)
                elif kind is not ox.BlankNode and kind is not literal:
                    raise ValueError("triple term")
            if type(obj) is literal:
                if obj.language:
                    if obj.direction is not None:
                        raise ValueError("directional language string")
                elif obj.datatype.value != _XSD_STRING:
                    obj = literal(obj.value, datatype=named(ENCODED + obj.datatype.value))
            quads.append(ox.Quad(subject, predicate, obj, graph))
        return quads

    def describing(self, term: Node) -> set[int]:
        """Indexes of the files in which ``term`` is a subject."""
        quads = self.store.quads_for_pattern(_to_ox(term), None, None, None)
        return {int(q.graph_name.value.rsplit(":", 1)[1]) for q in quads}


def _to_ox(term: Node) -> Any:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    assert isinstance(term, Literal)
    if term.language:
        return ox.Literal(str(term), language=term.language)
    if term.datatype is None or str(term.datatype) == _XSD_STRING:
        return ox.Literal(str(term))
    return ox.Literal(str(term), datatype=ox.NamedNode(ENCODED + str(term.datatype)))


def _to_rdflib(term: Any) -> Node:
    """A stored term as the project's reader makes it (``rdfio._Converter``)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        from compact_kg.rdfio import canonical_language_tag

        return Literal(term.value, lang=canonical_language_tag(term.language), normalize=False)
    datatype = term.datatype.value
    if datatype.startswith(ENCODED):
        return Literal(term.value, datatype=URIRef(datatype[len(ENCODED):]), normalize=False)
    return Literal(term.value, normalize=False)


def _sparql(term: Any) -> str:
    """A stored term written in SPARQL."""
    return str(term)


# ---------------------------------------------------------------------------------------
# Per-value checks, with pySHACL's rules
# ---------------------------------------------------------------------------------------


def _datatype_ok(value: Literal, rule: URIRef) -> bool:
    """pySHACL 0.40's DatatypeConstraintComponent for one literal whose datatype is ``rule``."""
    from datetime import date, datetime, time
    from decimal import Decimal

    if getattr(value, "ill_typed", None) is True:
        return False
    python = value.value
    if rule in (XSD.string, RDF.langString):
        return isinstance(python, str | bytes)
    checks: dict[URIRef, type | tuple[type, ...]] = {
        XSD.integer: int, XSD.float: float, XSD.decimal: Decimal, XSD.boolean: bool,
        XSD.date: date, XSD.time: time, XSD.dateTime: datetime,
    }
    wanted = checks.get(rule)
    return True if wanted is None else isinstance(python, wanted)


def _range_ok(value: Node, bound: Literal, test: str) -> bool:
    """pySHACL 0.40's min/max Inclusive/Exclusive rule for one value."""
    from pyshacl.rdfutil.compare import compare_literal

    if not isinstance(value, Literal):
        return False
    bound_is_string = isinstance(bound.value, str)
    if bound_is_string != isinstance(value.value, str):
        return False
    try:
        cmp = compare_literal(value, bound)
    except (TypeError, NotImplementedError):
        return False
    return {"minInclusive": cmp >= 0, "maxInclusive": cmp <= 0,
            "minExclusive": cmp > 0, "maxExclusive": cmp < 0}[test]


def _ltoe_ok(value: Node, other: Node) -> bool:
    """pySHACL 0.40's lessThanOrEquals for one pair (value, other)."""
    def plain(node: Node) -> tuple[bool, Any]:
        if isinstance(node, URIRef):
            return True, str(node)
        if isinstance(node, Literal) and isinstance(node.value, str):
            return True, node.value
        return False, node

    value_is_string, left = plain(value)
    other_is_string, right = plain(other)
    if value_is_string != other_is_string:
        return False
    try:
        return bool(left <= right)
    except TypeError:
        return False


# ---------------------------------------------------------------------------------------
# Compiling shapes into "may fail" expressions
# ---------------------------------------------------------------------------------------

_TRUE = ("true", False)
Walk = Callable[[str, str], str]


class Screen:
    """The shapes of ``shapes`` compiled into queries over an :class:`EncodedDataset`."""

    def __init__(self, shapes: Graph, dataset: EncodedDataset) -> None:
        self.shapes = shapes
        self.dataset = dataset
        self.store = dataset.store
        self._names = itertools.count()
        self._typed_values: dict[str, list[Any]] | None = None
        self._classes: dict[Node, str] = {}
        self._ill_typed: dict[Node, list[Any]] = {}
        # SHACL-SPARQL constraint components take parameters outside the sh: namespace
        self._custom_components = any(True for _ in shapes.triples((None, SH.parameter, None)))

    # -- helpers ---------------------------------------------------------------------------

    def _var(self) -> str:
        return f"?v{next(self._names)}"

    def _select(self, query: str) -> list[Any]:
        return list(self.store.query(query, use_default_graph_as_union=True))

    def _path(self, path: Node) -> Walk | None:
        """A SHACL path as a function writing the pattern "``s`` reaches ``o``", or None if
        it cannot be written. Sequences become chains of triple patterns with fresh
        variables: Oxigraph evaluates a sequence path inside NOT EXISTS from its unbound end,
        once per row."""
        shapes = self.shapes
        if isinstance(path, URIRef):
            return lambda s, o: f"{s} <{path}> {o}"
        if shapes.value(path, RDF.first) is not None:
            steps = [self._path(step) for step in Collection(shapes, path)]
            if not steps or any(step is None for step in steps):
                return None

            def chain(s: str, o: str) -> str:
                names = [s, *(self._var() for _ in steps[1:]), o]
                return " . ".join(step(a, b) for step, a, b  # type: ignore[misc]
                                  in zip(steps, names, names[1:], strict=False))
            return chain
        inverse = shapes.value(path, SH.inversePath)
        if inverse is not None:
            inner = self._path(inverse)
            return None if inner is None else (lambda s, o: inner(o, s))
        for predicate, mark in ((SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"),
                                (SH.zeroOrOnePath, "?")):
            inner_node = shapes.value(path, predicate)
            if inner_node is not None:
                if not isinstance(inner_node, URIRef):
                    return None
                return lambda s, o, p=inner_node, m=mark: f"{s} <{p}>{m} {o}"
        alternatives = shapes.value(path, SH.alternativePath)
        if alternatives is not None:
            steps = [self._path(step) for step in Collection(shapes, alternatives)]
            if not steps or any(step is None for step in steps):
                return None
            return lambda s, o: "{ " + " UNION ".join(
                "{ " + step(s, o) + " }" for step in steps) + " }"  # type: ignore[misc]
        return None

    def _values_list(self, terms: Iterable[Any]) -> str:
        return " ".join(_sparql(t) for t in terms)

    def _in(self, var: str, terms: list[Any]) -> str:
        """``var`` is one of ``terms`` (by term identity). Long lists are written into a graph
        of their own and looked up there (an index look-up instead of a scan per row)."""
        if not terms:
            return "false"
        if len(terms) <= 8 and not any(isinstance(t, ox.BlankNode) for t in terms):
            return "(" + " || ".join(f"sameTerm({var}, {_sparql(t)})" for t in terms) + ")"
        name = ox.NamedNode(f"{_LISTS.value}:{next(self._names)}")
        self.store.extend(ox.Quad(name, _MEMBER, t, _LISTS) for t in terms)
        return f"EXISTS {{ GRAPH {_LISTS} {{ {name} {_MEMBER} {var} }} }}"

    def _instance_of(self, x: str, cls: Node) -> str:
        """A pattern: ``x`` is an instance of ``cls`` (rdf:type/rdfs:subClassOf*), with the
        subclasses listed once, which Oxigraph answers much faster than the path."""
        known = self._classes.get(cls)
        if known is None:
            rows = self._select(f"SELECT DISTINCT ?c WHERE {{ ?c <{RDFS.subClassOf}>* "
                                f"{_sparql(_to_ox(cls))} }}")
            if isinstance(cls, URIRef) and not any(isinstance(r[0], ox.BlankNode) for r in rows):
                terms = {f"<{cls}>"} | {_sparql(row[0]) for row in rows}
                known = " ".join(sorted(terms))
            else:
                known = ""
            self._classes[cls] = known
        if not known:
            return f"{x} <{RDF.type}>/<{RDFS.subClassOf}>* {_sparql(_to_ox(cls))}"
        t = self._var()
        return f"VALUES {t} {{ {known} }} {x} <{RDF.type}> {t}"

    def _distinct_values(self, domain: str, var: str) -> list[Any]:
        return [row[0] for row in self._select(f"SELECT DISTINCT {var} WHERE {{ {domain} }}")]

    # -- shapes ----------------------------------------------------------------------------

    def fails(self, shape: Node, x: str, domain: str) -> tuple[str, bool]:
        """A SPARQL expression true for every ``x`` that may fail ``shape``, and whether it is
        true for exactly those. ``domain`` is a pattern binding ``x`` to at least every node
        the shape will be checked on."""
        shapes = self.shapes
        if (shape, SH.deactivated, Literal(True)) in shapes:
            return "false", True
        parts: list[str] = []
        exact = True
        path_node = shapes.value(shape, SH.path)
        path = None
        if path_node is not None:
            path = self._path(path_node)
            if path is None:
                return _TRUE
        for predicate, value in shapes.predicate_objects(shape):
            if predicate in _NOT_CONSTRAINTS or (
                    not str(predicate).startswith(str(SH)) and not self._custom_components):
                continue  # an annotation: only sh: parameters (or declared ones) constrain
            if path is None:
                part = self._on_value(predicate, value, x, domain, shape)
            else:
                part = self._on_values(predicate, value, x, path, domain, shape)
            if part is None:
                return _TRUE
            text, part_exact = part
            parts.append(text)
            exact = exact and part_exact
        if not parts:
            return "false", exact
        return "(" + " || ".join(f"COALESCE({p}, true)" for p in parts) + ")", exact

    def _on_values(self, predicate: Node, value: Node, x: str, path: Walk, domain: str,
                   shape: Node) -> tuple[str, bool] | None:
        """A component of a property shape: over the value nodes of ``path``."""
        if predicate == SH.minCount:
            count = int(value)
            if count <= 0:
                return "false", True
            if count == 1:
                return f"NOT EXISTS {{ {path(x, self._var())} }}", True
            return None
        if predicate == SH.maxCount:
            count = int(value)
            names = [self._var() for _ in range(count + 1)]
            pattern = " . ".join(f"{path(x, n)}" for n in names)
            distinct = " && ".join(f"!sameTerm({a}, {b})"
                                   for a, b in itertools.combinations(names, 2)) or "true"
            return f"EXISTS {{ {pattern} FILTER ({distinct}) }}", True
        if predicate == SH.hasValue:
            return f"NOT EXISTS {{ {path(x, _sparql(_to_ox(value)))} }}", True
        if predicate == SH.uniqueLang:
            if value != Literal(True):
                return "false", True
            a, b = self._var(), self._var()
            return (f"EXISTS {{ {path(x, a)} . {path(x, b)} FILTER (isLiteral({a}) "
                    f"&& LANG({a}) != \"\" && LCASE(LANG({a})) = LCASE(LANG({b})) "
                    f"&& !sameTerm({a}, {b})) }}"), True
        if predicate == SH.equals:
            # Compared in Python: inside NOT EXISTS Oxigraph would walk the path from its
            # unbound end, once per row.
            a = self._var()
            mine = {tuple(row) for row in self._select(
                f"SELECT DISTINCT {x} {a} WHERE {{ {domain} . {path(x, a)} }}")}
            theirs = {tuple(row) for row in self._select(
                f"SELECT DISTINCT {x} {a} WHERE {{ {domain} . {x} <{value}> {a} }}")}
            return self._in(x, sorted({pair[0] for pair in mine ^ theirs}, key=str)), True
        if predicate == SH.lessThanOrEquals:
            return self._pairs(x, path, value, domain)
        if predicate == SH.property:
            v = self._var()
            inner, exact = self.fails(value, v, f"{domain} . {path(x, v)}")
            return f"EXISTS {{ {path(x, v)} FILTER ({inner}) }}", exact
        if predicate == SH.qualifiedValueShape:
            # Only "at least one value conforms to it" (qualifiedMinCount 1, no maximum, not
            # disjoint) is screened; any other use is left to pySHACL.
            least = self.shapes.value(shape, SH.qualifiedMinCount)
            if (least is None or int(least) != 1
                    or self.shapes.value(shape, SH.qualifiedMaxCount) is not None
                    or self.shapes.value(shape, SH.qualifiedValueShapesDisjoint) == Literal(True)):
                return None
            v = self._var()
            inner, exact = self.fails(value, v, f"{domain} . {path(x, v)}")
            if not exact:
                return None
            return f"NOT EXISTS {{ {path(x, v)} FILTER (!(COALESCE({inner}, true))) }}", True
        if predicate in (SH.qualifiedMinCount, SH.qualifiedMaxCount,
                         SH.qualifiedValueShapesDisjoint):
            return "false", True  # read with sh:qualifiedValueShape
        # every other component applies to each value node on its own
        v = self._var()
        inner = self._on_value(predicate, value, v, f"{domain} . {path(x, v)}", shape)
        if inner is None:
            return None
        return f"EXISTS {{ {path(x, v)} FILTER (COALESCE({inner[0]}, true)) }}", inner[1]

    def _on_value(self, predicate: Node, value: Node, v: str, domain: str,
                  shape: Node) -> tuple[str, bool] | None:
        """A component that checks one node ``v`` (a focus node or a value node)."""
        shapes = self.shapes
        if predicate == SH["class"]:
            return f"(isLiteral({v}) || NOT EXISTS {{ {self._instance_of(v, value)} }})", True
        if predicate == SH.nodeKind:
            kinds = {SH.IRI: "!isIRI({v})", SH.Literal: "!isLiteral({v})",
                     SH.BlankNode: "!isBlank({v})", SH.BlankNodeOrIRI: "isLiteral({v})",
                     SH.BlankNodeOrLiteral: "isIRI({v})", SH.IRIOrLiteral: "isBlank({v})"}
            return (kinds[value].format(v=v), True) if value in kinds else None
        if predicate == SH.datatype:
            return self._datatype(v, value)
        if predicate == SH.hasValue and shapes.value(shape, SH.path) is None:
            return f"!sameTerm({v}, {_sparql(_to_ox(value))})", True
        if predicate in (SH.minInclusive, SH.maxInclusive, SH.minExclusive, SH.maxExclusive):
            test = str(predicate).rsplit("#", 1)[1]
            bad = [t for t in self._distinct_values(domain, v)
                   if not _range_ok(_to_rdflib(t), value, test)]
            return self._in(v, bad), True
        if predicate == SH.pattern:
            flags = shapes.value(shape, SH.flags)
            regex = re.compile(str(value), _re_flags(str(flags or "")))
            bad = [t for t in self._distinct_values(domain, v)
                   if isinstance(t, ox.BlankNode) or not regex.search(str(_to_rdflib(t)))]
            return self._in(v, bad), True
        if predicate == SH.flags:
            return "false", True  # read with sh:pattern
        if predicate == SH["in"]:
            members = list(Collection(shapes, value))
            if not all(isinstance(m, URIRef) for m in members):
                return None  # literals are stored encoded: leave the comparison to pySHACL
            return ("(" + (" && ".join(f"!sameTerm({v}, <{m}>)" for m in members) or "true")
                    + ")"), True
        if predicate == SH.node:
            return self.fails(value, v, domain)
        if predicate == SH.property:
            return self.fails(value, v, domain)
        if predicate in (SH["or"], SH["and"], SH.xone):
            members = [self.fails(m, v, domain) for m in Collection(shapes, value)]
            if predicate == SH["or"]:
                return ("(" + " && ".join(f"COALESCE({m}, true)" for m, _ in members) + ")"
                        if members else "true"), all(e for _, e in members)
            if predicate == SH["and"]:
                return ("(" + " || ".join(f"COALESCE({m}, true)" for m, _ in members) + ")"
                        if members else "false"), all(e for _, e in members)
            if not all(e for _, e in members):
                return _TRUE
            total = " + ".join(f"IF(COALESCE({m}, true), 0, 1)" for m, _ in members) or "0"
            return f"(({total}) != 1)", True
        if predicate == SH["not"]:
            inner, exact = self.fails(value, v, domain)
            return (f"!(COALESCE({inner}, true))", True) if exact else _TRUE
        return None

    def _datatype(self, v: str, rule: Node) -> tuple[str, bool] | None:
        if not isinstance(rule, URIRef) or rule in (RDFS.Literal, RDFS.Datatype):
            return None
        stored = str(rule) if str(rule) in (_XSD_STRING, _RDF_LANGSTRING) else ENCODED + str(rule)
        bad = self._ill_typed.get(rule)
        if bad is None:
            bad = self._ill_typed[rule] = [t for t in self._typed().get(stored, [])
                                           if not _datatype_ok(_to_rdflib(t), rule)]  # type: ignore[arg-type]
        return (f"(!isLiteral({v}) || DATATYPE({v}) != <{stored}> || {self._in(v, bad)})",
                True)

    def _typed(self) -> dict[str, list[Any]]:
        """The distinct literals of the store whose checks can fail, by stored datatype."""
        if self._typed_values is None:
            self._typed_values = typed_literals(self.dataset)
        return self._typed_values

    def _pairs(self, x: str, path: Walk, other: Node, domain: str) -> tuple[str, bool] | None:
        a, b = self._var(), self._var()
        rows = self._select(f"SELECT DISTINCT {a} {b} WHERE {{ {domain} . {path(x, a)} . "
                            f"{x} <{other}> {b} }}")
        if any(isinstance(t, ox.BlankNode) for row in rows for t in row):
            return None  # pySHACL stops with an error: let it say so
        bad = [row for row in rows if not _ltoe_ok(_to_rdflib(row[0]), _to_rdflib(row[1]))]
        if not bad:
            return "false", True
        values = " ".join(f"({_sparql(r[0])} {_sparql(r[1])})" for r in bad)
        return (f"EXISTS {{ VALUES ({a} {b}) {{ {values} }} {path(x, a)} . "
                f"{x} <{other}> {b} }}"), True

    # -- targets and SPARQL constraints ----------------------------------------------------

    def targets(self, shape: Node, x: str) -> str | None:
        """A pattern binding ``x`` to the shape's focus nodes; None when it has none."""
        shapes = self.shapes
        branches = []
        classes = list(shapes.objects(shape, SH.targetClass))
        if (shape, RDF.type, RDFS.Class) in shapes or (shape, RDF.type, URIRef(
                "http://www.w3.org/2002/07/owl#Class")) in shapes:
            classes.append(shape)
        for cls in classes:
            branches.append(self._instance_of(x, cls))
        for predicate in shapes.objects(shape, SH.targetSubjectsOf):
            branches.append(f"{x} <{predicate}> {self._var()}")
        for predicate in shapes.objects(shape, SH.targetObjectsOf):
            branches.append(f"{self._var()} <{predicate}> {x}")
        nodes = list(shapes.objects(shape, SH.targetNode))
        if nodes:
            branches.append(f"VALUES {x} {{ {self._values_list(map(_to_ox, nodes))} }}")
        if not branches:
            return None
        return " UNION ".join(f"{{ {b} }}" for b in branches)

    def _sparql_constraint(self, shape: Node, constraint: Node) -> set[Any] | None:
        """The ``$this`` of every row of a SPARQL-based constraint, or None if it cannot run
        here."""
        shapes = self.shapes
        select = shapes.value(constraint, SH.select)
        if select is None or (constraint, SH.deactivated, Literal(True)) in shapes:
            return None if select is None else set()
        text = str(select)
        if any(name in text for name in ("$PATH", "$currentShape", "$shapesGraph", "$value")) \
                or re.search(r"\b(SERVICE|LOAD)\b", text, re.IGNORECASE):
            return None  # pySHACL substitutes these; and no network access from here
        prefixes = []
        for declared in shapes.objects(constraint, SH.prefixes):
            for declaration in shapes.objects(declared, SH.declare):
                prefix = shapes.value(declaration, SH.prefix)
                namespace = shapes.value(declaration, SH.namespace)
                prefixes.append(f"PREFIX {prefix}: <{namespace}>")
        query = "\n".join(prefixes) + "\n" + text.replace("$this", "?this")
        try:
            return {row["this"] for row in self._select(query) if row["this"] is not None}
        except (SyntaxError, ValueError, OSError):
            return None


def _re_flags(flags: str) -> int:
    value = 0
    for flag, bit in (("i", re.IGNORECASE), ("m", re.MULTILINE), ("s", re.DOTALL),
                      ("x", re.VERBOSE)):
        if flag in flags:
            value |= bit
    return value


def typed_literals(dataset: EncodedDataset) -> dict[str, list[Any]]:
    """The distinct literals of the store with a datatype other than xsd:string, by stored
    datatype (what sh:datatype checks can find ill-typed)."""
    found: dict[str, list[Any]] = {}
    for row in dataset.store.query(
            "SELECT DISTINCT ?o WHERE { ?s ?p ?o FILTER (isLiteral(?o) && "
            f"STRSTARTS(STR(DATATYPE(?o)), \"{ENCODED}\")) }}", use_default_graph_as_union=True):
        found.setdefault(row[0].datatype.value, []).append(row[0])
    return found


def candidates(shapes: Graph, dataset: EncodedDataset, shard: tuple[int, int] = (0, 1),
               typed: dict[str, list[Any]] | None = None) -> set[Any]:
    """Every focus node of ``dataset`` that may fail a shape (pyoxigraph terms).

    ``shard=(k, n)`` screens only every n-th shape from the k-th, so that n processes can
    share the work; the union over k is the whole answer. ``typed`` is
    :func:`typed_literals` of the dataset, if already known.
    """
    screen = Screen(shapes, dataset)
    screen._typed_values = typed
    found: set[Any] = set()
    roots: set[Node] = set()
    for predicate in (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode):
        roots.update(shapes.subjects(predicate, None))
    for kind in (SH.NodeShape, SH.PropertyShape, RDFS.Class):
        roots.update(shapes.subjects(RDF.type, kind))
    for number, shape in enumerate(sorted(roots, key=str)):
        if number % shard[1] != shard[0] or (shape, SH.deactivated, Literal(True)) in shapes:
            continue
        targets = screen.targets(shape, "?this")
        if targets is None:
            continue
        sparql = list(shapes.objects(shape, SH.sparql))
        expression, _exact = screen.fails(shape, "?this", targets) if not sparql else \
            _without_sparql(screen, shape, targets)
        if expression != "false":
            rows = screen._select(f"SELECT DISTINCT ?this WHERE {{ {{ {targets} }} "
                                  f"FILTER ({expression}) }}")
            found.update(row[0] for row in rows)
        if sparql:
            focus = {row[0] for row in screen._select(
                f"SELECT DISTINCT ?this WHERE {{ {targets} }}")}
            for constraint in sparql:
                flagged = screen._sparql_constraint(shape, constraint)
                found.update(focus if flagged is None else flagged & focus)
    dataset.store.clear_graph(_LISTS)
    return found


def _without_sparql(screen: Screen, shape: Node, targets: str) -> tuple[str, bool]:
    """The shape's expression with its sh:sparql constraints left out (they run apart)."""
    copy = Graph()
    for triple in screen.shapes:
        if not (triple[0] == shape and triple[1] == SH.sparql):
            copy.add(triple)
    inner = Screen(copy, screen.dataset)
    inner._typed_values = screen._typed_values
    inner._ill_typed = screen._ill_typed
    inner._names = screen._names
    return inner.fails(shape, "?this", targets)
