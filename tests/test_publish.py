"""The static site: dumps, VoID, pages, links, escaping, base rewriting, SVG, CLI, diff."""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pyoxigraph
import pytest
from click.testing import CliRunner
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF

from compact_kg.cli import cli
from compact_kg.diff import diff_graphs
from compact_kg.errors import InputError
from compact_kg.graphs import cbd, load_sources
from compact_kg.namespace import BASE
from compact_kg.publish import publish_site
from compact_kg.site import page_path
from tests._publish_support import REPO, broken_links, make_checkout, parse_page

DCAT = Namespace("http://www.w3.org/ns/dcat#")
VOID = Namespace("http://rdfs.org/ns/void#")
RDFLIB_FORMAT = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld", "rdf": "xml"}
OXIGRAPH_FORMAT = {"ttl": pyoxigraph.RdfFormat.TURTLE, "nt": pyoxigraph.RdfFormat.N_TRIPLES,
                   "jsonld": pyoxigraph.RdfFormat.JSON_LD, "rdf": pyoxigraph.RdfFormat.RDF_XML}
RAPPER_FORMAT = {"ttl": "turtle", "nt": "ntriples", "rdf": "rdfxml"}
EXAMPLE_BASE = "http://example.org/kg/"


@pytest.fixture(scope="module")
def repo_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return publish_site(tmp_path_factory.mktemp("repo") / "site", paths=REPO).out_dir


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory):
    return make_checkout(tmp_path_factory.mktemp("checkout"))


@pytest.fixture(scope="module")
def test_site(checkout, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return publish_site(tmp_path_factory.mktemp("test") / "site", paths=checkout).out_dir


@pytest.fixture(scope="module")
def rebased_site(checkout, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rebased") / "site"
    return publish_site(out, paths=checkout, base_uri=EXAMPLE_BASE).out_dir


def _rdflib(data: bytes, extension: str) -> Graph:
    graph = Graph()
    graph.parse(data=data, format=RDFLIB_FORMAT[extension])
    return graph


def _lower_languages(graph: Graph) -> Graph:
    """The graph with language tags in lower case (case-insensitive; rapper lowers them)."""
    out = Graph()
    for s, p, o in graph:
        if isinstance(o, Literal) and o.language:
            o = Literal(str(o), lang=o.language.lower())
        out.add((s, p, o))
    return out


def _oxigraph_count(data: bytes, extension: str) -> int:
    return sum(1 for _ in pyoxigraph.parse(data, format=OXIGRAPH_FORMAT[extension]))


def _dumps(site: Path) -> list[Path]:
    return sorted(p for p in (site / "dumps").iterdir() if p.suffix in {".ttl", ".nt", ".jsonld",
                                                                         ".rdf"})


# -- dumps ---------------------------------------------------------------------------------


def test_every_dump_is_written_in_four_syntaxes_plain_and_gzipped(repo_site: Path) -> None:
    names = {p.name for p in (repo_site / "dumps").iterdir()}
    for part in ("ontology", "data"):
        for extension in ("ttl", "nt", "jsonld", "rdf"):
            assert f"compact-kg-{part}.{extension}" in names
            assert f"compact-kg-{part}.{extension}.gz" in names
    assert "SHA256SUMS" in names


def test_dumps_parse_with_oxigraph_and_equal_the_source_graph(repo_site: Path) -> None:
    sources = load_sources(REPO)
    for dump in _dumps(repo_site):
        extension = dump.suffix[1:]
        data = dump.read_bytes()
        source = sources.model if "ontology" in dump.name else sources.data
        assert _oxigraph_count(data, extension) == len(source), dump.name
        assert isomorphic(_rdflib(data, extension), source), dump.name
        assert gzip.decompress(Path(f"{dump}.gz").read_bytes()) == data


@pytest.mark.skipif(shutil.which("rapper") is None, reason="rapper (raptor2-utils) not installed")
def test_dumps_parse_with_rapper_and_equal_the_source_graph(repo_site: Path) -> None:
    sources = load_sources(REPO)
    checked = 0
    for dump in _dumps(repo_site):
        extension = dump.suffix[1:]
        if extension not in RAPPER_FORMAT:  # raptor2 has no JSON-LD parser
            continue
        run = subprocess.run(["rapper", "-q", "-i", RAPPER_FORMAT[extension], "-o", "ntriples",
                              str(dump), "http://example.invalid/"],
                             capture_output=True, check=False, timeout=120)
        assert run.returncode == 0, run.stderr.decode()
        source = sources.model if "ontology" in dump.name else sources.data
        assert isomorphic(_lower_languages(_rdflib(run.stdout, "nt")),
                          _lower_languages(source)), dump.name
        checked += 1
    assert checked == 6


def test_sha256sums_lists_every_dump_with_its_hash(repo_site: Path) -> None:
    dumps_dir = repo_site / "dumps"
    lines = (dumps_dir / "SHA256SUMS").read_text().splitlines()
    listed = {}
    for line in lines:
        digest, name = line.split("  ", 1)
        listed[name] = digest
    files = {p.name for p in dumps_dir.iterdir() if p.name != "SHA256SUMS"}
    assert set(listed) == files
    for name, digest in listed.items():
        assert hashlib.sha256((dumps_dir / name).read_bytes()).hexdigest() == digest
    if shutil.which("sha256sum"):
        check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=dumps_dir,
                               capture_output=True, check=False)
        assert check.returncode == 0, check.stdout.decode()


# -- VoID ----------------------------------------------------------------------------------


def test_void_counts_partitions_distributions_and_examples(test_site: Path, checkout) -> None:
    void = Graph().parse(test_site / "void.ttl", format="turtle")
    dataset = URIRef(BASE + "id/dataset/compact-kg")
    sources = load_sources(checkout)
    assert (dataset, RDF.type, VOID.Dataset) in void
    assert int(void.value(dataset, VOID.triples)) == len(sources.model) + len(sources.data)
    for predicate in ("title", "description", "license", "publisher", "issued", "modified"):
        assert void.value(dataset, URIRef("http://purl.org/dc/terms/" + predicate)) is not None
    partitions = list(void.objects(dataset, VOID.classPartition))
    area = URIRef(BASE + "def/Area")
    counts = {void.value(p, VOID["class"]): int(void.value(p, VOID.entities)) for p in partitions}
    assert counts[area] == len(set((sources.data).subjects(RDF.type, area)))
    assert list(void.objects(dataset, VOID.propertyPartition))
    distributions = list(void.objects(dataset, DCAT.distribution))
    assert len(distributions) == 16
    for dist in distributions:
        url = str(void.value(dist, DCAT.downloadURL))
        file = test_site / url.removeprefix(BASE)
        assert int(void.value(dist, DCAT.byteSize)) == file.stat().st_size
        checksum = void.value(dist, URIRef("http://spdx.org/rdf/terms#checksum"))
        value = void.value(checksum, URIRef("http://spdx.org/rdf/terms#checksumValue"))
        assert str(value) == hashlib.sha256(file.read_bytes()).hexdigest()
        assert void.value(dist, DCAT.mediaType) is not None
    assert void.value(dataset, VOID.sparqlEndpoint) == URIRef(BASE + "sparql")
    examples = set(void.objects(dataset, VOID.exampleResource))
    case_study = URIRef(BASE + "def/CaseStudy")
    assert 1 <= len(examples) <= 3
    assert all((e, RDF.type, case_study) in sources.data for e in examples)
    assert URIRef(BASE + "def/") in set(void.objects(dataset, VOID.vocabulary))
    well_known = test_site / ".well-known" / "void"
    assert well_known.read_bytes() == (test_site / "void.ttl").read_bytes()


def test_landing_page_embeds_schema_org_dataset(test_site: Path) -> None:
    page = parse_page(test_site / "index.html")
    blocks = [json.loads(text) for attrs, text in page.scripts
              if attrs.get("type") == "application/ld+json"]
    assert blocks and blocks[0]["@type"] == "Dataset"
    assert blocks[0]["distribution"]


# -- pages ---------------------------------------------------------------------------------


def test_every_resource_of_our_namespace_has_a_page_and_data(test_site: Path, checkout) -> None:
    graph = load_sources(checkout).union()
    subjects = {s for s in graph.subjects() if isinstance(s, URIRef) and str(s).startswith(BASE)
                and str(s) != BASE}
    assert len(subjects) > 200
    for subject in subjects:
        path = page_path(str(subject), BASE)
        for extension in ("html", "ttl", "jsonld", "rdf", "nt"):
            assert (test_site / f"{path}.{extension}").is_file(), f"{path}.{extension}"
    assert (test_site / "id" / "area" / "surrey.html").is_file()


def test_resource_data_files_hold_the_concise_bounded_description(test_site: Path,
                                                                  checkout) -> None:
    graph = load_sources(checkout).union()
    for local in ("id/area/surrey", "id/case-study/test-surrey", "def/Area",
                  "vocab/mechanism-type/compact-champions"):
        expected = cbd(graph, URIRef(BASE + local), BASE)
        assert len(expected) > 0
        for extension in ("ttl", "jsonld", "rdf", "nt"):
            data = (test_site / f"{local}.{extension}").read_bytes()
            assert isomorphic(_rdflib(data, extension), expected), f"{local}.{extension}"
        page = parse_page(test_site / f"{local}.html")
        embedded = [text for attrs, text in page.scripts
                    if attrs.get("type") == "application/ld+json"]
        assert len(embedded) == 1
        assert isomorphic(_rdflib(embedded[0].encode(), "jsonld"), expected)


@pytest.mark.parametrize("which", ["repo_site", "test_site", "rebased_site"])
def test_no_broken_internal_link(which: str, request: pytest.FixtureRequest) -> None:
    site = request.getfixturevalue(which)
    pages = list(site.rglob("*.html"))
    assert len(pages) > 100
    assert broken_links(site) == []


def test_resource_page_shows_labels_types_links_and_provenance(test_site: Path) -> None:
    page = parse_page(test_site / "id" / "case-study" / "test-surrey.html")
    text = " ".join(page.text)
    assert "Test case study in Surrey" in text
    assert "Surrey" in text and "Test champions" in text
    assert "../area/surrey.html" in page.links
    assert "../mechanism/test-surrey-champions.html" in page.links
    # provenance: locator -> publication title, publisher, date, pages and section
    assert "Local Compacts at Work" in text
    assert "p. 6" in text
    assert "Championing the Compact" in text
    area = parse_page(test_site / "id" / "area" / "surrey.html")
    assert "Test case study in Surrey" in " ".join(area.text)  # incoming link


def test_a_hostile_label_is_shown_as_text_never_as_markup(test_site: Path) -> None:
    path = test_site / "id" / "organisation" / "test-hostile.html"
    page = parse_page(path)
    assert "<script>alert(1)</script>" in page.text
    for attrs, text in page.scripts:
        assert attrs.get("type") == "application/ld+json"
        assert "</" not in text and "<script" not in text
        json.loads(text)
    raw = path.read_text(encoding="utf-8")
    assert "<script>alert(1)" not in raw and "<script>alert(2)" not in raw
    # every page that names it (the area's incoming links) escapes it too
    for other in test_site.rglob("*.html"):
        assert "<script>alert(" not in other.read_text(encoding="utf-8"), other


def test_base_uri_rewrites_every_iri_of_our_namespace(rebased_site: Path) -> None:
    seen = 0
    for file in rebased_site.rglob("*"):
        if not file.is_file():
            continue
        data = file.read_bytes()
        if file.suffix == ".gz":
            data = gzip.decompress(data)
        assert b"w3id.org/compact-kg" not in data, file
        seen += 1
    assert seen > 1000
    graph = Graph().parse(rebased_site / "id" / "area" / "surrey.ttl", format="turtle")
    assert (URIRef(EXAMPLE_BASE + "id/area/surrey"), None, None) in graph
    void = Graph().parse(rebased_site / "void.ttl", format="turtle")
    assert (URIRef(EXAMPLE_BASE + "id/dataset/compact-kg"), VOID.sparqlEndpoint,
            URIRef(EXAMPLE_BASE + "sparql")) in void


def test_index_pages_link_to_their_saved_queries(test_site: Path) -> None:
    for name in ("case-studies", "areas", "mechanisms", "themes"):
        links = parse_page(test_site / f"{name}.html").links
        assert any(link.startswith("queries.html") for link in links), name


def _svgs(page: Path) -> list[ET.Element]:
    raw = page.read_text(encoding="utf-8")
    found = []
    start = raw.find("<svg")
    while start != -1:
        end = raw.index("</svg>", start) + len("</svg>")
        found.append(ET.fromstring(raw[start:end]))
        start = raw.find("<svg", end)
    return found


def test_mechanism_matrix_fills_the_cell_of_an_area_and_type(test_site: Path) -> None:
    (svg,) = _svgs(test_site / "mechanisms.html")
    ns = "{http://www.w3.org/2000/svg}"
    titles = [r.findtext(f"{ns}title") for r in svg.iter(f"{ns}rect")
              if r.get("fill") == "#2a6f97"]
    assert "Compact champions × Surrey: yes" in titles
    assert any(a.get("href") == "id/area/surrey.html" for a in svg.iter(f"{ns}a"))


def test_timeline_shows_dated_events_and_measurements(test_site: Path) -> None:
    (svg,) = _svgs(test_site / "case-studies.html")
    text = " ".join(svg.itertext())
    assert "Test call-in" in text
    assert "Test groups paid on time, 2010: 95.0" in text
    assert "2008" in text and "2010" in text


def test_documentation_pages_cover_ontology_vocabularies_and_queries(test_site: Path) -> None:
    ontology = " ".join(parse_page(test_site / "docs" / "ontology.html").text)
    assert "Case study" in ontology or "CaseStudy" in ontology
    assert "governed by" in ontology
    vocabularies = list((test_site / "docs" / "vocabularies").glob("*.html"))
    assert len(vocabularies) >= 10
    mechanism = " ".join(parse_page(test_site / "docs" / "vocabularies" /
                                    "mechanism-type.html").text)
    assert "Compact champions" in mechanism
    assert (test_site / "docs" / "shapes.html").is_file()
    assert (test_site / "queries.html").is_file() and (test_site / "query.html").is_file()


def test_content_negotiation_config_for_apache_and_nginx(test_site: Path) -> None:
    htaccess = (test_site / ".htaccess").read_text()
    for needle in ("text/turtle", "application/ld\\+json", "application/rdf\\+xml",
                   "application/n-triples", "$1.html"):
        assert needle in htaccess
    nginx = (test_site / "nginx.conf").read_text()
    assert "map $http_accept" in nginx and ".jsonld" in nginx


def test_publishing_into_the_checkout_is_refused(checkout) -> None:
    with pytest.raises(InputError):
        publish_site(checkout.root, paths=checkout)
    with pytest.raises(InputError):
        publish_site(checkout.data_dir / "site", paths=checkout)


def test_bad_base_uri_is_refused(checkout, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="must end"):
        publish_site(tmp_path / "site", paths=checkout, base_uri="http://example.org/kg")


# -- CLI and diff --------------------------------------------------------------------------


def test_cli_publish_writes_the_site(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["publish", "--out", str(tmp_path / "out"),
                                      "--base-uri", EXAMPLE_BASE])
    assert result.exit_code == 0, result.output
    assert "resource pages" in result.output
    assert (tmp_path / "out" / "id" / "area" / "surrey.html").is_file()


def test_diff_lists_added_and_removed_triples_by_resource(tmp_path: Path) -> None:
    old = tmp_path / "old"
    new = tmp_path / "new"
    shutil.copytree(REPO.data_dir, old)
    shutil.copytree(REPO.data_dir, new)
    areas = new / "reference" / "areas.ttl"
    text = areas.read_text(encoding="utf-8")
    assert '"E10000030"' in text
    areas.write_text(text.replace('"E10000030"', '"E99999999"') + """
<https://w3id.org/compact-kg/id/area/nowhere> a <https://w3id.org/compact-kg/def/Area> ;
    <http://www.w3.org/2000/01/rdf-schema#label> "Nowhere" ;
    <http://www.w3.org/2004/02/skos/core#note>
        [ <http://www.w3.org/2000/01/rdf-schema#label> "n" ] .
""", encoding="utf-8")
    diff = diff_graphs(old, new)
    by_resource = {c.resource: c for c in diff.changes}
    surrey = by_resource[BASE + "id/area/surrey"]
    assert surrey.label == "Surrey"
    assert [str(t[2]) for t in surrey.added] == ["E99999999"]
    assert [str(t[2]) for t in surrey.removed] == ["E10000030"]
    nowhere = by_resource[BASE + "id/area/nowhere"]
    assert len(nowhere.added) == 4 and not nowhere.removed  # the blank node's triple included
    assert any(isinstance(t[0], BNode) for t in nowhere.added)
    assert diff.added == 5 and diff.removed == 1
    result = CliRunner().invoke(cli, ["diff", str(old), str(new)])
    assert result.exit_code == 0, result.output
    assert "5 triples added, 1 removed" in result.output
    assert "(Surrey)" in result.output and '+ ckg:gssCode "E99999999"' in result.output


def test_diff_compares_blank_node_structures_up_to_renaming(tmp_path: Path) -> None:
    old, new = tmp_path / "old.ttl", tmp_path / "new.ttl"
    prefix = "@prefix ex: <http://example.org/> .\n"
    old.write_text(prefix + "ex:a ex:p [ ex:q 1 ; ex:r [ ex:s 2 ] ] . [ ex:t 3 ] .\n")
    new.write_text(prefix + "[ ex:t 3 ] . ex:a ex:p [ ex:r [ ex:s 2 ] ; ex:q 1 ] .\n")
    assert diff_graphs(old, new).changes == []
    new.write_text(prefix + "ex:a ex:p [ ex:q 1 ; ex:r [ ex:s 5 ] ] . [ ex:t 4 ] .\n")
    diff = diff_graphs(old, new)
    assert {c.resource for c in diff.changes} == {
        "http://example.org/a", "(blank nodes not attached to any resource)"}


def test_diff_of_identical_files_is_empty(tmp_path: Path) -> None:
    file = REPO.data_dir / "reference" / "areas.ttl"
    diff = diff_graphs(file, file)
    assert diff.changes == [] and diff.unchanged > 100
    assert isinstance(Literal("x"), Literal)


def test_diff_of_a_missing_path_is_an_input_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["diff", str(tmp_path / "a.ttl"), str(tmp_path)])
    assert result.exit_code == 2


def test_every_index_page_names_a_saved_query_that_exists():
    from compact_kg.site import INDEX_QUERIES

    queries = Path(__file__).resolve().parents[1] / "queries"
    for page, name in INDEX_QUERIES.items():
        assert (queries / f"{name}.rq").is_file(), f"{page} links to a missing query {name}"


def _files(site: Path) -> dict[str, bytes]:
    return {str(p.relative_to(site)): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def test_publishing_is_deterministic_and_independent_of_the_worker_count(
        checkout, test_site: Path, tmp_path: Path) -> None:
    # test_site was written by forked workers (the default); this one in a single process
    single = publish_site(tmp_path / "site", paths=checkout, processes=1)
    assert single.resources > 100  # enough for the default run to have forked
    first, second = _files(test_site), _files(single.out_dir)
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []
    assert single.files == len(second)


def test_resource_files_keep_the_case_of_language_tags(test_site: Path) -> None:
    for extension in ("ttl", "nt", "jsonld", "rdf"):
        data = (test_site / "id" / "area" / f"surrey.{extension}").read_bytes()
        assert b"en-GB" in data and b"en-gb" not in data, extension


def _oxigraph_graph(data: bytes, extension: str) -> Graph:
    """What pyoxigraph reads from ``data``, as an rdflib graph (via N-Triples)."""
    triples = pyoxigraph.parse(data, format=OXIGRAPH_FORMAT[extension])
    return _rdflib(pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.N_TRIPLES), "nt")


def test_resource_jsonld_has_an_inline_context_and_compact_iris(test_site: Path,
                                                                checkout) -> None:
    graph = load_sources(checkout).union()
    for local in ("id/area/surrey", "id/case-study/test-surrey", "def/Area",
                  "vocab/mechanism-type/compact-champions"):
        expected = cbd(graph, URIRef(BASE + local), BASE)
        data = (test_site / f"{local}.jsonld").read_bytes()
        page = parse_page(test_site / f"{local}.html")
        (embedded,) = [text for attrs, text in page.scripts
                       if attrs.get("type") == "application/ld+json"]
        assert json.loads(embedded) == json.loads(data)
        document = json.loads(data)
        context = document["@context"]
        assert isinstance(context, dict)  # inline: a reader never fetches anything
        assert all(isinstance(ns, str) and ns.startswith(("http://", "https://"))
                   for ns in context.values())
        nodes = {node["@id"]: node for node in document["@graph"]}
        prefix, _, rest = local.rpartition("/")
        subject = nodes[next(p for p, ns in context.items() if ns == BASE + prefix + "/")
                        + ":" + rest]
        assert "@type" in subject
        assert not [key for key in subject if key.startswith(("http://", "https://"))]
        assert isomorphic(_rdflib(data, "jsonld"), expected), local
        assert isomorphic(_oxigraph_graph(data, "jsonld"), _lower_languages(expected)), local


def test_long_lists_of_links_to_a_resource_are_cut_with_a_query_for_all(
        checkout, tmp_path: Path) -> None:
    from urllib.parse import parse_qs, urlsplit

    site = publish_site(tmp_path / "site", paths=checkout, incoming_limit=2).out_dir
    graph = load_sources(checkout).union()
    area_class = URIRef(BASE + "def/Area")
    areas = set(graph.subjects(RDF.type, area_class))
    assert len(areas) > 2
    raw = (site / "def" / "Area.html").read_text(encoding="utf-8")
    (row,) = [line for line in raw.splitlines() if line.startswith("<tr><td>")
              and f'title="{RDF.type}"' not in line and ">rdf:type</a></td><td>" in line]
    assert row.count('<a href="../id/area/') == 2
    assert f"the first 2 of {len(areas)}" in row
    (href,) = re.findall(r'href="(\.\./query\.html\?query=[^"]*)"', row)
    query = parse_qs(urlsplit(html.unescape(href)).query)["query"][0]
    store = pyoxigraph.Store()
    store.load(graph.serialize(format="nt", encoding="utf-8"),
               format=pyoxigraph.RdfFormat.N_TRIPLES)
    found = {solution["from"].value for solution in store.query(query)}
    assert found == {str(area) for area in areas}
    # the two shown are the first two by label, as on an uncut page
    labels = sorted(str(graph.value(area, URIRef("http://www.w3.org/2000/01/rdf-schema#label")))
                    for area in areas)
    page = parse_page(site / "def" / "Area.html")
    assert [text for text in page.text if text in labels][:2] == labels[:2]


def test_cli_publish_quiet_and_piped_output_has_no_progress_bar(tmp_path: Path) -> None:
    for extra in ([], ["--quiet"]):
        out = tmp_path / f"out{len(extra)}"
        result = CliRunner().invoke(cli, ["publish", "--out", str(out), *extra])
        assert result.exit_code == 0, result.output
        assert result.output.startswith("published "), result.output
        assert "\x1b[" not in result.output and "publishing resource pages" not in result.output


def test_resource_page_html_equals_what_the_page_macros_write(checkout, tmp_path: Path) -> None:
    from compact_kg.graphs import load_index
    from compact_kg.site import Site

    sources = load_index(checkout)
    site = Site(sources.index, sources.base, tmp_path, [], sources.model)
    macro = site.env.from_string('{% from "macros.html" import value %}{{ value(v) }}')
    nodes = {term for triple in sources.index for term in triple}
    assert any(isinstance(node, BNode) for node in nodes)
    assert any(isinstance(node, Literal) and node.language for node in nodes)
    for page in ("index.html", "def/Area.html", "id/area/surrey.html", "docs/vocabularies/x.html"):
        folder = page.rpartition("/")[0]
        for node in nodes:
            assert site.value_html(node, folder) == macro.render(v=site.value(node, page)), node


def test_an_area_that_no_longer_exists_shows_its_lifetime_and_successor(test_site: Path) -> None:
    old = parse_page(test_site / "id" / "area" / "test-old-district.html")
    text = " ".join(old.text)
    assert "Existed from 1974-04-01 to 2009-03-31." in text
    assert "No longer exists; replaced by" in text and "Test New Unitary" in text
    assert "test-new-unitary.html" in old.links
    new = parse_page(test_site / "id" / "area" / "test-new-unitary.html")
    assert "Took the place of" in " ".join(new.text)
    assert "test-old-district.html" in new.links
