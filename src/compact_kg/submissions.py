"""New submissions: read them safely, check them against the dataset, store them.

A submission is a file (Turtle, N-Triples, JSON-LD or RDF/XML) or a folder of CSV forms
(:mod:`compact_kg.forms`) describing a case study. The library API::

    read_submission(path, context)       -> Submission        through the safe door (rdfio)
    check_submission(submission, ...)    -> SubmissionCheck   shapes + references + completeness
    submit(path, paths=..., data_dir=...) -> SubmitResult     check, refuse redefinitions, store
    format_check(check, "text" | "json" | "sarif") -> str

What is checked, and how fast: only the submission's own resources are validated. The SHACL
shapes run over the submission graph plus the few reference triples it needs from the dataset
(the triples of the IRIs it refers to, and the types of what those point to), with the
ontology and vocabularies as context; results about anything but the submission's own
subjects are dropped. The whole dataset is never run through SHACL for one submission.

On top of the shapes, checks of our own (rules under ``{BASE}submission/``):

- ``submission:NothingModelled``: no resource of the submission has a type the shapes check
  (a case study, a mechanism, an organisation, ...), so the shapes would have nothing to say;
- ``submission:UndeclaredTerm``: a class, property or datatype that neither the ontology nor
  a vocabulary it reuses declares (:mod:`compact_kg.terms`), with a "did you mean";
- ``submission:IllTypedLiteral``: a value not written as its XSD datatype requires
  (:mod:`compact_kg.literals`);
- ``submission:UnknownReference``: an IRI in our namespace that neither the submission nor
  the dataset defines, with a "did you mean" suggestion;
- ``submission:PlaceholderLeft``: a ``TODO`` of the template still in place;
- ``submission:AlreadyInDataset``: a subject that ``data/`` already defines (``submit``
  refuses such a submission; nothing is ever merged or overwritten).

A submission holds at most :data:`MAX_SUBMISSION_TRIPLES` triples (reading stops at the
first one past it) as well as at most 10 MB (:func:`compact_kg.rdfio.read_rdf`).

Accepted submissions are stored as pretty Turtle with the standard prefixes in
``data/submissions/{name}.ttl``, where the name comes from the case study's IRI, made safe
and bounded by :func:`file_name_for` (at most :data:`MAX_FILE_NAME` characters); the write is
atomic: a temporary file in the same folder, flushed and fsynced, re-read and compared with
the submission, then renamed.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import RDF, RDFS, SKOS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, ORG, PROV, SH
from rdflib.term import Node

from compact_kg import literals
from compact_kg.context import DatasetContext, bind_standard_prefixes, curie
from compact_kg.errors import InputError, SubmissionError, TooManyTriplesError, UnsafeInputError
from compact_kg.index import dataset_context
from compact_kg.namespace import BASE, CKG
from compact_kg.paths import ProjectPaths, default_paths
from compact_kg.templates import PLACEHOLDER

__all__ = [
    "MAX_FILE_NAME",
    "MAX_SUBMISSION_TRIPLES",
    "RULES",
    "SUBMISSION",
    "Completeness",
    "Location",
    "Submission",
    "SubmissionCheck",
    "SubmitResult",
    "check_submission",
    "completeness",
    "convert_and_check",
    "file_name_for",
    "format_check",
    "read_submission",
    "submit",
    "validate_submissions",
]

#: Namespace of the rules this module adds to the shapes.
SUBMISSION = Namespace(BASE + "submission/")

#: The most triples a submission may hold. One case study needs a few hundred (the largest
#: of the booklet's, Thurrock, has 253 with its organisations, mechanisms, outcomes and
#: sources); 20,000 leaves room for a long one with many figures, and keeps checking a
#: submission a matter of seconds. Files of ``data/`` are not submissions and have no limit.
MAX_SUBMISSION_TRIPLES = 20_000

#: The longest file name (with ``.ttl``) that :func:`file_name_for` gives a stored submission.
MAX_FILE_NAME = 100

#: Our own rules: IRI -> (name, severity, description).
RULES: dict[URIRef, tuple[str, str, str]] = {
    SUBMISSION.NothingModelled: (
        "A submission must describe something the dataset models", "Violation",
        "At least one resource of a submission must have a type that the shapes check: a "
        "case study, a mechanism, an outcome, an organisation, an area and so on."),
    SUBMISSION.UndeclaredTerm: (
        "Classes and properties must be declared", "Violation",
        "Every class, property and datatype a submission uses must be declared by the "
        "compact-kg ontology or by a vocabulary it reuses (rdf, rdfs, owl, skos, dcterms, "
        "prov, org, time, ...)."),
    literals.RULE: (literals.RULE_NAME, "Violation", literals.RULE_DESCRIPTION),
    SUBMISSION.UnknownReference: (
        "References must resolve", "Violation",
        "Every IRI in the compact-kg namespace that a submission uses must be defined by the "
        "submission itself, by the ontology and vocabularies, or by the dataset."),
    SUBMISSION.PlaceholderLeft: (
        "Template placeholders must be replaced", "Violation",
        "A value still holds the TODO placeholder of the template."),
    SUBMISSION.AlreadyInDataset: (
        "A submission must not redefine what the dataset already has", "Violation",
        "A subject of the submission is already described by a file of data/; refer to it "
        "instead of describing it again."),
    SUBMISSION.FormValue: (
        "Form values must be readable", "Violation",
        "A value in a CSV form cannot be turned into RDF as it is written."),
}

_SUBMISSIONS_FOLDER = "submissions"


@dataclass(frozen=True)
class Location:
    """Where a statement was written: file, 1-based line and column (when known)."""

    file: str
    line: int | None = None
    column: int | None = None


Locator = Callable[[Node, "URIRef | None"], "Location | None"]
Progress = Callable[[int, int], None]


@dataclass
class Submission:
    """A submission read into a graph, with a way back to where each statement was written."""

    path: Path
    graph: Graph
    format: str
    locate: Locator
    problems: list = field(default_factory=list)
    """Values of a CSV form that could not be converted (:class:`forms.CellProblem`)."""
    source_map: object | None = None
    """Where terms and literals are written (:class:`compact_kg.rdfio.SourceMap`), when known."""

    def position_of(self, term: Node, focus: Node, predicate: URIRef | None) -> Location:
        """Where ``term`` (an IRI or a typed literal) is first written, else where the
        statement ``focus predicate ...`` is."""
        found = None
        if self.source_map is not None:
            if isinstance(term, Literal) and term.datatype is not None:
                found = self.source_map.literals.get(  # type: ignore[attr-defined]
                    (str(term), str(term.datatype)))
            elif isinstance(term, URIRef):
                found = self.source_map.terms.get(term)  # type: ignore[attr-defined]
        if found is not None:
            return Location(str(self.path), found[0], found[1])
        return self.locate(focus, predicate) or Location(str(self.path))


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------

def _source_map(path: Path, fmt: str):  # -> rdfio.SourceMap | None
    from compact_kg import rdfio

    try:
        return rdfio.SourceMap.from_bytes(path.read_bytes(), fmt)
    except Exception:  # a map is a help, not a requirement: never fail a check over it
        return None


def _source_locator(path: Path, source_map) -> Locator:  # source_map: rdfio.SourceMap | None
    """Map focus (+ predicate) to a line and column of a Turtle/N-Triples file (rdfio's map)."""

    def locate(focus: Node, predicate: URIRef | None) -> Location | None:
        position = source_map.locate(focus, predicate) if source_map is not None else None
        if position is None:
            return Location(str(path))
        return Location(str(path), position[0], position[1])

    return locate


def read_submission(path: Path, context: DatasetContext | None = None) -> Submission:
    """Read a submission file (or CSV form folder) through the safe door.

    Files go through :func:`compact_kg.rdfio.read_rdf` (bounded size and depth, no network,
    no other files, no DTDs, no remote contexts). Shapes or ``owl:imports`` in a submission
    are refused with :class:`UnsafeInputError`.
    """
    from compact_kg import forms, rdfio

    path = Path(path)
    from compact_kg import workbook

    if forms.is_form_dir(path) or workbook.is_workbook(path):
        if context is None:
            raise InputError("a CSV form or workbook needs the dataset as context", path=path)
        if forms.is_form_dir(path):
            converted, fmt = forms.convert_form(path, context), "csv"
        else:
            converted = forms.convert_rows(path, workbook.read_workbook(path), context)
            fmt = "xlsx"

        def locate_cell(focus: Node, predicate: URIRef | None) -> Location | None:
            cell = converted.provenance.locate(focus, predicate)
            return Location(*cell.location()) if cell else Location(str(path))

        if len(converted.graph) > MAX_SUBMISSION_TRIPLES:
            raise _too_many_triples(path)
        return Submission(path, converted.graph, fmt, locate_cell, converted.problems)
    if path.is_dir():
        raise InputError("this folder is not a CSV form (it has no case-study.csv)", path=path,
                         hint="Give a Turtle, N-Triples, JSON-LD or RDF/XML file, or a form "
                         "folder made by: compact-kg new form DIR")
    fmt = rdfio.SUFFIXES.get(path.suffix.lower(), "turtle")
    try:
        graph = rdfio.read_rdf(path, format=fmt, max_triples=MAX_SUBMISSION_TRIPLES)
    except TooManyTriplesError as error:
        raise _too_many_triples(path) from error
    refused = rdfio.refused_constructs(graph)
    if refused:
        more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
        raise UnsafeInputError(f"{refused[0]}{more}", path=path,
                               hint="The shapes always come from ontology/shapes.ttl.")
    source_map = _source_map(path, fmt)
    return Submission(path, bind_standard_prefixes(graph), fmt, _source_locator(path, source_map),
                      source_map=source_map)


def _too_many_triples(path: Path) -> UnsafeInputError:
    return UnsafeInputError(
        f"a submission holds at most {MAX_SUBMISSION_TRIPLES:,} triples, far more than one "
        "case study needs, so that checking it stays quick; this one has more than that",
        path=path, hint="Split it into one file per case study.")


# ---------------------------------------------------------------------------------------------
# Completeness
# ---------------------------------------------------------------------------------------------

# (class, property, plain-English name of the field, required?)
_FIELDS: tuple[tuple[URIRef, URIRef | tuple[URIRef, ...], str, bool], ...] = (
    (CKG.CaseStudy, RDFS.label, "case study title", True),
    (CKG.CaseStudy, DCTERMS.description, "case study summary", True),
    (CKG.CaseStudy, CKG.area, "case study area", True),
    (CKG.CaseStudy, CKG.theme, "case study theme", True),
    (CKG.CaseStudy, CKG.mechanism, "case study mechanism", True),
    (CKG.CaseStudy, PROV.wasDerivedFrom, "case study source", True),
    (CKG.CaseStudy, CKG.outcome, "case study outcome", False),
    (CKG.CaseStudy, CKG.localCompact, "case study Local Compact", False),
    (CKG.CaseStudy, CKG.involves, "organisations involved", False),
    (CKG.Mechanism, RDFS.label, "mechanism name", True),
    (CKG.Mechanism, CKG.mechanismType, "mechanism type", True),
    (CKG.Mechanism, PROV.wasDerivedFrom, "mechanism source", True),
    (CKG.Mechanism, DCTERMS.description, "mechanism description", False),
    (CKG.Mechanism, CKG.operatedBy, "who runs the mechanism", False),
    (CKG.Mechanism, CKG.status, "mechanism status", False),
    (CKG.Outcome, RDFS.label, "outcome name", True),
    (CKG.Outcome, PROV.wasDerivedFrom, "outcome source", True),
    (CKG.Outcome, CKG.outcomeType, "outcome type", False),
    (CKG.Outcome, CKG.resultedFrom, "what the outcome resulted from", False),
    (CKG.Outcome, CKG.measurement, "outcome measurement", False),
    (ORG.Organization, RDFS.label, "organisation name", True),
    (ORG.Organization, CKG.sector, "organisation sector", False),
    (CKG.Measurement, CKG.value, "measurement value", True),
    (CKG.Measurement, CKG.unit, "measurement unit", True),
    (CKG.Measurement, CKG.qualifier, "measurement qualifier", True),
    (CKG.Measurement, (CKG.date, CKG.period), "measurement date", True),
    (CKG.Measurement, RDFS.label, "measurement label", False),
    (CKG.SourceLocator, DCTERMS.isPartOf, "source publication", True),
    (CKG.SourceLocator, CKG.section, "source section", True),
    (CKG.SourceLocator, CKG.pageStart, "source page", False),
    (CKG.Publication, DCTERMS.title, "publication title", True),
    (CKG.Publication, DCTERMS.publisher, "publication publisher", True),
    (CKG.Publication, DCTERMS.issued, "publication date", True),
)


@dataclass
class Completeness:
    """How many of the expected fields a submission fills, and which are missing."""

    present: int
    total: int
    missing: list[str]

    @property
    def percent(self) -> int:
        return round(100 * self.present / self.total) if self.total else 100

    def __str__(self) -> str:
        text = f"Completeness: {self.percent}% ({self.present} of {self.total} fields"
        if self.missing:
            shown = self.missing[:6]
            more = len(self.missing) - len(shown)
            text += ": missing " + ", ".join(shown) + (f" and {more} more" if more > 0 else "")
        return text + ")"


def _whole_document(graph: Graph, model: Graph, locator: Node) -> bool:
    """Whether ``locator`` points into a publication whose type has no numbered pages."""
    types = [kind for publication in graph.objects(locator, DCTERMS.isPartOf)
             for kind in graph.objects(publication, CKG.publicationType)]
    return bool(types) and not any(
        (kind, CKG.paged, Literal(True)) in model or (kind, CKG.paged, Literal(True)) in graph
        for kind in types)


def completeness(graph: Graph, model: Graph | None = None) -> Completeness:
    """Count the required and recommended fields filled in ``graph``, per resource.

    A submission without any case study counts the case study's fields as missing.
    """
    present = total = 0
    missing: list[str] = []
    hierarchy = model if model is not None else Graph()

    def members(cls: URIRef) -> set[Node]:
        classes = set(hierarchy.transitive_subjects(RDFS.subClassOf, cls)) | {cls}
        found: set[Node] = set()
        for c in classes:
            found.update(graph.subjects(RDF.type, c))
        return found

    has_case_study = bool(members(CKG.CaseStudy))
    has_outcome = bool(members(CKG.Outcome))
    for cls, prop, name, _required in _FIELDS:
        props = prop if isinstance(prop, tuple) else (prop,)
        nodes = members(cls)
        if not nodes and cls == CKG.CaseStudy and not has_case_study:
            total += 1
            missing.append(name)
            continue
        if not nodes and cls == CKG.Outcome and not has_outcome and name == "outcome name":
            continue
        for node in nodes:
            if cls == CKG.SourceLocator and prop in (CKG.section, CKG.pageStart) \
                    and _whole_document(graph, hierarchy, node):
                continue  # a web article, blog post or judgment is cited as a whole
            total += 1
            if any(not _is_placeholder(o) for p in props for o in graph.objects(node, p)):
                present += 1
            elif name not in missing:
                missing.append(name)
    return Completeness(present, total, missing)


# ---------------------------------------------------------------------------------------------
# Checking
# ---------------------------------------------------------------------------------------------


@dataclass
class SubmissionCheck:
    """The verdict on one submission: the validation report and the completeness score."""

    submission: Submission
    report: object  # compact_kg.validate.ValidationReport
    completeness: Completeness
    elapsed: float = 0.0
    shapes: Graph | None = field(default=None, repr=False)

    @property
    def conforms(self) -> bool:
        return bool(self.report.conforms)  # type: ignore[attr-defined]


def _is_placeholder(term: Node) -> bool:
    return isinstance(term, URIRef | Literal) and PLACEHOLDER in str(term)


def _label_of(graph: Graph, node: Node) -> str | None:
    for p in (RDFS.label, SKOS.prefLabel, DCTERMS.title):
        value = graph.value(node, p)
        if value is not None:
            return str(value)
    return None


def _result(rule: URIRef, focus: Node, path: URIRef | None, value: Node | None, message: str,
            graph: Graph):
    from compact_kg.validate import ValidationResult

    name, severity, _ = RULES[rule]
    return ValidationResult(
        severity=severity,  # type: ignore[arg-type]
        shape=str(rule),
        rule=name,
        focus=str(focus),
        focus_label=_label_of(graph, focus),
        path=curie(path) if path is not None else None,
        value=(curie(value) if isinstance(value, URIRef) else
               value.n3() if isinstance(value, Literal) else None),
        message=message,
    )


def _modelled_classes(model: Graph, shapes: Graph) -> set[Node]:
    """The classes the shapes target, and their subclasses in the ontology."""
    found: set[Node] = set(shapes.objects(None, SH.targetClass))
    todo = list(found)
    while todo:
        for sub in model.subjects(RDFS.subClassOf, todo.pop()):
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return found


def _first_position(sub: Submission, subjects: list[Node]) -> Location:
    for subject in subjects:
        where = sub.locate(subject, None)
        if where is not None and where.line is not None:
            return where
    return Location(str(sub.path), 1, 1) if sub.format in ("turtle", "nt") else \
        Location(str(sub.path))


def _modelled_check(sub: Submission, context: DatasetContext, shapes: Graph) -> list:
    """``submission:NothingModelled`` when no resource has a type the shapes check."""
    graph = sub.graph
    modelled = _modelled_classes(context.model, shapes)
    if any(cls in modelled for cls in graph.objects(None, RDF.type)):
        return []
    subjects = sorted(set(graph.subjects()), key=lambda n: (isinstance(n, BNode), str(n)))
    where = _first_position(sub, subjects)
    result = _result(
        SUBMISSION.NothingModelled, subjects[0] if subjects else URIRef(sub.path.as_uri()),
        None, None,
        "this file describes nothing that compact-kg models: none of its resources is a case "
        "study, a mechanism, an outcome, an organisation or anything else the dataset "
        "describes (rdf:type ckg:CaseStudy, ckg:Mechanism, org:Organization, ...). Describe "
        "your case study with the terms of the template: compact-kg new case-study.", graph)
    result.file, result.line, result.column = where.file, where.line, where.column
    return [result]


_ROLE_NAMES = {"class": "a class", "property": "a property", "datatype": "a datatype"}


def _what_it_is(iri: URIRef, declared, context: DatasetContext) -> str:  # declared: DeclaredTerms
    role = declared.role(iri)
    if role is not None:
        return f"it is {_ROLE_NAMES[role]}"
    if (iri, RDF.type, SKOS.Concept) in context.model:
        return "it is a value of one of the vocabularies"
    if context.knows(iri):
        return "it is something the dataset describes"
    return ""


def _term_checks(sub: Submission, context: DatasetContext, shapes: Graph) -> tuple[list, set]:
    """``submission:UndeclaredTerm`` for each class, property and datatype not declared."""
    from compact_kg.terms import declared_terms

    declared = declared_terms(context.model, shapes)
    graph = sub.graph
    uses: dict[tuple[URIRef, str], tuple[Node, URIRef]] = {}
    for s, p, o in sorted(graph, key=lambda t: (str(t[0]), str(t[1]), str(t[2]))):
        if isinstance(p, URIRef):
            uses.setdefault((p, "property"), (s, p))
        if p == RDF.type and isinstance(o, URIRef):
            uses.setdefault((o, "class"), (s, p))
        if isinstance(o, Literal) and o.datatype is not None:
            uses.setdefault((URIRef(o.datatype), "datatype"), (s, p))
    results, bad = [], set()
    for (term, role), (s, p) in sorted(uses.items(), key=lambda item: str(item[0][0])):
        if declared.is_declared(term, role) or _is_placeholder(term):
            continue
        bad.add(term)
        other = _what_it_is(term, declared, context)
        suggestions = declared.suggest(term, role)
        if other:
            text = (f"{curie(term)} is used as {_ROLE_NAMES[role]} but is not one: {other}.")
        else:
            text = (f"{curie(term)} is not {_ROLE_NAMES[role]} compact-kg knows: neither the "
                    f"compact-kg ontology nor the vocabularies it reuses "
                    f"({declared.vocabulary_names()}) declare it.")
        hint = (" Did you mean " + " or ".join(curie(x) for x in suggestions) + "?"
                if suggestions else
                " Use the terms of the template (compact-kg new case-study); the ontology "
                "lists them all.")
        result = _result(SUBMISSION.UndeclaredTerm, s, p, None if role == "property" else term,
                         text + hint, graph)
        where = sub.position_of(term, s, p)
        result.file, result.line, result.column = where.file, where.line, where.column
        results.append(result)
    return results, bad


def _literal_checks(sub: Submission) -> tuple[list, set[str]]:
    """``submission:IllTypedLiteral`` for each value not in its datatype's lexical space;
    returns the results and the literals as shape results show them (to silence those)."""
    from compact_kg.validate import _value_text

    found = literals.ill_typed(sub.graph)

    def locate(s: Node, p: Node, o: Literal) -> tuple[str | None, int | None, int | None]:
        where = sub.position_of(o, s, p if isinstance(p, URIRef) else None)
        return where.file, where.line, where.column

    results = literals.results_for(found, locate, lambda node: _label_of(sub.graph, node))
    return results, {_value_text(o) for _s, _p, o, _why in found}


def _own_checks(sub: Submission, context: DatasetContext, shapes: Graph) -> tuple[list, set]:
    """Placeholders, unknown references and redefinitions; returns results and bad IRIs."""
    graph = sub.graph
    results = _modelled_check(sub, context, shapes)
    term_results, silenced = _term_checks(sub, context, shapes)
    results += term_results
    own = {s for s in graph.subjects() if isinstance(s, URIRef)}
    for s in sorted((s for s in own if _is_placeholder(s)), key=str):
        results.append(_result(
            SUBMISSION.PlaceholderLeft, s, None, None,
            f"the identifier {curie(s)} still holds the template's TODO; make it lower-case "
            "words joined by hyphens, and change it everywhere it occurs.", graph))
    for s, p, o in sorted(graph, key=lambda t: (str(t[0]), str(t[1]), str(t[2]))):
        if not _is_placeholder(o) or o in own:
            continue  # a placeholder identifier is reported once, where it is defined
        if isinstance(o, URIRef):
            silenced.add(o)
            message = (f"{curie(p)} still holds the template's TODO; choose one of the values "
                       "listed in the comment above it.")
        else:
            message = f"{curie(p)} still holds the template's TODO text; write your own."
        results.append(_result(SUBMISSION.PlaceholderLeft, s, p, o, message, graph))
    # references: objects in our namespace
    referenced: dict[URIRef, tuple[Node, URIRef]] = {}
    for s, p, o in graph:  # classes and properties are checked as terms, above
        if (isinstance(o, URIRef) and str(o).startswith(BASE) and o not in own
                and p != RDF.type):
            referenced.setdefault(o, (s, p))
    unknown = []
    for iri, (s, p) in sorted(referenced.items()):
        if _is_placeholder(iri) or context.knows(iri) or iri in silenced:
            continue
        unknown.append(iri)
        silenced.add(iri)
        suggestions = context.suggest(iri, extra=own)
        hint = (" Did you mean " + " or ".join(curie(x) for x in suggestions) + "?"
                if suggestions else
                " Define it in the submission, or use one that the dataset has.")
        results.append(_result(
            SUBMISSION.UnknownReference, s, p, iri,
            f"unknown reference {curie(iri)}: neither the submission nor the dataset defines "
            f"it.{hint}", graph))
    # redefinitions
    for s in sorted(own):
        path = context.defining_file(s)
        if path is not None:
            try:
                shown = path.relative_to(context.data_dir.parent)
            except ValueError:
                shown = path
            results.append(_result(
                SUBMISSION.AlreadyInDataset, s, None, None,
                f"{curie(s)} is already described in {shown}; refer to it without describing "
                "it again, or choose a new identifier for a new thing.", graph))
    return results, silenced


def _path_iri(report: object, result: object) -> URIRef | None:
    node = getattr(result, "node", None)
    graph = getattr(report, "report_graph", None)
    if node is None or graph is None:
        return None
    path = graph.value(node, SH.resultPath)
    return path if isinstance(path, URIRef) else None


def _predicate_of_value(graph: Graph, focus: Node, report: object,
                        result: object) -> URIRef | None:
    """For a result on a complex path: the predicate that links focus to the offending value."""
    node = getattr(result, "node", None)
    report_graph = getattr(report, "report_graph", None)
    if node is None or report_graph is None:
        return None
    value = report_graph.value(node, SH.value)
    if value is None:
        return None
    for predicate in sorted(graph.predicates(focus, value), key=str):
        if isinstance(predicate, URIRef):
            return predicate
    return None


def _load_shapes(paths: ProjectPaths) -> Graph:
    from compact_kg.validate import load_shapes

    return load_shapes(paths)


def _row_key(location: tuple[str | None, int | None, int | None]) -> tuple[str | None, object]:
    """The row a location is on: (file, line), or for a workbook cell ``F Sheet!D4`` the
    file, sheet and row number (its column letters dropped)."""
    file, line, _ = location
    if line is None and file is not None and "!" in file:
        head, _, reference = file.rpartition("!")
        return (head, reference.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    return (file, line)


def check_submission(sub: Submission, context: DatasetContext,
                     shapes: Graph, scope: str | None = None) -> SubmissionCheck:
    """Validate a submission against the shapes with the dataset as context.

    ``scope`` is how the text verdict names what was checked (default "The data in FILE").
    """
    from compact_kg.validate import ValidationReport, validate_graph

    started = time.perf_counter()
    graph = sub.graph
    results, silenced = _own_checks(sub, context, shapes)
    literal_results, ill_typed = _literal_checks(sub)
    results += literal_results
    for problem in sub.problems:
        from compact_kg.validate import ValidationResult

        results.append(ValidationResult(
            severity="Violation", shape=str(SUBMISSION.FormValue),
            rule=RULES[SUBMISSION.FormValue][0], focus=problem.cell.header,
            focus_label=None, path=None, value=repr(problem.value) if problem.value else None,
            message=problem.message, **dict(zip(("file", "line", "column"),
                                                 problem.cell.location(), strict=True))))
    # reference triples: what the submission points to, from the dataset
    own = set(graph.subjects())
    referenced = {o for o in graph.objects() if isinstance(o, URIRef) and o not in own}
    data = Graph()
    for triple in graph:
        data.add(triple)
    for triple in context.describe(r for r in referenced if not context.in_model(r)):
        data.add(triple)
    report = validate_graph(data, shapes=shapes, ontology=context.model)
    own_keys = {str(s) for s in own}
    # a cell that could not be converted is reported once, not again by the shapes
    bad_rows = {_row_key(p.cell.location()) for p in sub.problems}
    silenced_keys = {str(s) for s in silenced} | {curie(s) for s in silenced} | ill_typed
    redefined = {r.focus for r in results if r.shape == str(SUBMISSION.AlreadyInDataset)}
    for result in report.results:
        if (result.focus not in own_keys or result.value in silenced_keys
                or result.focus in redefined):
            continue
        path = _path_iri(report, result)
        focus = URIRef(result.focus) if "://" in result.focus else BNode(result.focus)
        if path is None:
            path = _predicate_of_value(graph, focus, report, result)
        where = sub.locate(focus, path)
        if where is not None:
            result.file, result.line, result.column = where.file, where.line, where.column
        if _row_key((result.file, result.line, result.column)) in bad_rows:
            continue
        results.append(result)
    for result in results:
        if result.file is None:
            focus = URIRef(result.focus) if "://" in result.focus else BNode(result.focus)
            path = None
            if result.path:
                prefix, _, local = result.path.partition(":")
                from compact_kg.namespace import STANDARD_PREFIXES

                if prefix in STANDARD_PREFIXES:
                    path = URIRef(STANDARD_PREFIXES[prefix] + local)
            where = sub.locate(focus, path)
            if where is not None:
                result.file, result.line, result.column = where.file, where.line, where.column
    from compact_kg.validate import _summarise

    final = ValidationReport(results=results, summary=_summarise(graph, context.model),
                             scope=scope or f"The data in {sub.path}",
                             report_graph=report.report_graph)
    return SubmissionCheck(sub, final, completeness(graph, context.model),
                           time.perf_counter() - started, shapes)


def validate_submissions(files: list[Path], paths: ProjectPaths | None = None,
                         data_dir: Path | None = None, *, cache_dir: Path | None = None,
                         progress: Progress | None = None) -> list[SubmissionCheck]:
    """Read and check each submission against the dataset (loaded once).

    With ``cache_dir``, the dataset comes from the persistent index kept there (see
    :func:`compact_kg.index.dataset_context`; ``progress(done, total)`` counts the files
    loaded while it is built or updated); the results are the same as without it.
    """
    paths = paths or default_paths()
    with dataset_context(paths, data_dir, cache_dir=cache_dir, progress=progress) as context:
        shapes = _load_shapes(paths)
        scope = "The data in the given files" if len(files) == 1 else None
        return [check_submission(read_submission(Path(f), context), context, shapes, scope)
                for f in files]


# ---------------------------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------------------------


def _sarif(checks: list[SubmissionCheck], shapes: Graph | None) -> dict:
    from compact_kg import __version__

    rules: dict[str, dict] = {}
    if shapes is not None:
        for shape in sorted({s for s in shapes.subjects(SH.message, None)
                             if isinstance(s, URIRef)}):
            severity = shapes.value(shape, SH.severity)
            rules[str(shape)] = {
                "id": curie_shape(shape),
                "name": str(shape).rsplit("/", 1)[-1],
                "shortDescription": {"text": str(shapes.value(shape, RDFS.label)
                                                 or shape.rsplit("/", 1)[-1])},
                "fullDescription": {"text": str(shapes.value(shape, SH.message))},
                "helpUri": str(shape),
                "defaultConfiguration": {
                    "level": "warning" if severity == SH.Warning else
                    "note" if severity == SH.Info else "error"},
            }
    for iri, (name, severity, description) in RULES.items():
        rules[str(iri)] = {
            "id": curie_shape(iri), "name": str(iri).rsplit("/", 1)[-1],
            "shortDescription": {"text": name}, "fullDescription": {"text": description},
            "helpUri": str(iri),
            "defaultConfiguration": {"level": "error" if severity == "Violation" else "warning"},
        }
    results = []
    for check in checks:
        for r in sorted(check.report.results, key=lambda r: r.sort_key()):  # type: ignore[attr-defined]
            if r.shape not in rules:
                rules[r.shape] = {"id": curie_shape(URIRef(r.shape)),
                                  "shortDescription": {"text": r.rule}}
            location: dict = {"artifactLocation": {"uri": Path(r.file or check.submission.path)
                                                   .as_posix()}}
            if r.line is not None:
                location["region"] = {"startLine": r.line}
                if r.column is not None:
                    location["region"]["startColumn"] = r.column
            about = [r.focus_label or r.focus]
            about += [r.path] if r.path else []
            about += [f"value {r.value}"] if r.value else []
            text = f"{r.message} (about {', '.join(about)})"
            results.append({
                "ruleId": curie_shape(URIRef(r.shape)),
                "level": {"Violation": "error", "Warning": "warning"}.get(r.severity, "note"),
                "message": {"text": text},
                "locations": [{"physicalLocation": location}],
            })
    ordered = list(rules.values())
    index = {rule["id"]: i for i, rule in enumerate(ordered)}
    for result in results:
        result["ruleIndex"] = index[result["ruleId"]]
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "compact-kg", "version": __version__,
                                "informationUri": "https://w3id.org/compact-kg/",
                                "rules": ordered}},
            "results": results,
        }],
    }


def curie_shape(iri: URIRef) -> str:
    """``shapes:Name`` or ``submission:Name`` for a rule IRI."""
    text = str(iri)
    for prefix, namespace in (("shapes", BASE + "shapes/"), ("submission", str(SUBMISSION)),
                              ("queries", BASE + "queries/")):
        if text.startswith(namespace):
            return f"{prefix}:{text[len(namespace):]}"
    return text


def format_check(checks: list[SubmissionCheck], fmt: str = "text",
                 shapes: Graph | None = None) -> str:
    """Render the checks of one or more submissions as text, JSON, SARIF 2.1.0 or Turtle."""
    from compact_kg.validate import format_report

    if fmt == "text":
        parts = []
        for check in checks:
            parts.append(format_report(check.report, "text").rstrip("\n"))  # type: ignore[arg-type]
            parts.append(str(check.completeness) + "\n")
        return "\n".join(parts)
    if fmt == "json":
        items = []
        for check in checks:
            item = check.report.to_dict()  # type: ignore[attr-defined]
            item["submission"] = str(check.submission.path)
            item["completeness"] = {"percent": check.completeness.percent,
                                    "present": check.completeness.present,
                                    "total": check.completeness.total,
                                    "missing": check.completeness.missing}
            items.append(item)
        payload = items[0] if len(items) == 1 else {"submissions": items}
        return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    if fmt == "turtle":  # the SHACL report graph, as for dataset files
        from compact_kg.validate import ValidationReport

        if len(checks) == 1:
            return format_report(checks[0].report, "turtle")  # type: ignore[arg-type]
        merged = ValidationReport(
            results=[r for c in checks for r in c.report.results],  # type: ignore[attr-defined]
            summary={}, report_graph=None)
        for result in merged.results:
            result.node = None
        return format_report(merged, "turtle")
    if fmt == "sarif":
        if shapes is None and checks:
            shapes = checks[0].shapes
        return json.dumps(_sarif(checks, shapes), indent=2, ensure_ascii=False) + "\n"
    raise ValueError(f"unknown report format {fmt!r}: use text, json, sarif or turtle")


# ---------------------------------------------------------------------------------------------
# Submitting
# ---------------------------------------------------------------------------------------------


@dataclass
class SubmitResult:
    """What ``submit`` stored: the file, counts per class and the new case studies."""

    check: SubmissionCheck
    stored: Path | None
    counts: dict[str, int]
    case_studies: list[URIRef]


def _counts(graph: Graph, model: Graph) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for _s, cls in graph.subject_objects(RDF.type):
        if isinstance(cls, URIRef):
            counts[str(model.value(cls, RDFS.label) or curie(cls))] += 1
    return dict(sorted(counts.items()))


_CASE_STUDY_NAMESPACE = BASE + "id/case-study/"
_UNSAFE_RUN = re.compile(r"[^a-z0-9-]+")
# Names Windows reserves for devices, whatever the extension (a checkout may be on Windows).
_RESERVED = re.compile(r"(?:con|prn|aux|nul|com[0-9]|lpt[0-9]|conin\$|conout\$)", re.I)


def file_name_for(iri: str, fallback_slug: str | None = None) -> str:
    """A safe file name (``NAME.ttl``) for the submission whose case study is ``iri``.

    ``cs:merton-2024`` is stored as ``merton-2024.ttl``. Any other IRI keeps only lower-case
    ASCII letters, digits and hyphens of its last segments (accents dropped, other characters
    become ``-``), is cut to fit :data:`MAX_FILE_NAME` characters, and ends with 12
    hexadecimal digits of a hash of the whole IRI, so that two IRIs never get the same name
    however alike they are. The name never holds a path separator, ``..``, a control
    character or a leading dot, and is never a reserved device name.
    """
    text = str(iri)
    if fallback_slug is None and text.startswith(_CASE_STUDY_NAMESPACE):
        slug = text[len(_CASE_STUDY_NAMESPACE):]
    else:
        slug = fallback_slug if fallback_slug is not None else text.rstrip("/").rsplit("/", 1)[-1]
    plain = unicodedata.normalize("NFKD", slug).encode("ascii", "ignore").decode("ascii")
    safe = _UNSAFE_RUN.sub("-", plain.lower()).strip("-")
    limit = MAX_FILE_NAME - len(".ttl")
    if (safe and safe == slug and text.startswith(_CASE_STUDY_NAMESPACE) and len(safe) <= limit
            and not _RESERVED.fullmatch(safe)):
        return f"{safe}.ttl"
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=6).hexdigest()
    head = safe[:limit - len(digest) - 1].rstrip("-") or "submission"
    return f"{head}-{digest}.ttl"


def _target(data_dir: Path, graph: Graph) -> Path:
    case_studies = sorted(graph.subjects(RDF.type, CKG.CaseStudy), key=str)
    if case_studies:
        name = file_name_for(case_studies[0])
    else:
        subjects = sorted((s for s in graph.subjects() if isinstance(s, URIRef)), key=str)
        if not subjects:
            raise SubmissionError("the submission is empty: it describes nothing")
        first = str(subjects[0])
        name = file_name_for(first, "-".join(first.rstrip("/").rsplit("/", 2)[-2:]))
    return data_dir / _SUBMISSIONS_FOLDER / name


def submit(path: Path, paths: ProjectPaths | None = None, data_dir: Path | None = None,
           *, pause_before_rename: float = 0.0, cache_dir: Path | None = None,
           progress: Progress | None = None) -> SubmitResult:
    """Check a submission and, if it conforms and redefines nothing, store it in data/.

    Returns the result with ``stored=None`` when the submission does not conform (nothing is
    written). Raises :class:`SubmissionError` when it redefines IRIs that ``data/`` already
    has (listing them and the files that define them). ``cache_dir`` and ``progress``: as
    for :func:`validate_submissions`.
    """
    paths = paths or default_paths()
    with dataset_context(paths, data_dir, cache_dir=cache_dir, progress=progress) as context:
        return _submit(path, paths, context, pause_before_rename)


def _submit(path: Path, paths: ProjectPaths, context: DatasetContext,
            pause_before_rename: float) -> SubmitResult:
    shapes = _load_shapes(paths)
    sub = read_submission(Path(path), context)
    own = sorted({s for s in sub.graph.subjects() if isinstance(s, URIRef)}, key=str)
    clashes = [(s, context.defining_file(s)) for s in own]
    clashes = [(s, f) for s, f in clashes if f is not None]
    if clashes:
        listed = "; ".join(f"{curie(s)} (in {_shown(f, context)})" for s, f in clashes[:8])
        more = f" and {len(clashes) - 8} more" if len(clashes) > 8 else ""
        raise SubmissionError(
            f"{path}: the submission redefines {len(clashes)} IRI(s) that data/ already "
            f"has: {listed}{more}. Nothing was stored. Refer to them without describing them "
            "again, or choose new identifiers.")
    check = check_submission(sub, context, shapes)
    graph = sub.graph
    counts = _counts(graph, context.model)
    case_studies = sorted(graph.subjects(RDF.type, CKG.CaseStudy), key=str)
    if not check.conforms:
        return SubmitResult(check, None, counts, case_studies)
    target = _target(context.data_dir, graph)
    if target.exists():
        raise SubmissionError(f"{target} already exists; nothing was stored. Give the case "
                              "study another identifier (e.g. add the year).")
    from compact_kg import rdfio

    target.parent.mkdir(parents=True, exist_ok=True)

    def pause() -> None:  # test hook: lets a test kill the process just before the rename
        if pause_before_rename:
            time.sleep(pause_before_rename)
        if target.exists():
            raise SubmissionError(f"{target} appeared while writing; nothing was stored")

    rdfio.write_turtle_atomic(bind_standard_prefixes(graph), target, before_replace=pause)
    return SubmitResult(check, target, counts, case_studies)


def _shown(path: Path, context: DatasetContext) -> str:
    try:
        return str(path.relative_to(context.data_dir.parent))
    except ValueError:
        return str(path)


def convert_and_check(folder: Path, out: Path, paths: ProjectPaths | None = None,
                      data_dir: Path | None = None) -> tuple[SubmissionCheck, bool]:
    """Convert a CSV form folder to Turtle at ``out`` and check it.

    The Turtle is written (atomically, never over an existing file) only when every cell
    could be converted; the check reports problems with the file, row and column of the
    cell they come from either way. Returns the check and whether ``out`` was written.
    """
    from compact_kg import forms, rdfio

    paths = paths or default_paths()
    from compact_kg.workbook import is_workbook

    context = DatasetContext.load(paths, data_dir)
    if not forms.is_form_dir(Path(folder)) and not is_workbook(Path(folder)):
        raise InputError("this is neither a folder of CSV forms (it has no case-study.csv) "
                         "nor an Excel workbook (.xlsx)", path=folder,
                         hint="Make one with: compact-kg new form DIR, or "
                         "compact-kg new workbook FILE.xlsx")
    sub = read_submission(Path(folder), context)
    check = check_submission(sub, context, _load_shapes(paths))
    if sub.problems:
        return check, False
    if out.exists():
        raise InputError("the file already exists", path=out, hint="Choose another name.")
    rdfio.write_turtle_atomic(bind_standard_prefixes(sub.graph), out)
    return check, True
