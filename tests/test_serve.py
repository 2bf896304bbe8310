"""`compact-kg serve`: content negotiation at resource paths and the read-only SPARQL endpoint."""

from __future__ import annotations

import csv
import io
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from compact_kg.errors import InputError
from compact_kg.serve import RunningServer, negotiate, start_server
from tests._publish_support import make_checkout

pytestmark = pytest.mark.server

AREA_QUERY = ("SELECT ?area WHERE { ?area a <https://w3id.org/compact-kg/def/Area> } "
              "ORDER BY ?area LIMIT 3")
CARTESIAN = ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . "
             "?m ?n2 ?o }")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    paths = make_checkout(tmp_path_factory.mktemp("serve"))
    running = start_server(host="127.0.0.1", port=0, timeout=2.0, paths=paths)
    try:
        yield running
    finally:
        running.close()


def fetch(server: RunningServer, path: str, *, accept: str | None = None,
          data: bytes | None = None, content_type: str | None = None,
          method: str | None = None) -> tuple[int, str, bytes]:
    request = urllib.request.Request(server.url + path, data=data, method=method)
    if accept is not None:
        request.add_header("Accept", accept)
    if content_type is not None:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def test_server_binds_loopback_on_a_free_port(server: RunningServer) -> None:
    host, port = server.server.server_address[:2]
    assert host == "127.0.0.1" and port > 0
    assert server.url == f"http://127.0.0.1:{port}/"


def test_a_public_address_is_refused() -> None:
    with pytest.raises(InputError, match="loopback"):
        start_server(host="0.0.0.0")


@pytest.mark.parametrize(("accept", "expected"), [
    ("text/html", "text/html"),
    ("text/turtle", "text/turtle"),
    ("application/ld+json", "application/ld+json"),
    ("application/rdf+xml", "application/rdf+xml"),
    ("application/n-triples", "application/n-triples"),
    ("*/*", "text/html"),
    (None, "text/html"),
    ("text/html;q=0.1, text/turtle;q=0.8", "text/turtle"),
    ("application/*;q=0.5, text/turtle;q=0.4", "application/ld+json"),
    ("text/*;q=0.9, text/html;q=0", "text/turtle"),
    ("application/pdf, */*;q=0.1", "text/html"),
])
def test_resource_uri_negotiates_its_representation(server: RunningServer, accept: str | None,
                                                    expected: str) -> None:
    status, content_type, body = fetch(server, "id/area/surrey", accept=accept)
    assert status == 200
    assert content_type.split(";")[0] == expected
    assert body


def test_each_representation_is_the_resource_data(server: RunningServer) -> None:
    from rdflib import Graph, URIRef

    _, _, turtle = fetch(server, "id/area/surrey", accept="text/turtle")
    graph = Graph().parse(data=turtle, format="turtle")
    assert (URIRef("https://w3id.org/compact-kg/id/area/surrey"), None, None) in graph
    _, _, html = fetch(server, "id/area/surrey", accept="text/html")
    assert b"<h1>Surrey</h1>" in html


@pytest.mark.parametrize("accept", ["application/pdf", "image/png, text/plain",
                                    "text/turtle;q=0, text/html;q=0, application/*;q=0"])
def test_unservable_accept_gets_406(server: RunningServer, accept: str) -> None:
    status, _, body = fetch(server, "id/area/surrey", accept=accept)
    assert status == 406
    assert b"text/turtle" in body


def test_unknown_path_is_404_and_well_known_void_is_turtle(server: RunningServer) -> None:
    assert fetch(server, "id/area/atlantis")[0] == 404
    status, content_type, body = fetch(server, ".well-known/void")
    assert status == 200 and content_type.startswith("text/turtle")
    assert b"void:Dataset" in body or b"rdfs.org/ns/void#Dataset" in body
    assert fetch(server, "../../etc/passwd")[0] in {400, 404}


@pytest.mark.parametrize(("fmt", "media"), [
    ("json", "application/sparql-results+json"), ("xml", "application/sparql-results+xml"),
    ("csv", "text/csv"), ("tsv", "text/tab-separated-values")])
def test_select_answers_in_each_results_format(server: RunningServer, fmt: str,
                                               media: str) -> None:
    by_param = fetch(server, "sparql?" + urllib.parse.urlencode({"query": AREA_QUERY,
                                                                 "format": fmt}))
    by_accept = fetch(server, "sparql?" + urllib.parse.urlencode({"query": AREA_QUERY}),
                      accept=media)
    for status, content_type, body in (by_param, by_accept):
        assert status == 200, body
        assert content_type.split(";")[0] == media
        rows = _rows(fmt, body)
        assert len(rows) == 3
        assert all("https://w3id.org/compact-kg/id/area/" in row for row in rows)


def _rows(fmt: str, body: bytes) -> list[str]:
    if fmt == "json":
        return [b["area"]["value"] for b in json.loads(body)["results"]["bindings"]]
    if fmt == "xml":
        ns = "{http://www.w3.org/2005/sparql-results#}"
        return [u.text or "" for u in ET.fromstring(body).iter(f"{ns}uri")]
    if fmt == "csv":
        return [r[0] for r in list(csv.reader(io.StringIO(body.decode())))[1:]]
    return body.decode().splitlines()[1:]


def test_post_form_and_sparql_query_bodies(server: RunningServer) -> None:
    form = urllib.parse.urlencode({"query": AREA_QUERY}).encode()
    status, _, body = fetch(server, "sparql", data=form,
                            content_type="application/x-www-form-urlencoded",
                            accept="application/sparql-results+json")
    assert status == 200 and len(json.loads(body)["results"]["bindings"]) == 3
    status, _, body = fetch(server, "sparql", data=AREA_QUERY.encode(),
                            content_type="application/sparql-query")
    assert status == 200 and len(json.loads(body)["results"]["bindings"]) == 3


def test_ask_and_construct(server: RunningServer) -> None:
    ask = "ASK { <https://w3id.org/compact-kg/id/area/surrey> ?p ?o }"
    status, _, body = fetch(server, "sparql?" + urllib.parse.urlencode({"query": ask}))
    assert status == 200 and json.loads(body)["boolean"] is True
    construct = ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o "
                 "FILTER(?s = <https://w3id.org/compact-kg/id/area/surrey>) }")
    status, content_type, body = fetch(
        server, "sparql?" + urllib.parse.urlencode({"query": construct}), accept="text/turtle")
    assert status == 200 and content_type.startswith("text/turtle") and b"surrey" in body


@pytest.mark.parametrize(("how", "expected"), [
    ("update-param", 403), ("update-text", 403), ("update-content-type", 403)])
def test_updates_are_refused(server: RunningServer, how: str, expected: int) -> None:
    update = "INSERT DATA { <http://example.org/a> <http://example.org/b> 1 }"
    if how == "update-param":
        result = fetch(server, "sparql", data=urllib.parse.urlencode({"update": update}).encode(),
                       content_type="application/x-www-form-urlencoded")
    elif how == "update-text":
        result = fetch(server, "sparql?" + urllib.parse.urlencode({"query": update}))
    else:
        result = fetch(server, "sparql", data=update.encode(),
                       content_type="application/sparql-update")
    status, _, body = result
    assert status == expected
    assert b"read-only" in body
    ask = "ASK { <http://example.org/a> ?p ?o }"
    _, _, answer = fetch(server, "sparql?" + urllib.parse.urlencode({"query": ask}))
    assert json.loads(answer)["boolean"] is False


@pytest.mark.parametrize(("query", "word"), [
    ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", b"SERVICE"),
    ("SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }", b"FROM"),
    ("SELECT * FROM NAMED <http://example.org/g> WHERE { GRAPH ?g { ?s ?p ?o } }", b"FROM"),
    ("SELECT WHERE {", b"does not parse"),
])
def test_outside_requests_and_bad_syntax_are_refused(server: RunningServer, query: str,
                                                     word: bytes) -> None:
    status, _, body = fetch(server, "sparql?" + urllib.parse.urlencode({"query": query}))
    assert status == 400
    assert word in body


def test_a_cartesian_product_is_stopped_at_the_deadline(server: RunningServer) -> None:
    started = time.monotonic()
    status, _, body = fetch(server, "sparql?" + urllib.parse.urlencode({"query": CARTESIAN}))
    elapsed = time.monotonic() - started
    assert status == 503
    assert b"stopped" in body
    assert 1.9 < elapsed < 10
    # and the server still answers afterwards
    assert fetch(server, "sparql?" + urllib.parse.urlencode({"query": AREA_QUERY}))[0] == 200


def test_the_site_pages_are_served(server: RunningServer) -> None:
    for path in ("", "index.html", "query.html", "queries.html", "mechanisms.html",
                 "dumps/SHA256SUMS", "def/"):
        status, _, _ = fetch(server, path)
        assert status == 200, path
    assert fetch(server, "index.html", method="PUT", data=b"x")[0] == 405


def test_negotiate_follows_q_values_and_specificity() -> None:
    available = ["text/html", "text/turtle", "application/ld+json"]
    assert negotiate(None, available) == "text/html"
    assert negotiate("", available) == "text/html"
    assert negotiate("application/ld+json", available) == "application/ld+json"
    assert negotiate("*/*;q=0.2, text/turtle", available) == "text/turtle"
    assert negotiate("text/*, text/html;q=0.3", available) == "text/turtle"
    assert negotiate("application/pdf", available) is None
    assert negotiate("text/turtle;q=0", ["text/turtle"]) is None
    assert negotiate("text/turtle;q=abc, text/html", available) == "text/html"


def test_serve_cli_help_mentions_timeout() -> None:
    from click.testing import CliRunner

    from compact_kg.cli import cli

    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0 and "--timeout" in result.output
    assert Path(__file__).is_file()


def test_query_responses_carry_an_etag_and_no_cache_answers_afresh(
        server: RunningServer) -> None:
    url = server.url + "sparql?" + urllib.parse.urlencode({"query": AREA_QUERY})

    def get(headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(url, headers={"Accept": "text/csv", **headers})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    status, headers, body = get({})
    assert status == 200 and headers["ETag"].startswith('"')
    fresh_status, fresh_headers, fresh_body = get({"Cache-Control": "no-cache"})
    assert (fresh_status, fresh_headers["ETag"], fresh_body) == (200, headers["ETag"], body)
    assert get({"If-None-Match": headers["ETag"]})[0] == 304
    assert get({"If-None-Match": '"other"'})[0] == 200
    assert len(list(csv.reader(io.StringIO(body.decode())))) == 4


# -- the site rendered on demand is the published site ------------------------------------

REBASED = "http://example.org/kg/"


@pytest.fixture(scope="module", params=[None, REBASED], ids=["default-base", "rebased"])
def served_and_published(request: pytest.FixtureRequest,
                         tmp_path_factory: pytest.TempPathFactory,
                         ) -> Iterator[tuple[RunningServer, Path]]:
    """A server and the site that ``publish`` writes for the same checkout and base."""
    from compact_kg.publish import publish_site

    root = tmp_path_factory.mktemp("on-demand")
    paths = make_checkout(root / "checkout")
    published = publish_site(root / "site", base_uri=request.param, paths=paths).out_dir
    running = start_server(host="127.0.0.1", port=0, timeout=5.0, paths=paths,
                           base_uri=request.param)
    try:
        yield running, published
    finally:
        running.close()


def _published_files(site: Path) -> list[str]:
    return sorted(path.relative_to(site).as_posix() for path in site.rglob("*")
                  if path.is_file())


def test_every_published_file_is_served_with_the_same_bytes(
        served_and_published: tuple[RunningServer, Path]) -> None:
    server, site = served_and_published
    files = _published_files(site)
    assert len(files) > 100 and "index.html" in files and ".well-known/void" in files
    different = []
    for relative in files:
        status, _, body = fetch(server, urllib.parse.quote(relative))
        if status != 200 or body != (site / relative).read_bytes():
            different.append((relative, status))
    assert different == []


def test_resource_paths_negotiate_to_the_published_files(
        served_and_published: tuple[RunningServer, Path]) -> None:
    server, site = served_and_published
    resources = [relative.removesuffix(".ttl") for relative in _published_files(site)
                 if relative.endswith(".ttl") and (site / (relative[:-4] + ".html")).is_file()]
    assert len(resources) > 50
    for relative in resources:
        for media, extension in (("text/html", ".html"), ("text/turtle", ".ttl"),
                                 ("application/ld+json", ".jsonld"),
                                 ("application/rdf+xml", ".rdf"),
                                 ("application/n-triples", ".nt")):
            request = urllib.request.Request(server.url + urllib.parse.quote(relative),
                                             headers={"Accept": media})
            with urllib.request.urlopen(request, timeout=30) as response:
                assert response.headers["Content-Location"] == "/" + relative + extension
                assert "Accept" in response.headers["Vary"]
                assert response.read() == (site / (relative + extension)).read_bytes()


def test_site_pages_without_extension_negotiate_as_before(
        served_and_published: tuple[RunningServer, Path]) -> None:
    server, site = served_and_published
    for relative in ("", "case-studies", "docs/ontology", "def/"):
        status, content_type, body = fetch(server, relative)
        page = (relative + "index" if relative.endswith("/") or not relative else relative)
        assert (status, content_type.split(";")[0]) == (200, "text/html"), relative
        assert body == (site / (page + ".html")).read_bytes()


def test_the_store_holds_the_published_dumps(
        served_and_published: tuple[RunningServer, Path]) -> None:
    """The SPARQL store, loaded from the triples read, holds what the N-Triples dumps hold
    (which is what the server used to load)."""
    import pyoxigraph
    from rdflib import Graph
    from rdflib.compare import isomorphic

    server, site = served_and_published
    from_dumps = pyoxigraph.Store()
    for dump in sorted((site / "dumps").glob("*.nt")):
        from_dumps.bulk_load(path=str(dump), format=pyoxigraph.RdfFormat.N_TRIPLES)
    ours = server.server.store
    assert len(ours) == len(from_dumps) > 1000
    graphs = []
    for store in (ours, from_dumps):
        data = store.dump(format=pyoxigraph.RdfFormat.N_TRIPLES,
                          from_graph=pyoxigraph.DefaultGraph())
        graphs.append(Graph().parse(data=data, format="nt"))
    assert isomorphic(*graphs)


def test_unknown_resources_are_404(server: RunningServer) -> None:
    for path in ("id/area/atlantis", "id/area/atlantis.ttl", "id/case-study/none.html",
                 "id/area/surrey.pdf", "id/area/surrey/", "no/such/page.html"):
        status, _, body = fetch(server, path)
        assert status == 404, path
        assert b"nothing at" in body


def test_concurrent_requests_get_the_right_bodies(tmp_path_factory: pytest.TempPathFactory,
                                                  ) -> None:
    """Eight clients at once, every representation rendered afresh (no page cache)."""
    import threading

    from compact_kg.publish import publish_site

    root = tmp_path_factory.mktemp("concurrent")
    paths = make_checkout(root / "checkout")
    site = publish_site(root / "site", paths=paths).out_dir
    pages = sorted(path.relative_to(site).as_posix() for path in site.glob("id/*/*.*"))
    assert len(pages) > 100
    running = start_server(host="127.0.0.1", port=0, paths=paths, page_cache_bytes=0)
    barrier = threading.Barrier(8)
    wrong: list[str] = []

    def client(number: int) -> None:
        barrier.wait()
        for relative in pages[number::8]:
            status, _, body = fetch(running, relative)
            if status != 200 or body != (site / relative).read_bytes():
                wrong.append(relative)

    try:
        threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert not any(thread.is_alive() for thread in threads)
        assert wrong == []
    finally:
        running.close()


def test_closing_at_once_stops_and_removes_the_temporary_folder(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    paths = make_checkout(tmp_path_factory.mktemp("close"))
    running = start_server(host="127.0.0.1", port=0, paths=paths)
    assert fetch(running, "id/area/surrey.ttl")[0] == 200
    running.close()
    assert not running.workdir.exists()
    assert running.builder is not None and not running.builder.is_alive()


def test_sigterm_stops_the_server_and_removes_its_temporary_folder(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    paths = make_checkout(tmp_path / "checkout")
    temp = tmp_path / "tmp"
    temp.mkdir()
    code = ("import sys\nfrom pathlib import Path\nfrom compact_kg.paths import ProjectPaths\n"
            "from compact_kg.serve import serve_forever\n"
            "serve_forever(port=0, paths=ProjectPaths(Path(sys.argv[1])),\n"
            "              announce=lambda url: print(url, flush=True))\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(paths.root)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env={**os.environ, "TMPDIR": str(temp)})
    try:
        url = (proc.stdout.readline() if proc.stdout else b"").decode().strip()
        with urllib.request.urlopen(url + "index.html", timeout=60) as response:
            assert response.status == 200  # the site-wide files are written
        assert len(list(temp.iterdir())) == 1
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert list(temp.iterdir()) == []


def test_the_endpoint_workers_have_no_network(server: RunningServer) -> None:
    """The /sparql endpoint's queries run in workers cut off from every network by the kernel:
    each is in a network namespace other than the server's (issue 11)."""
    status, _, _ = fetch(server, "/sparql?query=" + urllib.parse.quote("ASK { ?s ?p ?o }"))
    assert status == 200
    pids = [pid for pid in server.server.runner.worker_pids if pid]
    assert pids
    ours = os.readlink("/proc/self/ns/net")
    for pid in pids:
        assert os.readlink(f"/proc/{pid}/ns/net") != ours


def test_a_saved_querys_parameters_are_bound_by_the_endpoint(server: RunningServer) -> None:
    text = (Path(__file__).resolve().parents[1] / "queries" / "areas-using-mechanism.rq"
            ).read_text(encoding="utf-8")
    officer = "https://w3id.org/compact-kg/vocab/mechanism-type/compact-officer"
    query = urllib.parse.urlencode({"query": text, "format": "json",
                                    "param": f"mechanism_type={officer}"})
    status, _, body = fetch(server, "/sparql?" + query)
    assert status == 200
    areas = {b["area"]["value"].rsplit("/", 1)[1]
             for b in json.loads(body)["results"]["bindings"]}
    assert "wolverhampton" in areas and "bristol" not in areas
    bad = urllib.parse.urlencode({"query": text, "param": "mechanism_type=not an iri"})
    status, _, body = fetch(server, "/sparql?" + bad)
    assert status == 400 and b"mechanism_type" in body and b"\n" not in body.strip()
    unknown = urllib.parse.urlencode({"query": text, "param": "colour=red"})
    status, _, body = fetch(server, "/sparql?" + unknown)
    assert status == 400 and b"colour" in body


# -- CORS: browser clients on other origins (YASGUI) read the endpoint and the data ---------


def _headers(server: RunningServer, path: str, *, method: str | None = None,
             data: bytes | None = None, headers: dict[str, str] | None = None,
             ) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(server.url + path, data=data, method=method,
                                     headers={"Origin": "https://yasgui.example",
                                              **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def test_a_cors_preflight_of_the_endpoint_is_answered(server: RunningServer) -> None:
    status, headers = _headers(server, "sparql", method="OPTIONS", headers={
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, accept"})
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["Access-Control-Allow-Methods"] == "GET, POST, OPTIONS"
    assert {h.strip().lower() for h in headers["Access-Control-Allow-Headers"].split(",")} \
        >= {"content-type", "accept"}
    assert int(headers["Access-Control-Max-Age"]) > 0
    assert "Access-Control-Allow-Credentials" not in headers
    # a resource's data may be asked for with a long Accept header, which needs a preflight
    status, headers = _headers(server, "id/area/surrey", method="OPTIONS")
    assert (status, headers["Access-Control-Allow-Origin"]) == (204, "*")
    assert "POST" not in headers["Access-Control-Allow-Methods"]


@pytest.mark.parametrize(("how", "expected"), [("get", 200), ("post-form", 200),
                                               ("post-query", 200), ("refused", 400),
                                               ("update", 403)])
def test_every_endpoint_answer_may_be_read_by_any_origin(server: RunningServer, how: str,
                                                         expected: int) -> None:
    text = {"refused": "SELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }",
            "update": "INSERT DATA { <http://example.org/a> <http://example.org/b> 1 }"
            }.get(how, AREA_QUERY)
    if how.startswith("post"):
        form = how == "post-form"
        data = urllib.parse.urlencode({"query": text}).encode() if form else text.encode()
        kind = "application/x-www-form-urlencoded" if form else "application/sparql-query"
        status, headers = _headers(server, "sparql", data=data,
                                   headers={"Content-Type": kind})
    else:
        status, headers = _headers(server, "sparql?" + urllib.parse.urlencode({"query": text}))
    assert status == expected
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in headers


def test_cached_and_not_modified_answers_carry_cors_too(server: RunningServer) -> None:
    path = "sparql?" + urllib.parse.urlencode({"query": AREA_QUERY + " # cors"})
    _, first = _headers(server, path)
    status, headers = _headers(server, path, headers={"If-None-Match": first["ETag"]})
    assert (status, headers["Access-Control-Allow-Origin"]) == (304, "*")


@pytest.mark.parametrize(("path", "accept"), [
    ("id/area/surrey", "text/turtle"), ("id/area/surrey", "application/ld+json"),
    ("id/area/surrey", "application/n-triples"), ("id/area/surrey", "application/rdf+xml"),
    ("id/area/surrey.ttl", None), ("id/area/surrey.jsonld", None),
    (".well-known/void", None), ("void.ttl", None), ("dumps/SHA256SUMS", None),
    ("dumps/compact-kg-data.ttl", None), ("dumps/compact-kg-data.nt.gz", None),
    ("id/area/atlantis.ttl", None)])
def test_the_data_may_be_read_by_any_origin(server: RunningServer, path: str,
                                            accept: str | None) -> None:
    status, headers = _headers(server, path, headers={"Accept": accept} if accept else None)
    assert status == (404 if "atlantis" in path else 200)
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in headers


@pytest.mark.parametrize("path", ["", "index.html", "id/area/surrey", "id/area/surrey.html"])
def test_html_pages_carry_no_cors_header(server: RunningServer, path: str) -> None:
    status, headers = _headers(server, path, headers={"Accept": "text/html"})
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert not any(key.lower().startswith("access-control-") for key in headers)


def test_serve_cli_defaults_are_the_library_defaults() -> None:
    from compact_kg.cli import cli
    from compact_kg.serve import ConnectionLimits

    options = {p.name: p.default for p in cli.commands["serve"].params}
    defaults = ConnectionLimits()
    assert (options["max_connections"], options["read_timeout"], options["keep_alive"]) == (
        defaults.max_connections, defaults.read_timeout, defaults.keep_alive)
