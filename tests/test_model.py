"""One source of truth: every ckg: term in use is declared in ontology/compact.ttl, the closed
namespace in compact_kg.namespace lists exactly the declared terms, every concept used in the
data exists in the vocabularies, and the model meets its meta-shapes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import ORG, OWL, RDF, RDFS, SKOS

from compact_kg.namespace import CKG
from compact_kg.paths import default_paths
from compact_kg.validate import load_model, read_turtle, validate_graph

ROOT = Path(__file__).resolve().parents[1]
PATHS = default_paths(ROOT)
DEF = "https://w3id.org/compact-kg/def/"
VOCAB = "https://w3id.org/compact-kg/vocab/"
TERM_KINDS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
# The ontology's own IRI and version IRI live under def/ but are not terms.
NOT_TERMS = re.compile(r"^(|\d+\.\d+\.\d+)$")


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return read_turtle(PATHS.ontology_file)


@pytest.fixture(scope="module")
def model() -> Graph:
    return load_model(PATHS)


@pytest.fixture(scope="module")
def declared(ontology: Graph) -> set[str]:
    names = set()
    for kind in TERM_KINDS:
        for term in ontology.subjects(RDF.type, kind):
            assert str(term).startswith(DEF), f"{term} is declared but not ours"
            names.add(str(term)[len(DEF):])
    return names


def _iris_in_turtle(path: Path) -> set[str]:
    graph = read_turtle(path)
    iris = set()
    for triple in graph:
        iris.update(str(t) for t in triple if isinstance(t, URIRef))
        obj = triple[2]
        if isinstance(obj, Literal) and obj.datatype is not None:
            iris.add(str(obj.datatype))
    return iris


def _terms_in_sparql(text: str) -> set[str]:
    """ckg: terms in a SPARQL query: full IRIs, and prefixed names of any prefix bound to def/."""
    terms = set(re.findall(r"<" + re.escape(DEF) + r"([A-Za-z0-9_]+)>", text))
    prefixes = re.findall(r"PREFIX\s+([A-Za-z][\w-]*)?:\s*<" + re.escape(DEF) + ">", text, re.I)
    for prefix in prefixes:
        terms.update(re.findall(r"(?<![\w:<])" + re.escape(prefix) + r":([A-Za-z]\w*)", text))
    return terms


def _used_terms() -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}
    turtle = [*PATHS.data_files(), PATHS.shapes_file, *PATHS.vocabulary_files]
    for path in turtle:
        for iri in _iris_in_turtle(path):
            if iri.startswith(DEF):
                used.setdefault(iri[len(DEF):], set()).add(path.name)
    for path in sorted(PATHS.queries_dir.glob("*.rq")) if PATHS.queries_dir.is_dir() else []:
        for term in _terms_in_sparql(path.read_text(encoding="utf-8")):
            used.setdefault(term, set()).add(path.name)
    for path in sorted((ROOT / "src" / "compact_kg").glob("*.py")):
        for term in re.findall(r"\bCKG\.([A-Za-z]\w*)", path.read_text(encoding="utf-8")):
            used.setdefault(term, set()).add(path.name)
    return {t: files for t, files in used.items() if not NOT_TERMS.match(t)}


def test_the_scanner_sees_terms():
    """Guard against a scanner that silently finds nothing."""
    used = _used_terms()
    assert {"CaseStudy", "area", "gssCode", "Measurement"} <= set(used)
    assert _terms_in_sparql("PREFIX k: <https://w3id.org/compact-kg/def/>\nSELECT * "
                            "{ ?a k:area ?b ; <https://w3id.org/compact-kg/def/theme> ?t }") \
        == {"area", "theme"}


def test_every_used_term_is_declared(declared: set[str]):
    undeclared = {t: sorted(f) for t, f in _used_terms().items() if t not in declared}
    assert undeclared == {}, f"ckg: terms used but not declared in compact.ttl: {undeclared}"


def test_the_namespace_lists_exactly_the_declared_terms(declared: set[str]):
    listed = {name for name in CKG.__annotations__ if not name.startswith("_")}
    assert listed == declared, {
        "in namespace.py only": sorted(listed - declared),
        "in compact.ttl only": sorted(declared - listed),
    }


def test_every_concept_used_exists(model: Graph):
    concepts = {str(c) for c in model.subjects(RDF.type, SKOS.Concept)}
    schemes = {str(s) for s in model.subjects(RDF.type, SKOS.ConceptScheme)}
    assert concepts and schemes
    missing: dict[str, list[str]] = {}
    for path in [*PATHS.data_files(), PATHS.shapes_file]:
        for iri in _iris_in_turtle(path):
            if iri.startswith(VOCAB) and iri not in concepts | schemes:
                missing.setdefault(iri, []).append(path.name)
    assert missing == {}, f"concepts used but not in the vocabularies: {missing}"


def test_every_organisation_class_is_an_org_organization(model: Graph):
    """Validation runs without inference, so the hierarchy must reach org:Organization."""
    organisation_classes = [c for c in model.subjects(RDF.type, OWL.Class)
                            if ORG.Organization in model.transitive_objects(c, RDFS.subClassOf)
                            or any(str(s).startswith(str(ORG))
                                   for s in model.objects(c, RDFS.subClassOf))]
    assert URIRef(DEF + "Council") in organisation_classes
    for cls in organisation_classes:
        assert ORG.Organization in set(model.transitive_objects(cls, RDFS.subClassOf)), cls


@pytest.fixture(scope="module")
def meta_shapes() -> Graph:
    return read_turtle(PATHS.ontology_dir / "meta-shapes.ttl")


def test_the_model_meets_the_meta_shapes(model: Graph, meta_shapes: Graph):
    graph = Graph()
    for triple in model:
        graph.add(triple)
    read_turtle(PATHS.shapes_file, graph)
    read_turtle(PATHS.ontology_dir / "meta-shapes.ttl", graph)
    report = validate_graph(graph, shapes=meta_shapes)
    assert report.results == [], [(r.rule, r.focus, r.message) for r in report.results]


@pytest.mark.parametrize(
    ("remove", "rule"),
    [
        ((URIRef(DEF + "CaseStudy"), SKOS.definition, None), "A term must have a definition"),
        ((URIRef(DEF + "area"), RDFS.label, None), "A term must have a British English label"),
        ((URIRef(VOCAB + "unit/percent"), SKOS.inScheme, None),
         "A concept must be in a concept scheme"),
        ((URIRef(VOCAB + "theme"), URIRef("http://purl.org/dc/terms/license"), None),
         "An ontology or scheme must have a licence"),
    ],
)
def test_the_meta_shapes_catch_omissions(model: Graph, meta_shapes: Graph, remove, rule):
    graph = Graph()
    for triple in model:
        graph.add(triple)
    assert (remove in graph), remove
    graph.remove(remove)
    report = validate_graph(graph, shapes=meta_shapes)
    assert not report.conforms
    assert {r.rule for r in report.results} == {rule}
    assert {r.focus for r in report.results} == {str(remove[0])}


def test_the_standard_prefixes_are_the_readme_block():
    """namespace.OUR_PREFIXES is the prefix block documented in ontology/README.md."""
    import re

    from compact_kg.namespace import BASE, OUR_PREFIXES

    readme = (ROOT / "ontology" / "README.md").read_text(encoding="utf-8")
    block = readme.split("The standard prefixes", 1)[1]
    documented = dict(re.findall(r"@prefix (\w+):\s+<([^>]+)> \.", block))
    assert documented == {p: BASE + local for p, local in OUR_PREFIXES.items()}
