"""Validate compact-kg data against the SHACL shapes in ``ontology/shapes.ttl``.

The library API::

    validate_graph(data, shapes=..., ontology=...)     one rdflib graph
    validate_dataset(paths)                            ontology + vocabularies + data/**/*.ttl
    validate_in_context(data, context=..., shapes=...) a submission, the dataset as context
    validate_files([path, ...], paths=...)             some files, the dataset as context
    format_report(report, "text" | "json" | "turtle")  the report as text

Trust boundary: the shapes are always a separate, trusted graph; they are never read from the
data. pySHACL runs with no inference and without SHACL-AF features (``advanced=False``), so no
``sh:SPARQLTarget`` or rule from anywhere is executed. The ontology and the SKOS vocabularies are
merged into a private copy of the data graph, so that ``sh:class`` sees the class hierarchy and the
shapes can check ``skos:inScheme``; the caller's graphs are never modified.

``validate_dataset`` also runs every ``queries/*-violation.rq`` (a SPARQL SELECT that must return
no rows); each row becomes a violation whose rule is the query's ``#+ title:``. It and
``validate_files`` report every literal not written as its XSD datatype requires
(:mod:`compact_kg.literals`), at its file, line and column.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal as TypingLiteral

import pyoxigraph
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, ORG, OWL, PROV, RDF, RDFS, SH, SKOS, XSD, NamespaceManager
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query
from rdflib.query import Result
from rdflib.term import Node

from compact_kg.errors import CompactKGError, InputError, QueryError
from compact_kg.namespace import BASE, CKG
from compact_kg.paths import ProjectPaths, default_paths
from compact_kg.rdfio import read_turtle, read_turtle_files
from compact_kg.store import dataset_files, load_store

__all__ = [
    "SEVERITIES",
    "SUMMARY_KEYS",
    "ValidationReport",
    "ValidationResult",
    "format_report",
    "load_model",
    "load_shapes",
    "read_turtle",
    "validate_dataset",
    "validate_files",
    "validate_graph",
    "validate_in_context",
]

Severity = TypingLiteral["Violation", "Warning", "Info"]
ReportFormat = TypingLiteral["text", "json", "turtle"]

#: The SHACL severities, most serious first.
SEVERITIES: tuple[Severity, ...] = ("Violation", "Warning", "Info")

SHAPES = Namespace(BASE + "shapes/")
#: Violation queries are named ``{BASE}queries/{file stem}`` in results and reports.
QUERIES = Namespace(BASE + "queries/")
#: Seconds a violation query may run before it is stopped and reported.
VIOLATION_QUERY_TIMEOUT = 60.0

#: Largest Turtle file read, in bytes (the whole dataset is a few hundred kilobytes).

#: What :attr:`ValidationReport.summary` counts: key, class, singular, plural.
_SUMMARY: tuple[tuple[str, URIRef, str, str], ...] = (
    ("case_studies", CKG.CaseStudy, "case study", "case studies"),
    ("areas", CKG.Area, "area", "areas"),
    ("councils", CKG.Council, "council", "councils"),
    ("organisations", ORG.Organization, "organisation", "organisations"),
    ("mechanisms", CKG.Mechanism, "mechanism", "mechanisms"),
    ("outcomes", CKG.Outcome, "outcome", "outcomes"),
    ("measurements", CKG.Measurement, "measurement", "measurements"),
    ("events", CKG.Event, "event", "events"),
)
SUMMARY_KEYS: tuple[str, ...] = tuple(key for key, *_ in _SUMMARY)

_PREFIXES: dict[str, str] = {
    "ckg": str(CKG._NS),
    "shapes": str(SHAPES),
    "dcterms": str(DCTERMS),
    "org": str(ORG),
    "owl": str(OWL),
    "prov": str(PROV),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "sh": str(SH),
    "skos": str(SKOS),
    "xsd": str(XSD),
}


def _namespace_manager() -> NamespaceManager:
    manager = NamespaceManager(Graph(), bind_namespaces="none")
    for prefix, namespace in _PREFIXES.items():
        manager.bind(prefix, namespace, override=True, replace=True)
    return manager


_NAMES = _namespace_manager()


# ---------------------------------------------------------------------------------------
# Results and reports
# ---------------------------------------------------------------------------------------


@dataclass
class ValidationResult:
    """One problem found in the data: which rule, about what, and what to do.

    ``file``, ``line`` and ``column`` are ``None`` here; code that knows where a resource was
    written (the submission layer) fills them in.
    """

    severity: Severity
    shape: str
    """IRI of the shape (or of the violation query) that reported the problem."""
    rule: str
    """Human name of the rule: the shape's ``rdfs:label``, or the query's title."""
    focus: str
    """IRI (or blank-node id) of the resource the problem is about."""
    focus_label: str | None
    """The ``rdfs:label`` of the focus resource, if it has one."""
    path: str | None
    """The property concerned, as a prefixed name such as ``ckg:area``."""
    value: str | None
    """The offending value: an IRI, or a literal written as in Turtle (``"2"^^xsd:integer``)."""
    message: str
    """Plain-English explanation, from the shape's ``sh:message``."""
    component: str | None = None
    """The SHACL constraint component, as a prefixed name (``sh:MinCountConstraintComponent``)."""
    file: str | None = None
    line: int | None = None
    column: int | None = None
    node: Node | None = field(default=None, repr=False, compare=False)
    """The ``sh:ValidationResult`` node in the report graph it was read from, if any."""

    def to_dict(self) -> dict[str, str | int | None]:
        """The result as a JSON-ready dictionary (the ``results`` items of the JSON format)."""
        return {
            "severity": self.severity,
            "rule": self.rule,
            "shape": self.shape,
            "focus": self.focus,
            "focus_label": self.focus_label,
            "path": self.path,
            "value": self.value,
            "message": self.message,
            "component": self.component,
            "file": self.file,
            "line": self.line,
            "column": self.column,
        }

    def sort_key(self) -> tuple[int, str, str, str, str]:
        """Order: most serious first, then by rule, resource, property and value."""
        return (
            SEVERITIES.index(self.severity),
            self.rule,
            self.focus,
            self.path or "",
            self.value or "",
        )


@dataclass
class ValidationReport:
    """The outcome of a validation: the results and what the validated data holds."""

    results: list[ValidationResult]
    summary: dict[str, int]
    """How many case studies, areas, councils, organisations, mechanisms, outcomes,
    measurements and events the data holds (keys: :data:`SUMMARY_KEYS`)."""
    scope: str = "The dataset"
    """How the text report names what was validated ("The dataset", "The data in the files")."""
    report_graph: Graph | None = field(default=None, repr=False, compare=False)
    """pySHACL's validation report graph, which :attr:`ValidationResult.node` points into."""

    @property
    def conforms(self) -> bool:
        """True when no result is a violation (warnings and infos are allowed)."""
        return not any(result.severity == "Violation" for result in self.results)

    @property
    def counts(self) -> dict[str, int]:
        """Number of results per severity, every severity present (possibly 0)."""
        counts = dict.fromkeys(SEVERITIES, 0)
        for result in self.results:
            counts[result.severity] += 1
        return counts

    def group_by_rule(self) -> dict[str, list[ValidationResult]]:
        """Results grouped by shape IRI, most serious rule first, then by rule name."""
        groups: dict[str, list[ValidationResult]] = {}
        for result in sorted(self.results, key=ValidationResult.sort_key):
            groups.setdefault(result.shape, []).append(result)
        return groups

    def to_dict(self) -> dict[str, object]:
        """The report as the JSON format's object (see :func:`format_report`)."""
        return {
            "format": "compact-kg-validation-report",
            "version": 1,
            "conforms": self.conforms,
            "counts": self.counts,
            "summary": dict(self.summary),
            "results": [r.to_dict() for r in sorted(self.results, key=ValidationResult.sort_key)],
        }


# ---------------------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------------------


def load_model(paths: ProjectPaths | None = None) -> Graph:
    """The ontology and its SKOS vocabularies as one graph."""
    paths = paths or default_paths()
    model = Graph()
    for path in paths.model_files():
        read_turtle(path, model)
    return model


def load_shapes(paths: ProjectPaths | None = None) -> Graph:
    """The trusted shapes graph, ``ontology/shapes.ttl``."""
    paths = paths or default_paths()
    return read_turtle(paths.shapes_file)


# ---------------------------------------------------------------------------------------
# Validating
# ---------------------------------------------------------------------------------------


class _PreparedQueryGraph(Graph):
    """A graph that parses each distinct SPARQL text once.

    pySHACL sends a SPARQL-based constraint to the graph once per focus node, as the same text
    with different bindings; parsing it is nearly all the cost (pySHACL #237). Queries with
    their own namespaces or other options go through unchanged.
    """

    def __init__(self) -> None:
        super().__init__()
        self._prepared: dict[str, Query] = {}

    def query(  # type: ignore[override]
        self,
        query_object: str | Query,
        processor: str = "sparql",
        result: str = "sparql",
        initNs: Mapping[str, object] | None = None,
        initBindings: Mapping[str, Node] | None = None,
        use_store_provided: bool = True,
        **kwargs: object,
    ) -> Result:
        if isinstance(query_object, str) and processor == "sparql" and not initNs and not kwargs:
            prepared = self._prepared.get(query_object)
            if prepared is None:
                prepared = self._prepared[query_object] = prepareQuery(query_object)
            query_object = prepared
        return super().query(query_object, processor, result, initNs, initBindings,
                             use_store_provided, **kwargs)


def _merge(*graphs: Graph | None) -> Graph:
    merged = _PreparedQueryGraph()
    for graph in graphs:
        if graph is not None:
            for triple in graph:
                merged.add(triple)
    return merged


def _lang(literal: Literal) -> str:
    return (literal.language or "").lower()


def _label(graph: Graph, node: Node) -> str | None:
    labels = [o for o in graph.objects(node, RDFS.label) if isinstance(o, Literal)]
    if not labels:
        return None
    labels.sort(key=lambda lit: (_lang(lit) != "en-gb", _lang(lit) != "en", str(lit)))
    return str(labels[0])


def _name(node: Node) -> str:
    """A prefixed name for an IRI when a prefix is known, else the IRI."""
    if isinstance(node, URIRef):
        n3 = node.n3(_NAMES)
        return str(node) if n3.startswith("<") else n3
    return str(node)


def _path_text(graph: Graph, path: Node) -> str:
    """A SHACL property path as readable text: ``ckg:a``, ``^ckg:a``, ``ckg:a | ckg:b``..."""
    if isinstance(path, URIRef):
        return _name(path)
    if (graph.value(path, RDF.first) is not None) or path == RDF.nil:
        return "/".join(_path_text(graph, step) for step in Collection(graph, path))
    for predicate, template in (
        (SH.alternativePath, None),
        (SH.inversePath, "^{}"),
        (SH.zeroOrMorePath, "{}*"),
        (SH.oneOrMorePath, "{}+"),
        (SH.zeroOrOnePath, "{}?"),
    ):
        inner = graph.value(path, predicate)
        if inner is None:
            continue
        if template is None:
            return " | ".join(_path_text(graph, step) for step in Collection(graph, inner))
        return template.format(_path_text(graph, inner))
    return str(path)


def _value_text(value: Node) -> str:
    if isinstance(value, Literal):
        return value.n3(_NAMES)
    return str(value)


def _message(graph: Graph, result: Node) -> str:
    messages = [m for m in graph.objects(result, SH.resultMessage) if isinstance(m, Literal)]
    if not messages:
        return ""
    messages.sort(key=lambda lit: (_lang(lit) != "en-gb", lit.language is None, len(str(lit))))
    return str(messages[0])


def _results_from_report(report: Graph, shapes: Graph, data: Graph) -> list[ValidationResult]:
    results: list[ValidationResult] = []
    # Only top-level results: those under sh:node, sh:or... are sh:detail of another result.
    roots = list(report.subjects(RDF.type, SH.ValidationReport))
    for node in (n for root in roots for n in report.objects(root, SH.result)):
        severity_node = report.value(node, SH.resultSeverity)
        severity: Severity = (
            "Warning" if severity_node == SH.Warning
            else "Info" if severity_node == SH.Info
            else "Violation"
        )
        shape = report.value(node, SH.sourceShape)
        focus = report.value(node, SH.focusNode)
        path = report.value(node, SH.resultPath)
        value = report.value(node, SH.value)
        component = report.value(node, SH.sourceConstraintComponent)
        rule = (_label(shapes, shape) if shape is not None else None) or _name(shape or BNode())
        if path is None and value == focus:
            value = None  # a node-level check (sh:or, sh:xone): the value is the resource itself
        results.append(ValidationResult(
            severity=severity,
            shape=str(shape),
            rule=rule,
            focus=str(focus),
            focus_label=_label(data, focus) if focus is not None else None,
            path=_path_text(report, path) if path is not None else None,
            value=_value_text(value) if value is not None else None,
            message=_message(report, node),
            component=_name(component) if component is not None else None,
            node=node,
        ))
    return results


def _subclasses(graphs: Iterable[Graph], cls: URIRef) -> set[Node]:
    """``cls`` and all its subclasses, following rdfs:subClassOf in any of ``graphs``."""
    graphs = list(graphs)
    found: set[Node] = {cls}
    todo: list[Node] = [cls]
    while todo:
        current = todo.pop()
        for graph in graphs:
            for sub in graph.subjects(RDFS.subClassOf, current):
                if sub not in found:
                    found.add(sub)
                    todo.append(sub)
    return found


def _summarise(data: Graph, model: Graph | None) -> dict[str, int]:
    graphs = [data] if model is None else [model, data]
    summary: dict[str, int] = {}
    for key, cls, _one, _many in _SUMMARY:
        members: set[Node] = set()
        for sub in _subclasses(graphs, cls):
            members.update(data.subjects(RDF.type, sub))
        summary[key] = len(members)
    return summary


def _check_graph(name: str, graph: object) -> Graph:
    if not isinstance(graph, Graph):
        raise TypeError(f"{name} must be an rdflib.Graph, not {type(graph).__name__}")
    return graph


def _run_shacl(merged: Graph, shapes: Graph) -> tuple[list[ValidationResult], Graph]:
    import pyshacl

    # pySHACL's own focus_nodes option is not used: it also filters the value nodes of
    # sh:node / sh:or, which silently passes nested checks. See validate_in_context.
    _conforms, report_graph, _text = pyshacl.validate(
        merged,
        shacl_graph=shapes,
        inference="none",
        advanced=False,
        inplace=True,
        allow_warnings=True,
        allow_infos=True,
        do_owl_imports=False,
    )
    if not isinstance(report_graph, Graph):
        # pySHACL returns a ValidationFailure, not a report, when a shape itself is broken
        # (for example a SHACL-SPARQL constraint with a VALUES clause, which SHACL forbids).
        reason = " ".join(str(report_graph).split())[:300]
        raise CompactKGError(f"the shapes cannot be run: {reason}. Fix the shape in "
                             "ontology/shapes.ttl (or restore it from compact-kg init)")
    return _results_from_report(report_graph, shapes, merged), report_graph


def validate_graph(
    data: Graph, *, shapes: Graph, ontology: Graph | None = None
) -> ValidationReport:
    """Validate ``data`` against ``shapes``, with ``ontology`` (and vocabularies) as context.

    ``shapes`` is always a separate, trusted graph: shapes written in ``data`` are not used.
    ``ontology`` is merged into a private copy of ``data`` so that class and scheme checks work
    without inference. Neither input graph is modified.
    """
    _check_graph("data", data)
    _check_graph("shapes", shapes)
    if ontology is not None:
        _check_graph("ontology", ontology)
    merged = _merge(data, ontology)
    results, report_graph = _run_shacl(merged, shapes)
    return ValidationReport(results=results, summary=_summarise(data, ontology),
                            report_graph=report_graph)


#: How many links away from the validated data the context is looked at. The shapes follow at
#: most two (a previous measurement's period's start date), so two is enough.
CONTEXT_HOPS = 2


def _neighbourhood(context: Graph, seeds: Iterable[Node], hops: int = CONTEXT_HOPS) -> Graph:
    """The triples of ``context`` about ``seeds`` and about what they link to, ``hops`` deep."""
    found = Graph()
    seen: set[Node] = set()
    frontier = {n for n in seeds if not isinstance(n, Literal)}
    for _ in range(hops):
        following: set[Node] = set()
        for node in frontier - seen:
            seen.add(node)
            for triple in context.triples((node, None, None)):
                found.add(triple)
                if not isinstance(triple[2], Literal):
                    following.add(triple[2])
        frontier = following
    return found


def validate_in_context(
    data: Graph, *, context: Graph, shapes: Graph, ontology: Graph | None = None
) -> ValidationReport:
    """Validate ``data`` (a file, a submission) with ``context`` (the dataset) behind it.

    Only what ``data`` describes is reported: results whose focus is a subject of ``data``.
    The part of ``context`` within :data:`CONTEXT_HOPS` links of ``data`` is merged in, so that
    links to existing areas, organisations and sources are checked against what they are, and
    the cost grows with ``data``, not with the dataset. The summary counts ``data`` alone.
    """
    _check_graph("data", data)
    _check_graph("context", context)
    _check_graph("shapes", shapes)
    if ontology is not None:
        _check_graph("ontology", ontology)
    seeds = set(data.subjects()) | set(data.objects())
    merged = _merge(data, _neighbourhood(context, seeds), ontology)
    results, report_graph = _run_shacl(merged, shapes)
    subjects = {str(s) for s in data.subjects()}
    results = [r for r in results if r.focus in subjects]
    return ValidationReport(results=results, summary=_summarise(data, ontology),
                            scope="The data in the given files", report_graph=report_graph)


def _ill_typed(data: Graph, files: list[Path]) -> list[ValidationResult]:
    """A violation for each literal of ``data`` not written as its XSD datatype requires,
    at the file, line and column where it is (see :mod:`compact_kg.literals`)."""
    from compact_kg import literals

    return literals.dataset_results(data, files, lambda node: _label(data, node))


# ---------------------------------------------------------------------------------------
# Violation queries (queries/*-violation.rq)
# ---------------------------------------------------------------------------------------

def violation_query_files(paths: ProjectPaths) -> list[Path]:
    """The ``queries/*-violation.rq`` files of a checkout, in name order."""
    if not paths.queries_dir.is_dir():
        return []
    return sorted(paths.queries_dir.glob("*-violation.rq"))


def run_violation_queries(
    store: pyoxigraph.Store, labels: Graph, files: Iterable[Path]
) -> list[ValidationResult]:
    """Run each violation query on ``store``; every row it returns is a violation.

    The queries go through the saved-query engine, so they get the same checks as
    ``compact-kg query`` (a valid header, no SERVICE, FROM or update) and the same deadline.
    ``labels`` is the graph in which focus nodes are looked up for their labels.

    :raises QueryError: a query is malformed or refused, or is not a SELECT.
    """
    from compact_kg.queries import load_query, run_embedded

    results: list[ValidationResult] = []
    for file in files:
        query = load_query(file, require_header=True, trusted=True)
        answer = run_embedded(query, store, timeout=VIOLATION_QUERY_TIMEOUT)
        if answer.kind != "select" or not answer.variables:
            raise QueryError(f"{file}: a violation query must be a SELECT with variables")
        explanation = query.description or query.title
        for row in answer.rows:
            focus = row[0]
            others = [f"?{name} = {_value_text(term)}"
                      for name, term in zip(answer.variables[1:], row[1:], strict=True)
                      if term is not None]
            value = row[1] if len(row) > 1 else None
            results.append(ValidationResult(
                severity="Violation",
                shape=str(QUERIES[file.stem]),
                rule=query.title,
                focus=str(focus) if focus is not None else "",
                focus_label=_label(labels, focus) if focus is not None else None,
                path=None,
                value=_value_text(value) if value is not None else None,
                message=f"{explanation} ({', '.join(others)})" if others else explanation,
                component=None,
            ))
    return results


# ---------------------------------------------------------------------------------------
# Datasets and files
# ---------------------------------------------------------------------------------------


#: From how many data files on ``validate_dataset`` screens first. Below it one pySHACL run is
#: quicker (the booklet's 21 files: 0.6 s plain, 0.75 s screened; 100 case studies: 2.3 s
#: plain, 1.3 s screened).
SCREEN_FROM_FILES = 50


def validate_dataset(paths: ProjectPaths | None = None, *, plain: bool = False) -> ValidationReport:
    """Validate the whole dataset: every ``data/**/*.ttl`` with the ontology and vocabularies,
    plus every ``queries/*-violation.rq``.

    By default, from :data:`SCREEN_FROM_FILES` data files on, the dataset is first screened on
    Oxigraph and pySHACL checks only the files that may hold a problem
    (:func:`compact_kg.scale.validate_screened`: the same results, a fraction of the time on
    large datasets). ``plain=True`` runs pySHACL once over one rdflib
    graph of everything, the reference the screened path is tested against.

    :raises InputError: a file is not valid Turtle (the message names ``FILE:LINE:COLUMN``).
    :raises QueryError: a violation query is malformed or refused.
    """
    paths = paths or default_paths()
    shapes = load_shapes(paths)
    if not plain and len(paths.data_files()) >= SCREEN_FROM_FILES:
        from compact_kg import scale

        if scale.neighbourhood_suffices(shapes):
            return scale.validate_screened(paths, shapes=shapes)
    model = load_model(paths)
    data = read_turtle_files(paths.data_files())
    merged = _merge(data, model)
    results, report_graph = _run_shacl(merged, shapes)
    results.extend(_ill_typed(data, paths.data_files()))
    queries = violation_query_files(paths)
    if queries:
        store = load_store(dataset_files(paths))
        results.extend(run_violation_queries(store, merged, queries))
    return ValidationReport(results=results, summary=_summarise(data, model),
                            report_graph=report_graph)


def validate_files(files: list[Path], paths: ProjectPaths | None = None) -> ValidationReport:
    """Validate some Turtle files with the ontology, vocabularies and the whole dataset as context.

    The results are those about resources the files describe (subjects of their triples); the
    summary counts what the files hold.

    :raises InputError: a file is missing or is not valid Turtle (``FILE:LINE:COLUMN``).
    """
    paths = paths or default_paths()
    model = load_model(paths)
    shapes = load_shapes(paths)
    given = [Path(f) for f in files]
    given_resolved = {f.resolve() for f in given}
    for file in given:
        if not file.is_file():
            raise InputError("no such file", path=file, hint="Check the path.")
    own = read_turtle_files(given)
    context = read_turtle_files(p for p in paths.data_files() if p.resolve() not in given_resolved)
    report = validate_in_context(own, context=context, shapes=shapes, ontology=model)
    report.results.extend(_ill_typed(own, given))
    subjects = {str(s) for s in own.subjects()}
    queries = violation_query_files(paths)
    if queries:
        store = load_store([*dataset_files(paths), *given])
        labels = _merge(context, own, model)
        report.results.extend(r for r in run_violation_queries(store, labels, queries)
                              if r.focus in subjects)
    return report


# ---------------------------------------------------------------------------------------
# Formatting
# ---------------------------------------------------------------------------------------


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _verdict(report: ValidationReport) -> str:
    counts = report.counts
    scope = report.scope
    warnings = _plural(counts["Warning"], "warning", "warnings")
    if report.conforms:
        text = f"{scope} conforms."
        if counts["Warning"]:
            text += f" There {'is' if counts['Warning'] == 1 else 'are'} {warnings} to look at."
        return text
    violations = _plural(counts["Violation"], "violation", "violations")
    return f"{scope} does not conform: {violations}, {warnings}."


def _holdings(report: ValidationReport) -> str:
    parts = [_plural(report.summary.get(key, 0), one, many) for key, _c, one, many in _SUMMARY]
    return f"It holds {_join(parts)}."


def _format_text(report: ValidationReport) -> str:
    lines: list[str] = []
    for shape, group in report.group_by_rule().items():
        first = group[0]
        lines.append(f"{first.rule} ({first.severity}, {_plural(len(group), 'result', 'results')})")
        lines.append(f"  rule: {_name(URIRef(shape))}")
        for result in group:
            where = result.focus + (f' ("{result.focus_label}")' if result.focus_label else "")
            if result.file:
                location = ":".join(str(x) for x in (result.file, result.line, result.column)
                                    if x is not None)
                where = f"{location}: {where}"
            lines.append(f"  - {where}")
            if result.path:
                lines.append(f"      property: {result.path}")
            if result.value:
                lines.append(f"      value: {result.value}")
            lines.append(f"      {result.message}")
        lines.append("")
    lines.append(_verdict(report))
    lines.append(_holdings(report))
    return "\n".join(lines) + "\n"


def _report_graph(report: ValidationReport) -> Graph:
    """A SHACL validation report graph holding exactly the report's results."""
    graph = Graph()
    for prefix, namespace in _PREFIXES.items():
        graph.bind(prefix, namespace)
    root = BNode()
    graph.add((root, RDF.type, SH.ValidationReport))
    graph.add((root, SH.conforms, Literal(report.conforms)))
    source = report.report_graph
    for result in sorted(report.results, key=ValidationResult.sort_key):
        if source is not None and result.node is not None:
            node = result.node
            graph.add((root, SH.result, node))
            for triple in source.cbd(node):
                graph.add(triple)
            continue
        node = BNode()
        graph.add((root, SH.result, node))
        graph.add((node, RDF.type, SH.ValidationResult))
        graph.add((node, SH.resultSeverity, SH[result.severity]))
        graph.add((node, SH.sourceShape, URIRef(result.shape)))
        focus = URIRef(result.focus) if "://" in result.focus else BNode(result.focus)
        graph.add((node, SH.focusNode, focus))
        graph.add((node, SH.resultMessage, Literal(result.message, lang="en-GB")))
        if result.value is not None and "://" in result.value and " " not in result.value:
            graph.add((node, SH.value, URIRef(result.value)))
        elif result.value is not None:
            graph.add((node, SH.value, Literal(result.value)))
    return graph


def format_report(report: ValidationReport, fmt: ReportFormat = "text") -> str:
    """Render a report.

    ``text``: results grouped by rule (name, severity, then each resource with its label, the
    property, the value and the message), then the verdict and what the data holds.

    ``json``: one object, stable across releases::

        {"format": "compact-kg-validation-report", "version": 1,
         "conforms": bool,
         "counts": {"Violation": int, "Warning": int, "Info": int},
         "summary": {"case_studies": int, "areas": int, "councils": int, "organisations": int,
                     "mechanisms": int, "outcomes": int, "measurements": int, "events": int},
         "results": [{"severity", "rule", "shape", "focus", "focus_label", "path", "value",
                      "message", "component", "file", "line", "column"}, ...]}

    Results are sorted by severity, rule, focus, path and value.

    ``turtle``: the SHACL validation report graph (``sh:ValidationReport``) in Turtle.
    """
    if fmt == "text":
        return _format_text(report)
    if fmt == "json":
        return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "turtle":
        return _report_graph(report).serialize(format="turtle")
    raise ValueError(f"unknown report format {fmt!r}: use text, json or turtle")
