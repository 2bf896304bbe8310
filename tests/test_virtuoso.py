"""Every saved query on a real Virtuoso 7 gives the rows it gives on the embedded store.

The test starts Virtuoso itself (``tests/servers.py``: a fresh database in a temporary
directory, HTTP and ISQL on 127.0.0.1 only), loads the dataset into one named graph through
Virtuoso's SPARQL 1.1 Graph Store Protocol endpoint (``/sparql-graph-crud``) with
:func:`compact_kg.endpoint.upload`, and queries ``/sparql`` with that graph as the default
graph (``default-graph-uri``): Virtuoso's own default graph is the union of all its graphs,
its system graphs included.

Rows are compared as multisets of exact terms: IRIs, lexical forms, datatypes and language
tags character by character (Virtuoso 7.2.5 answers the same ``xsd:integer`` counts, decimal
lexical forms and lower-case language tags, ``en-gb`` for ``en-GB``, as Oxigraph does for
these queries), so nothing is normalised but blank node labels, which are each server's own.
The checks (``-violation``) return no rows on the shipped data, so each also runs on its
small broken graph from tests/test_saved_queries.py, loaded into a named graph of its own.

The package is Debian's ``virtuoso-opensource-7-bin``; the tests are skipped only when
``/usr/bin/virtuoso-t`` is missing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph
import pytest
from click.testing import CliRunner
from rdflib import BNode, Literal, URIRef

from compact_kg.cli import cli
from compact_kg.endpoint import upload
from compact_kg.errors import EndpointError
from compact_kg.paths import ProjectPaths
from compact_kg.queries import QueryResult, find_query, load_catalogue, run_embedded, run_remote
from compact_kg.store import dataset_files, load_store
from tests.servers import VIRTUOSO, VirtuosoServer
from tests.test_saved_queries import BROKEN, BROKEN_PREFIXES, VARIANTS

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parents[1]
PATHS = ProjectPaths(ROOT)
GRAPH = "https://w3id.org/compact-kg/graph/test-virtuoso"
CATALOGUE = [query.name for query in load_catalogue(PATHS.queries_dir)]
RUNS = [(name, {}) for name in CATALOGUE] + [
    (variant.partition("@")[0], params) for variant, params in VARIANTS.items()
]
RUN_IDS = CATALOGUE + list(VARIANTS)


@pytest.fixture(scope="module")
def dataset() -> pyoxigraph.Store:
    return load_store(dataset_files(PATHS))


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory,
             dataset: pyoxigraph.Store) -> Iterator[VirtuosoServer]:
    """A Virtuoso of this module's own, the dataset loaded into the named graph GRAPH."""
    if not VIRTUOSO.is_file():
        pytest.skip(f"{VIRTUOSO} is missing: apt-get install virtuoso-opensource-7-bin")
    server = VirtuosoServer(tmp_path_factory.mktemp("virtuoso")).start()
    try:
        server.allow_graph_store_writes()
        assert upload(server.store_url, dataset_files(PATHS), GRAPH) == len(dataset)
        yield server
    finally:
        server.stop()


def key(term: URIRef | Literal | BNode | None) -> tuple[str, ...] | None:
    """A comparable form of a term: exact, with every blank node the same placeholder."""
    if term is None:
        return None
    if isinstance(term, BNode):
        return ("bnode",)  # blank node labels are the server's own
    if isinstance(term, URIRef):
        return ("iri", str(term))
    datatype = "" if term.datatype is None else str(term.datatype)
    return ("literal", str(term), datatype, term.language or "")


def rows(result: QueryResult) -> Counter:
    return Counter(tuple(key(term) for term in row) for row in result.rows)


def assert_same(remote: QueryResult, embedded: QueryResult, where: str) -> None:
    assert (remote.kind, remote.variables, remote.boolean) == (
        embedded.kind, embedded.variables, embedded.boolean), where
    missing, extra = rows(embedded) - rows(remote), rows(remote) - rows(embedded)
    assert not missing and not extra, f"{where}: only embedded: {missing}; only Virtuoso: {extra}"


def count(server: VirtuosoServer, default_graph: str | None) -> int:
    text = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    return int(run_remote(text, server.url, 30, default_graph=default_graph).rows[0][0])


def test_virtuoso_listens_on_loopback_only(virtuoso: VirtuosoServer):
    ini = (virtuoso.directory / "virtuoso.ini").read_text(encoding="utf-8")
    assert f"ServerPort           = 127.0.0.1:{virtuoso.http_port}" in ini
    assert f"ServerPort           = 127.0.0.1:{virtuoso.isql_port}" in ini
    assert virtuoso.startup_seconds is not None and virtuoso.startup_seconds < 60


def test_the_named_graph_holds_exactly_the_dataset(virtuoso: VirtuosoServer, dataset):
    assert count(virtuoso, GRAPH) == len(dataset)
    # Without default-graph-uri, Virtuoso's default graph is the union of every graph it
    # holds, its own system graphs included: that is why the queries name the graph.
    assert count(virtuoso, None) > len(dataset)


def test_uploading_again_replaces_the_graph(virtuoso: VirtuosoServer, dataset):
    assert upload(virtuoso.store_url, dataset_files(PATHS), GRAPH) == len(dataset)
    assert count(virtuoso, GRAPH) == len(dataset)


def test_anonymous_writes_need_the_grant(virtuoso: VirtuosoServer):
    graph = "https://w3id.org/compact-kg/graph/test-virtuoso-grant"
    virtuoso.isql('REVOKE SPARQL_UPDATE FROM "SPARQL";')
    try:
        with pytest.raises(EndpointError, match="HTTP 403"):
            upload(virtuoso.store_url, dataset_files(PATHS), graph)
    finally:
        virtuoso.allow_graph_store_writes()
    assert count(virtuoso, graph) == 0


@pytest.mark.parametrize(("name", "params"), RUNS, ids=RUN_IDS)
def test_saved_query_gives_the_embedded_rows(virtuoso: VirtuosoServer, dataset,
                                             name: str, params: dict):
    query = find_query(name, PATHS.queries_dir)
    embedded = run_embedded(query, dataset, params)
    remote = run_remote(query, virtuoso.url, 60, params, default_graph=GRAPH)
    assert_same(remote, embedded, f"{name} {params}")
    if not query.is_violation and not params:
        assert embedded.rows, f"{name} returns no rows on the dataset: a weak comparison"


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_check_finds_the_faults_of_a_broken_graph(virtuoso: VirtuosoServer, tmp_path: Path,
                                                  name: str):
    turtle, expected_rows = BROKEN[name]
    broken = tmp_path / "broken.ttl"
    broken.write_text(BROKEN_PREFIXES + turtle, encoding="utf-8")
    files = [*PATHS.model_files(), broken]
    graph = f"https://w3id.org/compact-kg/graph/test-broken-{name}"
    upload(virtuoso.store_url, files, graph)
    query = find_query(name, PATHS.queries_dir)
    embedded = run_embedded(query, load_store(files))
    remote = run_remote(query, virtuoso.url, 60, default_graph=graph)
    assert len(embedded.rows) == len(expected_rows)
    assert_same(remote, embedded, name)


def test_cli_loads_and_queries_virtuoso(virtuoso: VirtuosoServer):
    runner = CliRunner()
    env = {"COMPACT_KG_HOME": str(ROOT)}
    graph = "https://w3id.org/compact-kg/graph/test-virtuoso-cli"
    loaded = runner.invoke(cli, ["load", "--endpoint", virtuoso.store_url, "--graph", graph],
                           env=env)
    assert loaded.exit_code == 0, loaded.output
    args = ["query", "timeline", "-f", "csv"]
    remote = runner.invoke(
        cli, [*args, "--endpoint", virtuoso.url, "--default-graph", graph], env=env)
    embedded = runner.invoke(cli, args, env=env)
    assert remote.exit_code == 0, remote.output
    assert sorted(remote.output.splitlines()) == sorted(embedded.output.splitlines())
    assert len(embedded.output.splitlines()) > 10

