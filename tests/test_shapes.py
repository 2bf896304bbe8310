"""The SHACL shapes, tested with valid and invalid example files.

Each file in tests/data/shapes/ is ``NN-valid-*.ttl`` or ``NN-invalid-*.ttl``. Line 1 gives the
reason (``# invalid: a measurement with two units``); line 2 the expectation: ``# expect: conforms``
or ``# expect: shapes:SomeShape "a fragment of its message"``. Each file is validated with the
ontology, the vocabularies and data/reference/*.ttl as context.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH

from compact_kg.paths import default_paths
from compact_kg.validate import (
    load_model,
    load_shapes,
    read_turtle,
    validate_graph,
    validate_in_context,
)

HERE = Path(__file__).resolve().parent
FIXTURES = sorted((HERE / "data" / "shapes").glob("*.ttl"))
ROOT = HERE.parent
SHAPES_NS = "https://w3id.org/compact-kg/shapes/"
EXPECT = re.compile(
    r'^# expect: (?:(?P<conforms>conforms)|shapes:(?P<shape>\w+) "(?P<fragment>[^"]+)")$'
)
NAME = re.compile(r"^\d{2,3}-(?P<verdict>valid|invalid)-[a-z0-9-]+\.ttl$")


@pytest.fixture(scope="module")
def model() -> Graph:
    return load_model(default_paths(ROOT))


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes(default_paths(ROOT))


@pytest.fixture(scope="module")
def reference() -> Graph:
    graph = Graph()
    for path in sorted((ROOT / "data" / "reference").glob("*.ttl")):
        read_turtle(path, graph)
    return graph


def _expectation(path: Path) -> tuple[str, str | None, str | None]:
    lines = path.read_text(encoding="utf-8").splitlines()
    verdict = NAME.match(path.name)
    assert verdict, f"{path.name}: name must be NN-valid-*.ttl or NN-invalid-*.ttl"
    assert lines[0].startswith(f"# {verdict['verdict']}: "), f"{path.name}: line 1 gives the reason"
    match = EXPECT.match(lines[1])
    assert match, f"{path.name}: line 2 must be '# expect: ...'"
    if match["conforms"]:
        assert verdict["verdict"] == "valid"
        return "valid", None, None
    assert verdict["verdict"] == "invalid"
    return "invalid", SHAPES_NS + match["shape"], match["fragment"]


def _shape_nodes(shapes: Graph) -> set[URIRef | BNode]:
    nodes: set = set()
    for kind in (SH.NodeShape, SH.PropertyShape):
        nodes.update(shapes.subjects(RDF.type, kind))
    return nodes


def _has_target(shapes: Graph, shape) -> bool:
    return any(shapes.value(shape, p) is not None for p in
               (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf))


def _used_shapes(shapes: Graph, shape) -> set:
    """Shapes that ``shape`` uses directly: sh:node, sh:property, sh:not, sh:qualifiedValueShape,
    sh:or/and/xone."""
    used = set(shapes.objects(shape, SH.node)) | set(shapes.objects(shape, SH.property))
    used |= set(shapes.objects(shape, SH["not"]))
    used |= set(shapes.objects(shape, SH.qualifiedValueShape))
    for logical in (SH["or"], SH["and"], SH.xone):
        for head in shapes.objects(shape, logical):
            used.update(Collection(shapes, head))
    return used


def test_there_are_fixtures_of_both_kinds():
    names = [p.name for p in FIXTURES]
    assert any("-valid-" in n for n in names)
    assert any("-invalid-" in n for n in names)
    numbers = [n.split("-")[0] for n in names]
    assert len(numbers) == len(set(numbers)), "fixture numbers must be unique"


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_fixture(path: Path, model: Graph, shapes: Graph, reference: Graph):
    verdict, expected, fragment = _expectation(path)
    data = read_turtle(path)
    report = validate_in_context(data, context=reference, shapes=shapes, ontology=model)
    found = {r.shape for r in report.results}
    if verdict == "valid":
        assert report.results == [], [(r.rule, r.focus, r.message) for r in report.results]
        assert report.conforms
        return
    assert found == {expected}, [(r.shape, r.focus, r.path, r.value) for r in report.results]
    assert any(fragment in r.message for r in report.results), [r.message for r in report.results]
    severity = shapes.value(URIRef(expected), SH.severity)
    assert {r.severity for r in report.results} == {severity.split("#")[-1]}
    assert report.conforms == (severity == SH.Warning)
    for result in report.results:
        assert result.rule == str(shapes.value(URIRef(expected), RDFS.label))


def test_every_shape_is_covered_by_an_invalid_fixture(shapes: Graph):
    covered = {_expectation(p)[1] for p in FIXTURES} - {None}
    targeted = {s for s in _shape_nodes(shapes) if _has_target(shapes, s)}
    assert covered <= {str(s) for s in targeted}, "a fixture expects a shape that does not exist"
    missing = sorted(str(s) for s in targeted if str(s) not in covered)
    assert missing == [], f"shapes without an invalid fixture: {missing}"
    # Building blocks (no target) are covered through the shapes that use them.
    reachable: set = set()
    todo = [URIRef(s) for s in covered]
    while todo:
        shape = todo.pop()
        for used in _used_shapes(shapes, shape):
            if used not in reachable:
                reachable.add(used)
                todo.append(used)
    unused = sorted(str(s) for s in _shape_nodes(shapes) - targeted if s not in reachable)
    assert unused == [], f"building blocks no covered shape uses: {unused}"


def test_every_shape_is_named_labelled_explained_and_graded(shapes: Graph):
    for shape in _shape_nodes(shapes):
        assert isinstance(shape, URIRef) and str(shape).startswith(SHAPES_NS), shape
        label = shapes.value(shape, RDFS.label)
        assert isinstance(label, Literal) and label.language == "en-GB", shape
        severity = shapes.value(shape, SH.severity)
        assert severity in (SH.Violation, SH.Warning, SH.Info), shape
        messages = list(shapes.objects(shape, SH.message))
        for constraint in shapes.objects(shape, SH.sparql):
            messages += list(shapes.objects(constraint, SH.message))
        assert messages and all(m.language == "en-GB" for m in messages), shape
        if _has_target(shapes, shape):
            name = str(shape)[len(SHAPES_NS):]
            should, must = "Should" in name, "Must" in name
            assert should != must, f"{name}: say either Must or Should"
            assert (severity == SH.Warning) == should, f"{name}: Should rules are warnings"


def test_every_shape_used_inside_another_is_named(shapes: Graph):
    for shape in _shape_nodes(shapes):
        for used in _used_shapes(shapes, shape):
            assert isinstance(used, URIRef), f"{shape} uses an unnamed shape"


def test_sparql_constraints_are_few_and_targeted(shapes: Graph):
    with_sparql = set(shapes.subjects(SH.sparql, None))
    # Core SHACL wherever it can say the rule (it is faster, and the screen can pre-filter it);
    # SHACL-SPARQL only for comparisons core cannot make, such as dates of mixed precision.
    assert 0 < len(with_sparql) <= 5
    for shape in with_sparql:
        assert _has_target(shapes, shape)
    assert not list(shapes.subjects(SH.target, None)), "no SHACL-AF targets"


def test_shapes_in_the_data_are_ignored(model: Graph, shapes: Graph, reference: Graph):
    """A data file cannot switch a shape off, nor add its own."""
    data = Graph().parse(format="turtle", data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix shapes: <https://w3id.org/compact-kg/shapes/> .
        @prefix ckg: <https://w3id.org/compact-kg/def/> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        shapes:CaseStudyMustNameItsArea sh:deactivated true .
        shapes:EveryResourceMustHaveALabel sh:deactivated true .
        <https://example.org/s> a sh:NodeShape ; sh:targetClass ckg:Area ; sh:maxCount 0 ;
            sh:path rdfs:label .
        <https://example.org/cs> a ckg:CaseStudy .
    """)
    report = validate_graph(data + reference, shapes=shapes, ontology=model)
    rules = {r.shape for r in report.results}
    assert SHAPES_NS + "CaseStudyMustNameItsArea" in rules
    assert SHAPES_NS + "EveryResourceMustHaveALabel" in rules
    assert not any(r.shape.startswith("https://example.org/") for r in report.results)


def test_validation_leaves_its_inputs_alone(model: Graph, shapes: Graph):
    data = read_turtle(FIXTURES[-1])
    sizes = len(data), len(model), len(shapes)
    validate_graph(data, shapes=shapes, ontology=model)
    assert (len(data), len(model), len(shapes)) == sizes


@pytest.mark.parametrize("argument", ["ontology/shapes.ttl", b"@prefix x: <y> ."])
def test_graphs_are_never_read_from_strings(argument, shapes: Graph):
    """A string is a path or a URL to pySHACL and rdflib: refuse it rather than follow it."""
    with pytest.raises(TypeError):
        validate_graph(argument, shapes=shapes)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        validate_graph(Graph(), shapes=argument)  # type: ignore[arg-type]


def test_result_fields(model: Graph, shapes: Graph, reference: Graph):
    path = next(p for p in FIXTURES if "measurement-with-two-units" in p.name)
    report = validate_in_context(read_turtle(path), context=reference, shapes=shapes,
                                 ontology=model)
    (result,) = report.results
    assert result.severity == "Violation"
    assert result.rule == "A measurement must have exactly one unit"
    assert result.focus == "https://example.org/compact-kg/test/measurement-2010"
    assert result.focus_label == "Example measurement, 2010"
    assert result.path == "ckg:unit"
    assert result.component == "sh:MaxCountConstraintComponent"
    assert result.file is None and result.line is None and result.column is None
    assert report.counts == {"Violation": 1, "Warning": 0, "Info": 0}
    assert report.summary["measurements"] == 1
    assert list(report.group_by_rule()) == [SHAPES_NS + "MeasurementMustHaveExactlyOneUnit"]


def test_context_problems_are_not_reported_against_a_file(
    model: Graph, shapes: Graph, reference: Graph
):
    """Validating a file reports on what the file describes, not on its context."""
    broken_context = Graph()
    for triple in reference:
        broken_context.add(triple)
    broken_context.remove((None, RDFS.label, None))
    assert not validate_graph(broken_context, shapes=shapes, ontology=model).conforms
    path = next(p for p in FIXTURES if "-valid-case-study" in p.name)
    report = validate_in_context(read_turtle(path), context=broken_context, shapes=shapes,
                                 ontology=model)
    assert report.results == []


def test_a_broken_shape_is_a_one_line_error_not_a_crash(model: Graph, reference: Graph):
    """pySHACL answers a SPARQL constraint with VALUES (SHACL forbids it) with a failure
    object, not a report: validation says so in one line."""
    from compact_kg.errors import CompactKGError

    broken = Graph().parse(format="turtle", data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix ckg: <https://w3id.org/compact-kg/def/> .
        <https://example.org/shape> a sh:NodeShape ;
            sh:targetClass ckg:Area ;
            sh:sparql [ a sh:SPARQLConstraint ; sh:message "x" ;
                sh:select "SELECT $this WHERE { VALUES ?x { 1 } FILTER (false) }" ] .
    """)
    with pytest.raises(CompactKGError, match=r"the shapes cannot be run: .*VALUES"):
        validate_graph(reference, shapes=broken, ontology=model)
