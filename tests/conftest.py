"""Shared fixtures: a small generated project, its store, and a real Oxigraph server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Graph

from compact_kg.paths import ProjectPaths, default_paths
from compact_kg.rdfio import read_turtle_files
from tests.servers import OxigraphServer, running_oxigraph

#: The checkout these tests belong to (paths from this file, never the working directory).
REPO_PATHS = default_paths(Path(__file__).resolve().parents[1])

PREFIXES = """\
@prefix ex: <http://example.org/> .
@prefix ckg: <https://w3id.org/compact-kg/def/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""

ONTOLOGY = PREFIXES + """
ckg:Area a <http://www.w3.org/2002/07/owl#Class> ; rdfs:label "Area" .
ckg:Compact a <http://www.w3.org/2002/07/owl#Class> ; rdfs:label "Compact" .
"""

VOCABULARY = PREFIXES + """
@prefix theme: <https://w3id.org/compact-kg/vocab/theme/> .
theme:cuts a skos:Concept ; skos:prefLabel "Managing cuts"@en .
theme:value a skos:Concept ; skos:prefLabel "Value for money"@en .
"""

DATA = PREFIXES + """
<https://w3id.org/compact-kg/id/area/surrey> a ckg:Area ; rdfs:label "Surrey" ;
    ex:year 2010 ; ex:started "2010-04-01"^^xsd:date ; ex:score 2.5 ; ex:active true ;
    ex:note [ rdfs:label "a blank node" ] .
<https://w3id.org/compact-kg/id/area/merton> a ckg:Area ; rdfs:label "Merton" ; ex:year 2011 .
<https://w3id.org/compact-kg/id/compact/surrey> a ckg:Compact ;
    rdfs:label "Surrey Compact" , "Compact du Surrey"@fr .
"""

SHAPES = PREFIXES + """
ex:ShapeThatMustNotBeLoaded a <http://www.w3.org/ns/shacl#NodeShape> .
"""

LABELS_QUERY = """\
#+ title: Labels of a class
#+ description: Every instance of a class with its label.
#+ tags: test
#+ param: type | iri | https://w3id.org/compact-kg/def/Area | The class to list
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?s ?label WHERE { ?s a ?_type ; rdfs:label ?label }
"""

YEAR_QUERY = """\
#+ title: Areas by year
#+ description: Areas whose compact year is the given year, counted.
#+ param: year | integer | | The year
PREFIX ckg: <https://w3id.org/compact-kg/def/>
PREFIX ex: <http://example.org/>
SELECT (COUNT(?s) AS ?n) WHERE { ?s a ckg:Area ; ex:year ?_year }
"""

UNLABELLED_QUERY = """\
#+ title: Areas without a label
#+ description: A check: every area has an rdfs:label.
PREFIX ckg: <https://w3id.org/compact-kg/def/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?s WHERE { ?s a ckg:Area FILTER NOT EXISTS { ?s rdfs:label ?l } }
"""

UNYEARED_QUERY = """\
#+ title: Areas without a year
#+ description: A check that fails on the test data: Merton and Surrey have years.
PREFIX ckg: <https://w3id.org/compact-kg/def/>
PREFIX ex: <http://example.org/>
SELECT ?s WHERE { ?s a ckg:Area ; ex:year ?y }
"""


def write_project(root: Path) -> ProjectPaths:
    """A small checkout: ontology, one vocabulary, data, shapes and saved queries."""
    files = {
        "ontology/compact.ttl": ONTOLOGY,
        "ontology/vocabularies/themes.ttl": VOCABULARY,
        "ontology/shapes.ttl": SHAPES,
        "data/areas/areas.ttl": DATA,
        "queries/labels.rq": LABELS_QUERY,
        "queries/areas-by-year.rq": YEAR_QUERY,
        "queries/unlabelled-area-violation.rq": UNLABELLED_QUERY,
        "queries/area-year-violation.rq": UNYEARED_QUERY,
    }
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return ProjectPaths(root)


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory) -> ProjectPaths:
    return write_project(tmp_path_factory.mktemp("project"))


@pytest.fixture(scope="session")
def store(project: ProjectPaths):
    from compact_kg.store import dataset_files, load_store

    return load_store(dataset_files(project))


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    with running_oxigraph(tmp_path_factory.mktemp("oxigraph") / "db") as server:
        yield server


# --- the shipped dataset, loaded once per test session -------------------------------------


@pytest.fixture(scope="session")
def model_graph() -> Graph:
    """The ontology and its SKOS vocabularies of this checkout."""
    return read_turtle_files(REPO_PATHS.model_files())


@pytest.fixture(scope="session")
def data_graph() -> Graph:
    """Every Turtle file under data/ of this checkout."""
    return read_turtle_files(REPO_PATHS.data_files())


@pytest.fixture(scope="session")
def dataset_graph(model_graph: Graph, data_graph: Graph) -> Graph:
    """The ontology, vocabularies and data together (a fresh graph: tests may not change it)."""
    graph = Graph()
    for triple in model_graph:
        graph.add(triple)
    for triple in data_graph:
        graph.add(triple)
    return graph


@pytest.fixture(autouse=True, scope="session")
def _private_index_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Commands run by the tests keep their dataset index in a temporary folder, not ~/.cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COMPACT_KG_CACHE", str(tmp_path_factory.mktemp("index-cache")))
        yield
