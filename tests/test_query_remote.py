"""A real Oxigraph server: load the dataset, query it, and get the embedded answers."""

from __future__ import annotations

import pytest

from compact_kg.endpoint import query_endpoint_url, store_endpoint_url, upload
from compact_kg.errors import EndpointError, QueryError
from compact_kg.paths import ProjectPaths
from compact_kg.queries import (
    find_query,
    load_catalogue,
    parse_query_text,
    run_embedded,
    run_remote,
)
from compact_kg.store import dataset_files
from tests.servers import free_port

pytestmark = pytest.mark.server

CHECKS = [
    ("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", {}),
    ("SELECT ?s (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?s", {}),
    ("SELECT ?label (LANG(?label) AS ?lang) WHERE "
     "{ ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }", {}),
    ("SELECT ?o WHERE { ?s <http://example.org/note> ?o }", {}),
    ("ASK { ?s a <https://w3id.org/compact-kg/def/Area> }", {}),
    ("CONSTRUCT { ?s a ?c } WHERE { ?s a ?c }", {}),
]


@pytest.fixture(scope="module")
def loaded(oxigraph_server, project: ProjectPaths):
    count = upload(oxigraph_server.url, dataset_files(project))
    assert count > 10
    return oxigraph_server


@pytest.mark.parametrize(("text", "params"), CHECKS)
def test_remote_answers_equal_embedded_answers(loaded, store, text: str, params: dict):
    remote = run_remote(text, loaded.url, 10, params)
    embedded = run_embedded(text, store, params)
    assert remote.kind == embedded.kind
    assert remote.boolean == embedded.boolean
    assert remote.variables == embedded.variables
    assert remote.multiset() == embedded.multiset()


def test_saved_queries_with_parameters_agree(loaded, store, project: ProjectPaths):
    for query in load_catalogue(project.queries_dir):
        values = {"year": "2010"} if query.name == "areas-by-year" else {}
        remote = run_remote(query, f"{loaded.url}/query", 10, values)
        embedded = run_embedded(query, store, values)
        assert remote.multiset() == embedded.multiset(), query.name
    labels = find_query("labels", project.queries_dir)
    compact = {"type": "https://w3id.org/compact-kg/def/Compact"}
    assert len(run_remote(labels, loaded.url, 10, compact)) == 2  # two labels, en and fr


def test_remote_injection_matches_only_literally(loaded):
    query = parse_query_text(
        "#+ param: name | string | | a label\n"
        "SELECT ?s WHERE { { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?_name } }\n"
    )
    payload = 'nobody" } UNION { ?s ?p ?o } UNION { ?s ?p "nobody'
    assert run_remote(query, loaded.url, 10, {"name": payload}).rows == []
    assert len(run_remote(query, loaded.url, 10, {"name": "Surrey"}).rows) == 1


def test_refused_forms_are_refused_before_sending(loaded):
    with pytest.raises(QueryError, match="refused"):
        run_remote("SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }", loaded.url, 10)
    with pytest.raises(QueryError, match="refused"):
        run_remote("DROP ALL", loaded.url, 10)
    assert len(run_remote("SELECT * WHERE { ?s ?p ?o }", loaded.url, 10)) > 10


def test_load_into_a_named_graph_replaces_it(loaded, project: ProjectPaths):
    graph = "https://w3id.org/compact-kg/graph/test"
    first = upload(loaded.url, dataset_files(project), graph)
    again = upload(loaded.url, dataset_files(project), graph)
    assert first == again
    text = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    assert int(run_remote(text, loaded.url, 10).rows[0][0]) == first


def test_default_graph_queries_one_named_graph(oxigraph_server, store, project: ProjectPaths):
    graph = "https://w3id.org/compact-kg/graph/test-default-graph"
    upload(oxigraph_server.url, dataset_files(project), graph)
    text = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    remote = run_remote(text, oxigraph_server.url, 10, default_graph=graph)
    assert remote.multiset() == run_embedded(text, store).multiset()
    other = "https://w3id.org/compact-kg/graph/test-empty"
    assert run_remote(text, oxigraph_server.url, 10, default_graph=other).rows == []
    with pytest.raises(QueryError, match=r"--default-graph: .* expects an IRI"):
        run_remote(text, oxigraph_server.url, 10, default_graph="not an iri")


def test_unreachable_endpoint_is_a_one_line_error():
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(EndpointError, match=r"cannot reach the SPARQL endpoint .*/query") as caught:
        run_remote("ASK {}", url, 5)
    assert "\n" not in str(caught.value)


def test_http_errors_are_endpoint_errors(loaded):
    with pytest.raises(EndpointError, match="HTTP 404 Not Found") as caught:
        run_remote("ASK {}", f"{loaded.url}/no-such-service", 5)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://x/", "127.0.0.1:7878"])
def test_only_http_urls_are_accepted(url: str):
    with pytest.raises(EndpointError, match="not an http"):
        run_remote("ASK {}", url, 5)


def test_endpoint_url_conventions():
    assert query_endpoint_url("http://h:7878") == "http://h:7878/query"
    assert query_endpoint_url("http://h:7878/") == "http://h:7878/query"
    assert query_endpoint_url("http://h:3030/ds/sparql") == "http://h:3030/ds/sparql"
    assert store_endpoint_url("http://h:7878") == "http://h:7878/store"
    assert store_endpoint_url("http://h:7878/store") == "http://h:7878/store"


def test_silent_endpoint_times_out():
    import socket
    import time

    from compact_kg.errors import QueryTimeoutError

    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        with pytest.raises(QueryTimeoutError, match="ran past its 1 s limit"):
            run_remote("ASK {}", url, 1)
        assert time.monotonic() - started < 3
