"""The saved queries of queries/ against golden results written by hand from the booklet.

Every report runs with its default parameters (and some with other values) on the embedded store
and on a real Oxigraph server loaded with the same dataset; both answers must equal the golden
multiset of rows in tests/golden/ (format: tests/golden/README.md). Every check (``-violation``)
returns no rows on the shipped data and the expected rows on a small broken graph.
"""

from __future__ import annotations

import contextlib
import csv
import re
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph
import pytest
from click.testing import CliRunner
from rdflib import Literal, URIRef

from compact_kg.cli import cli
from compact_kg.endpoint import upload
from compact_kg.paths import ProjectPaths
from compact_kg.queries import QueryResult, SavedQuery, find_query, load_catalogue, run_query
from compact_kg.store import dataset_files, load_store
from tests.servers import OxigraphServer, running_oxigraph

ROOT = Path(__file__).resolve().parents[1]
PATHS = ProjectPaths(ROOT)
GOLDEN = Path(__file__).parent / "golden"
BASE = "https://w3id.org/compact-kg/"
XSD = "http://www.w3.org/2001/XMLSchema#"

PREFIXES = {
    "ckg": f"{BASE}def/",
    "xsd": XSD,
    "area": f"{BASE}id/area/",
    "region": f"{BASE}id/region/",
    "organisation": f"{BASE}id/organisation/",
    "post": f"{BASE}id/post/",
    "lc": f"{BASE}id/local-compact/",
    "cs": f"{BASE}id/case-study/",
    "mech": f"{BASE}id/mechanism/",
    "outcome": f"{BASE}id/outcome/",
    "ind": f"{BASE}id/indicator/",
    "meas": f"{BASE}id/measurement/",
    "event": f"{BASE}id/event/",
    "period": f"{BASE}id/period/",
    "pub": f"{BASE}id/publication/",
    "src": f"{BASE}id/source/",
    "compact": f"{BASE}id/compact/",
    "co": f"{BASE}id/compact-outcome/",
    "commitment": f"{BASE}id/commitment/",
    "mtype": f"{BASE}vocab/mechanism-type/",
    "theme": f"{BASE}vocab/theme/",
    "unit": f"{BASE}vocab/unit/",
    "qualifier": f"{BASE}vocab/qualifier/",
    "atype": f"{BASE}vocab/authority-type/",
    "otype": f"{BASE}vocab/outcome-type/",
    "etype": f"{BASE}vocab/event-type/",
    "sector": f"{BASE}vocab/sector/",
    "status": f"{BASE}vocab/status/",
    "role": f"{BASE}vocab/role/",
    "ptype": f"{BASE}vocab/publication-type/",
    "person": f"{BASE}id/person/",
}

# Runs with other parameter values than the defaults: golden file NAME@VARIANT.csv.
VARIANTS: dict[str, dict[str, str]] = {
    "areas-using-mechanism@compact-officer": {
        "mechanism_type": f"{BASE}vocab/mechanism-type/compact-officer"},
    "case-studies-by-theme@local-accountability": {
        "theme": f"{BASE}vocab/theme/local-accountability"},
    "events-responding-to@thurrock-cvs-funding-decision": {
        "event": f"{BASE}id/event/thurrock-cvs-funding-decision-2009"},
    "events-responding-to@spending-review": {"event": f"{BASE}id/event/spending-review-2010"},
    "evidence-for-claim@calderdale-people-consulted": {
        "claim": f"{BASE}id/measurement/calderdale-people-consulted-2010-09-to-2011-03"},
    "mechanism-co-occurrence@min-2": {"min_case_studies": "2"},
    "timeline@2010": {"from": "2010-01-01", "to": "2010-12-31"},
    "labels@organisations": {"type": "http://www.w3.org/ns/org#Organization"},
}

CATALOGUE = load_catalogue(PATHS.queries_dir)
REPORTS = [q.name for q in CATALOGUE if not q.is_violation]
CHECKS = [q.name for q in CATALOGUE if q.is_violation]
RUNS = [(name, name, {}) for name in REPORTS] + [
    (variant.partition("@")[0], variant, params) for variant, params in VARIANTS.items()
]


# --- golden files -------------------------------------------------------------------------------

_PNAME = re.compile(r"([a-z][a-z0-9]*):([A-Za-z0-9_.-]*)")
_TYPED = re.compile(r"(.*)\^\^([a-z]+:[A-Za-z]+)")
_LANG = re.compile(r"(.*)@([a-zA-Z]{2,8}(?:-[a-zA-Z0-9]{1,8})*)")
_INTEGER = re.compile(r"-?[0-9]+")
_DECIMAL = re.compile(r"-?[0-9]+\.[0-9]+")
_INTEGERS = {f"{XSD}{name}" for name in (
    "integer", "positiveInteger", "nonNegativeInteger", "negativeInteger", "nonPositiveInteger",
    "long", "int", "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}
_NUMERIC = {*_INTEGERS, f"{XSD}decimal", f"{XSD}double", f"{XSD}float"}


def parse_cell(cell: str) -> URIRef | Literal | None:
    """One cell of a golden file as an RDF term (tests/golden/README.md)."""
    if cell == "":
        return None
    if cell.startswith("<") and cell.endswith(">"):
        return URIRef(cell[1:-1])
    if cell.startswith("'") and cell.endswith("'") and len(cell) >= 2:
        return Literal(cell[1:-1])
    if (match := _PNAME.fullmatch(cell)) and match.group(1) in PREFIXES:
        return URIRef(PREFIXES[match.group(1)] + match.group(2))
    if match := _TYPED.fullmatch(cell):
        datatype = parse_cell(match.group(2))
        return Literal(match.group(1), datatype=datatype, normalize=False)
    if match := _LANG.fullmatch(cell):
        return Literal(match.group(1), lang=match.group(2))
    if _INTEGER.fullmatch(cell):
        return Literal(cell, datatype=URIRef(f"{XSD}integer"), normalize=False)
    if _DECIMAL.fullmatch(cell):
        return Literal(cell, datatype=URIRef(f"{XSD}decimal"), normalize=False)
    return Literal(cell)


def read_golden(name: str) -> tuple[list[str], Counter]:
    path = GOLDEN / f"{name}.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    for number, row in enumerate(body, start=2):
        assert len(row) == len(header), f"{path}:{number}: {len(row)} cells, not {len(header)}"
    return header, Counter(tuple(key(parse_cell(cell)) for cell in row) for row in body)


def key(term: URIRef | Literal | None) -> tuple[str, ...] | None:
    """A comparable form of a term: numbers by value, everything else exactly.

    Oxigraph (embedded and server) answers ``xsd:integer`` for a literal stored as
    ``xsd:positiveInteger`` or another integer type, so all integer types compare as one.
    """
    if term is None:
        return None
    if isinstance(term, URIRef):
        return ("iri", str(term))
    datatype = str(term.datatype) if term.datatype is not None else ""
    if datatype in _INTEGERS:  # Oxigraph answers xsd:integer for every integer type
        datatype = f"{XSD}integer"
    lexical = str(term)
    if datatype in _NUMERIC:
        with contextlib.suppress(InvalidOperation):
            lexical = format(Decimal(lexical).normalize(), "f")
    return ("literal", lexical, datatype, (term.language or "").lower())


def rows_of(result: QueryResult) -> Counter:
    return Counter(tuple(key(term) for term in row) for row in result.rows)


def show(rows: Counter) -> str:
    return "\n".join(f"  {n} x {row}" for row, n in sorted(rows.items(), key=repr))


def assert_matches(result: QueryResult, header: list[str], expected: Counter, where: str) -> None:
    assert result.variables == header, where
    actual = rows_of(result)
    missing, extra = expected - actual, actual - expected
    assert not missing and not extra, (
        f"{where}: rows missing:\n{show(missing)}\nrows not expected:\n{show(extra)}"
    )


# --- fixtures -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def dataset() -> pyoxigraph.Store:
    return load_store(dataset_files(PATHS))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    """An Oxigraph server of this module's own, loaded with the shipped dataset."""
    with running_oxigraph(tmp_path_factory.mktemp("saved-queries") / "db") as running:
        assert upload(running.url, dataset_files(PATHS)) > 1000
        yield running


def saved(name: str) -> SavedQuery:
    return find_query(name, PATHS.queries_dir)


# --- the catalogue ------------------------------------------------------------------------------

def test_catalogue_is_large_and_every_report_has_a_golden_file():
    assert len(REPORTS) >= 15
    assert len(CHECKS) >= 5
    missing = [name for name in REPORTS if not (GOLDEN / f"{name}.csv").is_file()]
    assert not missing
    names = {path.stem.partition("@")[0] for path in GOLDEN.glob("*.csv")}
    assert names <= set(REPORTS), "a golden file names no saved report"
    assert {path.stem for path in GOLDEN.glob("*@*.csv")} == set(VARIANTS)


def test_every_query_has_a_full_header():
    for query in CATALOGUE:
        assert query.title and query.description and query.tags, query.name
        for param in query.params:
            assert param.description and param.default is not None, (query.name, param.name)


def test_query_list_names_every_file():
    runner = CliRunner()
    result = runner.invoke(cli, ["query", "--list"], env={"COMPACT_KG_HOME": str(ROOT)})
    assert result.exit_code == 0, result.output
    listed = [line.split("  ")[0] for line in result.output.splitlines()
              if line and not line.startswith(" ")]
    assert listed == sorted(path.stem for path in PATHS.queries_dir.glob("*.rq"))


# --- reports against their golden results -------------------------------------------------------

@pytest.mark.parametrize(("name", "golden", "params"), RUNS, ids=[run[1] for run in RUNS])
def test_report_on_the_embedded_store(dataset, name: str, golden: str, params: dict):
    header, expected = read_golden(golden)
    result = run_query(saved(name), store=dataset, params=params)
    assert_matches(result, header, expected, f"{golden} (embedded)")


@pytest.mark.server
@pytest.mark.parametrize(("name", "golden", "params"), RUNS, ids=[run[1] for run in RUNS])
def test_report_on_an_oxigraph_server(server, name: str, golden: str, params: dict):
    header, expected = read_golden(golden)
    result = run_query(saved(name), endpoint_url=server.url, params=params)
    assert_matches(result, header, expected, f"{golden} (Oxigraph server)")


# --- checks ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", CHECKS)
def test_check_finds_nothing_in_the_shipped_data(dataset, name: str):
    result = run_query(saved(name), store=dataset)
    assert result.rows == [], f"{name}:\n" + "\n".join(map(str, result.rows))


@pytest.mark.server
@pytest.mark.parametrize("name", CHECKS)
def test_check_finds_nothing_on_the_server(server, name: str):
    assert run_query(saved(name), endpoint_url=server.url).rows == []


BROKEN_PREFIXES = """\
@prefix ckg: <https://w3id.org/compact-kg/def/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix area: <https://w3id.org/compact-kg/id/area/> .
@prefix organisation: <https://w3id.org/compact-kg/id/organisation/> .
@prefix cs: <https://w3id.org/compact-kg/id/case-study/> .
@prefix mech: <https://w3id.org/compact-kg/id/mechanism/> .
@prefix ind: <https://w3id.org/compact-kg/id/indicator/> .
@prefix meas: <https://w3id.org/compact-kg/id/measurement/> .
@prefix pub: <https://w3id.org/compact-kg/id/publication/> .
@prefix src: <https://w3id.org/compact-kg/id/source/> .
@prefix theme: <https://w3id.org/compact-kg/vocab/theme/> .
@prefix unit: <https://w3id.org/compact-kg/vocab/unit/> .
@prefix qualifier: <https://w3id.org/compact-kg/vocab/qualifier/> .
@prefix mtype: <https://w3id.org/compact-kg/vocab/mechanism-type/> .

pub:p a ckg:Publication .
src:ok a ckg:SourceLocator ; dcterms:isPartOf pub:p ; ckg:pageStart 1 ; ckg:section "S" .
ind:i a ckg:Indicator ; prov:wasDerivedFrom src:ok .
ind:j a ckg:Indicator ; prov:wasDerivedFrom src:ok .
"""

# check name: (broken Turtle added to the model and the lines above, expected rows)
BROKEN: dict[str, tuple[str, list[tuple[str, ...]]]] = {
    "measurement-without-source-violation": (
        """meas:a a ckg:Measurement ; ckg:indicator ind:i ; ckg:value 1.0 ;
               ckg:unit unit:percent .
           meas:b a ckg:Measurement ; ckg:indicator ind:i ; ckg:value 2.0 ;
               ckg:unit unit:percent ; prov:wasDerivedFrom src:orphan .
           src:orphan a ckg:SourceLocator ; ckg:pageStart 2 .
           meas:c a ckg:Measurement ; ckg:indicator ind:i ; ckg:value 3.0 ;
               ckg:unit unit:percent ; prov:wasDerivedFrom src:ok .""",
        [("meas:a",), ("meas:b",)],
    ),
    "claim-without-locator-violation": (
        """mech:m a ckg:Mechanism ; ckg:mechanismType mtype:compact-champions .
           cs:c a ckg:CaseStudy ; prov:wasDerivedFrom pub:p .""",
        [("mech:m", "ckg:Mechanism"), ("cs:c", "ckg:CaseStudy")],
    ),
    "locator-without-page-or-section-violation": (
        """pub:p ckg:publicationType <https://w3id.org/compact-kg/vocab/publication-type/booklet> .
           src:bare a ckg:SourceLocator ; dcterms:isPartOf pub:p .
           src:whole a ckg:SourceLocator ; dcterms:isPartOf pub:web .
           pub:web ckg:publicationType
               <https://w3id.org/compact-kg/vocab/publication-type/blog-post> .
           src:loose a ckg:SourceLocator ; ckg:section "S" .
           src:backwards a ckg:SourceLocator ; dcterms:isPartOf pub:p ;
               ckg:pageStart 5 ; ckg:pageEnd 4 .
           src:endless a ckg:SourceLocator ; dcterms:isPartOf pub:p ; ckg:section "S" ;
               ckg:pageEnd 4 .""",
        [("src:bare", "neither ckg:pageStart nor ckg:section"),
         ("src:loose", "no dcterms:isPartOf"),
         ("src:backwards", "ckg:pageEnd before ckg:pageStart"),
         ("src:endless", "ckg:pageEnd without ckg:pageStart")],
    ),
    "undeclared-ckg-term-violation": (
        """ind:i ckg:indicatorFor ind:j .
           ind:k a ckg:Indikator .""",
        [("ckg:indicatorFor", "property"), ("ckg:Indikator", "class")],
    ),
    "dangling-reference-violation": (
        """ind:i ckg:indicatorOf mech:nowhere .""",
        [("mech:nowhere", "ind:i", "ckg:indicatorOf")],
    ),
    "measurement-previous-with-different-indicator-violation": (
        """meas:a a ckg:Measurement ; ckg:indicator ind:i ; ckg:unit unit:percent .
           meas:b a ckg:Measurement ; ckg:indicator ind:j ; ckg:unit unit:percent ;
               ckg:previousMeasurement meas:a .
           meas:c a ckg:Measurement ; ckg:indicator ind:i ; ckg:unit unit:person ;
               ckg:previousMeasurement meas:a .
           meas:d a ckg:Measurement ; ckg:indicator ind:i ; ckg:unit unit:percent ;
               ckg:previousMeasurement meas:d .
           meas:e a ckg:Measurement ; ckg:indicator ind:i ; ckg:unit unit:percent ;
               ckg:previousMeasurement meas:a .""",
        [("meas:b", "meas:a", "different indicators"),
         ("meas:c", "meas:a", "different units"),
         ("meas:d", "meas:d", "previous measurement is itself")],
    ),
    "area-without-council-violation": (
        """area:nowhere a ckg:Area .
           area:one-way a ckg:Area ; ckg:governedBy organisation:c .
           organisation:c a ckg:Council .""",
        [("area:nowhere",), ("area:one-way",)],
    ),
    "case-study-area-mismatch-violation": (
        """cs:c a ckg:CaseStudy ; ckg:area area:x ;
               ckg:localCompact <https://w3id.org/compact-kg/id/local-compact/y> ;
               ckg:mechanism mech:here , mech:there ;
               ckg:event <https://w3id.org/compact-kg/id/event/national> .
           <https://w3id.org/compact-kg/id/local-compact/y> ckg:compactArea area:y .
           mech:here ckg:area area:x .
           mech:there ckg:area area:y .
           <https://w3id.org/compact-kg/id/event/national> ckg:date "2010"^^xsd:gYear .""",
        [("cs:c", "<https://w3id.org/compact-kg/id/local-compact/y>", "area:y", "area:x"),
         ("cs:c", "mech:there", "area:y", "area:x")],
    ),
    "mechanism-without-type-violation": (
        """mech:m a ckg:Mechanism ; prov:wasDerivedFrom src:ok .
           mech:n a ckg:Mechanism ; ckg:mechanismType theme:managing-cuts .
           mech:ok a ckg:Mechanism ; ckg:mechanismType mtype:compact-champions .""",
        [("mech:m",), ("mech:n",)],
    ),
}


def test_every_check_has_a_broken_graph():
    assert set(BROKEN) == set(CHECKS)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_check_reports_a_broken_graph(name: str):
    turtle, expected_rows = BROKEN[name]
    store = load_store(PATHS.model_files())
    store.bulk_load((BROKEN_PREFIXES + turtle).encode(), format=pyoxigraph.RdfFormat.TURTLE)
    result = run_query(saved(name), store=store)
    expected = Counter(tuple(key(parse_cell(cell)) for cell in row) for row in expected_rows)
    assert rows_of(result) == expected, show(rows_of(result))


def test_the_queries_readme_catalogues_every_query():
    readme = (PATHS.queries_dir / "README.md").read_text(encoding="utf-8")
    readme = readme.partition("## The catalogue")[2].partition("\n## ")[0]
    listed = set(re.findall(r"^\| `([a-z0-9-]+)` \|", readme, flags=re.MULTILINE))
    assert listed == {query.name for query in CATALOGUE}


# --- the real case studies from outside the booklet ---------------------------------------------

# Each case study of shared/cases/real-cases.md and a saved query a researcher would ask about it.
REAL_CASES = {
    "coventry-2011": "awards-by-year-and-body",
    "dover-2011": "posts-and-funding",
    "london-councils-2011": "court-judgments-and-outcomes",
    "oldham-2010": "awards-by-year-and-body",
    "essex-2011": "awards-by-year-and-body",
    "brent-2012": "national-bodies-in-local-work",
    "north-east-2013": "national-bodies-in-local-work",
}


def _case_study_terms(store: pyoxigraph.Store, case: str) -> set[str]:
    """The case study's IRI and those of its area, mechanisms, events, outcomes, their posts."""
    iri = f"{BASE}id/case-study/{case}"
    rows = store.query(f"""
        PREFIX ckg: <{BASE}def/>
        SELECT DISTINCT ?x WHERE {{
          {{ BIND (<{iri}> AS ?x) }}
          UNION {{ <{iri}> ckg:area|ckg:mechanism|ckg:event|ckg:outcome ?x }}
          UNION {{ <{iri}> ckg:mechanism|ckg:event ?item . ?item ckg:post ?x }}
        }}""")
    return {row[0].value for row in rows}


@pytest.mark.parametrize("case", sorted(REAL_CASES))
def test_each_real_case_study_answers_a_saved_query_about_it(dataset, case: str):
    terms = _case_study_terms(dataset, case)
    assert len(terms) > 2, f"cs:{case} is not in the dataset"
    result = run_query(saved(REAL_CASES[case]), store=dataset)
    found = [row for row in result.rows if any(str(cell) in terms for cell in row if cell)]
    assert found, f"{REAL_CASES[case]} says nothing about cs:{case}"


def test_the_real_case_studies_come_from_at_least_five_publishers(dataset):
    rows = dataset.query(f"""
        PREFIX ckg: <{BASE}def/>
        PREFIX dcterms: <http://purl.org/dc/terms/>
        PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT (COUNT(DISTINCT ?case) AS ?cases) (COUNT(DISTINCT ?publisher) AS ?publishers)
        WHERE {{ ?case a ckg:CaseStudy ;
                     (ckg:mechanism|ckg:event|ckg:outcome)?/prov:wasDerivedFrom/dcterms:isPartOf
                     /dcterms:publisher ?publisher }}""")
    cases, publishers = next(iter(rows))
    assert int(cases.value) == 19
    assert int(publishers.value) >= 5


@pytest.mark.server
def test_a_select_whose_words_look_like_an_update_runs_on_a_server(server, tmp_path: Path):
    # SPARQLWrapper alone would read ?address as the update ADD and send the query as one.
    path = tmp_path / "address.rq"
    path.write_text("PREFIX foaf: <http://xmlns.com/foaf/0.1/>\n"
                    "SELECT ?publication ?address WHERE { ?publication foaf:page ?address }\n",
                    encoding="utf-8")
    result = CliRunner().invoke(cli, ["query", str(path), "--endpoint", server.url])
    assert result.exit_code == 0, result.output
    assert "caselaw.nationalarchives.gov.uk" in result.output
