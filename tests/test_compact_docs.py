"""The national Compact, its bodies and Compact Voice, as queried from the whole graph.

The graph is the ontology, its SKOS vocabularies and every Turtle file under data/, loaded once
per module from paths resolved against this file (never the working directory)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, SKOS

from compact_kg.namespace import CKG
from compact_kg.rdfio import read_turtle_files

ROOT = Path(__file__).resolve().parents[1]
COMPACT_FILES = sorted((ROOT / "data" / "compact").glob("*.ttl"))
OWN_FILES = [*COMPACT_FILES, ROOT / "data" / "dataset.ttl"]

BASE = "https://w3id.org/compact-kg/"
# a plain Namespace: rdflib's closed XSD namespace warns when pytest probes module attributes
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
ID = Namespace(BASE + "id/")
COMPACT = Namespace(BASE + "id/compact/")
CO = Namespace(BASE + "id/compact-outcome/")
COMMITMENT = Namespace(BASE + "id/commitment/")
IND = Namespace(BASE + "id/indicator/")
ORGANISATION = Namespace(BASE + "id/organisation/")
PUB = Namespace(BASE + "id/publication/")
UNIT = Namespace(BASE + "vocab/unit/")
QUALIFIER = Namespace(BASE + "vocab/qualifier/")
SECTOR = Namespace(BASE + "vocab/sector/")

PREFIXES = {"ckg": CKG._NS, "dcterms": DCTERMS, "skos": SKOS, "owl": OWL}


@pytest.fixture(scope="module")
def graph(dataset_graph: Graph) -> Graph:
    return dataset_graph


@pytest.fixture(scope="module")
def own() -> Graph:
    """Only the files this part of the dataset contributes."""
    return read_turtle_files(OWN_FILES)


def _date_key(literal: Literal) -> tuple[int, ...]:
    """Order xsd:date, xsd:gYearMonth and xsd:gYear lexical forms by their leading parts."""
    return tuple(int(part) for part in str(literal).split("-"))


def _measurement(graph: Graph, indicator: URIRef) -> dict[str, object]:
    rows = list(
        graph.query(
            """SELECT ?m ?value ?unit ?qualifier ?date WHERE {
                 ?m ckg:indicator ?indicator ; ckg:value ?value ; ckg:unit ?unit ;
                    ckg:qualifier ?qualifier ; ckg:date ?date .
               }""",
            initNs=PREFIXES,
            initBindings={"indicator": indicator},
        )
    )
    assert len(rows) == 1, f"expected one measurement of {indicator}, found {len(rows)}"
    m, value, unit, qualifier, date = rows[0]
    return {"m": m, "value": value.toPython(), "unit": unit, "qualifier": qualifier, "date": date}


def test_three_editions_in_date_order(graph: Graph) -> None:
    rows = graph.query(
        "SELECT ?c ?issued WHERE { ?c a ckg:NationalCompact ; dcterms:issued ?issued }",
        initNs=PREFIXES,
    )
    issued = dict(rows)
    editions = [COMPACT["compact-1998"], COMPACT["compact-2009"], COMPACT["compact-2010"]]
    assert set(issued) == set(editions)
    assert sorted(editions, key=lambda c: _date_key(issued[c])) == editions
    assert issued[COMPACT["compact-1998"]] == Literal("1998-11", datatype=XSD.gYearMonth)
    assert issued[COMPACT["compact-2009"]] == Literal("2009-12-16", datatype=XSD.date)
    assert issued[COMPACT["compact-2010"]] == Literal("2010-12-14", datatype=XSD.date)
    assert (COMPACT["compact-1998"], DCTERMS.identifier, Literal("Cm 4100")) in graph


def test_replaces_chain_runs_back_to_1998(graph: Graph) -> None:
    chain = [COMPACT["compact-2010"]]
    while True:
        earlier = list(graph.objects(chain[-1], CKG.replaces))
        assert len(earlier) <= 1
        if not earlier:
            break
        assert earlier[0] not in chain, f"ckg:replaces runs in a cycle through {earlier[0]}"
        chain.append(earlier[0])
    assert chain == [COMPACT["compact-2010"], COMPACT["compact-2009"], COMPACT["compact-1998"]]


def test_renewed_compact_publishers_and_guide(graph: Graph) -> None:
    publishers = set(graph.objects(COMPACT["compact-2010"], DCTERMS.publisher))
    assert publishers == {ORGANISATION["office-for-civil-society"], ORGANISATION["compact-voice"]}
    guide = COMPACT["accountability-and-transparency-guide-2010"]
    assert (guide, RDF.type, CKG.CompactGuide) in graph
    assert (guide, CKG.supplements, COMPACT["compact-2010"]) in graph


def test_codes_of_good_practice(graph: Graph) -> None:
    codes = set(graph.subjects(RDF.type, CKG.CodeOfGoodPractice))
    years = {c: int(str(graph.value(c, DCTERMS.issued))) for c in codes}
    assert sorted(years.values()) == [2000, 2000, 2001, 2001, 2003, 2005, 2005]
    for code in codes:
        assert (code, CKG.supplements, COMPACT["compact-1998"]) in graph
    revised = {
        COMPACT["funding-and-procurement-code-2005"]: COMPACT["funding-code-2000"],
        COMPACT["volunteering-code-2005"]: COMPACT["volunteering-code-2001"],
    }
    for later, earlier in revised.items():
        assert (later, CKG.replaces, earlier) in graph
        assert years[later] > years[earlier]
    # five codes: the seven documents less the two that are revisions of another
    assert len(codes - set(revised)) == 5


def test_five_outcomes_numbered_one_to_five(graph: Graph) -> None:
    rows = graph.query(
        """SELECT ?o ?n ?label ?definition WHERE {
             ?o a ckg:CompactOutcome ; ckg:outcomeNumber ?n ; ckg:outcomeOf ?c ;
                rdfs:label ?label ; skos:definition ?definition .
           }""",
        initNs={**PREFIXES, "rdfs": URIRef("http://www.w3.org/2000/01/rdf-schema#")},
        initBindings={"c": COMPACT["compact-2010"]},
    )
    numbers = {o: int(n) for o, n, _, _ in rows}
    assert sorted(numbers.values()) == [1, 2, 3, 4, 5]
    for o, n in numbers.items():
        assert o == CO[f"compact-2010-outcome-{n}"]
    assert len(set(graph.subjects(RDF.type, CKG.CompactOutcome))) == 5


EXPECTED_COMMITMENTS = {
    "twelve-week-consultation": (
        {COMPACT["compact-2010"], COMPACT["consultation-and-policy-appraisal-code-2000"]},
        2,
        "11.1–11.2",
    ),
    "three-months-notice-of-funding-change": (
        {COMPACT["compact-2009"], COMPACT["compact-2010"]},
        4,
        "13.3",
    ),
    "impact-assessment-before-funding-change": ({COMPACT["compact-2009"]}, None, "13.1"),
    "full-cost-recovery": ({COMPACT["compact-1998"]}, None, None),
    "payment-in-advance": ({COMPACT["funding-code-2000"]}, None, None),
}


@pytest.mark.parametrize("slug", sorted(EXPECTED_COMMITMENTS))
def test_commitment_stated_in_compact_documents(graph: Graph, slug: str) -> None:
    commitment = COMMITMENT[slug]
    stated_in, outcome_number, clause = EXPECTED_COMMITMENTS[slug]
    assert (commitment, RDF.type, CKG.Commitment) in graph
    documents = set(graph.objects(commitment, CKG.statedIn))
    assert documents == stated_in
    for document in documents:
        assert graph.query(
            "ASK { ?d a/rdfs:subClassOf* ckg:CompactDocument }",
            initNs={**PREFIXES, "rdfs": URIRef("http://www.w3.org/2000/01/rdf-schema#")},
            initBindings={"d": document},
        ).askAnswer
    outcomes = set(graph.objects(commitment, CKG.underOutcome))
    expected_outcomes = (
        set() if outcome_number is None else {CO[f"compact-2010-outcome-{outcome_number}"]}
    )
    assert outcomes == expected_outcomes
    clauses = {str(c) for c in graph.objects(commitment, CKG.clause)}
    assert clauses == (set() if clause is None else {clause})
    assert set(graph.objects(commitment, CKG.sector)) == {SECTOR.statutory}


def test_2009_commitment_counts_add_up(graph: Graph) -> None:
    total = _measurement(graph, IND["compact-2009-commitments"])
    government = _measurement(graph, IND["compact-2009-government-commitments"])
    sector = _measurement(graph, IND["compact-2009-sector-commitments"])
    assert (total["value"], government["value"], sector["value"]) == (95, 62, 33)
    assert government["value"] + sector["value"] == total["value"]
    for m in (total, government, sector):
        assert m["unit"] == UNIT.commitment
        assert m["qualifier"] == QUALIFIER.exact
        assert m["date"] == Literal("2009-12-16", datatype=XSD.date)
        assert (COMPACT["compact-2009"], CKG.measurement, m["m"]) in graph


def test_203_active_local_compacts_with_source(graph: Graph) -> None:
    m = _measurement(graph, IND["england-active-local-compacts"])
    assert m["value"] == Decimal(203)
    assert m["unit"] == UNIT.document
    assert m["qualifier"] == QUALIFIER.exact
    assert m["date"] == Literal("2011", datatype=XSD.gYear)
    rows = graph.query(
        """SELECT ?pub ?issued WHERE {
             ?m prov:wasDerivedFrom ?src . ?src a ckg:SourceLocator ; dcterms:isPartOf ?pub .
             ?pub a ckg:Publication ; dcterms:issued ?issued .
           }""",
        initNs={**PREFIXES, "prov": URIRef("http://www.w3.org/ns/prov#")},
        initBindings={"m": m["m"]},
    )
    assert {(p, i) for p, i in rows} == {
        (PUB["compact-voice-blog-2011-07-27"], Literal("2011-07-27", datatype=XSD.date))
    }


def test_compact_voice_network_is_a_lower_bound(graph: Graph) -> None:
    members = _measurement(graph, IND["compact-voice-members"])
    assert members["value"] == 2300
    assert members["qualifier"] == QUALIFIER["more-than"]
    assert members["date"] == Literal("2011-03", datatype=XSD.gYearMonth)
    board = _measurement(graph, IND["compact-voice-board-represented-groups"])
    assert (board["value"], board["qualifier"]) == (20000, QUALIFIER["more-than"])
    voice = ORGANISATION["compact-voice"]
    assert (voice, RDF.type, CKG.InfrastructureBody) in graph
    assert {members["m"], board["m"]} <= set(graph.objects(voice, CKG.measurement))


def test_engagement_programme_posts(graph: Graph) -> None:
    org = Namespace("http://www.w3.org/ns/org#")
    role = Namespace(BASE + "vocab/role/")
    programme = ID["mechanism/compact-voice-engagement-programme"]
    assert (programme, CKG.operatedBy, ORGANISATION["compact-voice"]) in graph
    roles = sorted(str(graph.value(p, org.role)) for p in graph.objects(programme, CKG.post))
    assert roles == sorted(
        [str(role["engagement-officer"])] + [str(role["engagement-development-officer"])] * 2
    )
    measurements = set(graph.objects(programme, CKG.measurement))
    for m in measurements:
        assert (graph.value(m, CKG.indicator), CKG.indicatorOf, programme) in graph
        assert graph.value(m, CKG.unit) == UNIT.post
    values = sorted(int(graph.value(m, CKG.value).toPython()) for m in measurements)
    assert values == [1, 2]


def test_dataset_has_a_licence(graph: Graph) -> None:
    dataset = ID["dataset/compact-kg"]
    assert (dataset, RDF.type, URIRef("http://www.w3.org/ns/dcat#Dataset")) in graph
    assert set(graph.objects(dataset, DCTERMS.license)) == {
        URIRef("https://creativecommons.org/licenses/by/4.0/")
    }
    assert "creativecommons.org/licenses/by/4.0" in (ROOT / "data" / "LICENSE").read_text()
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def test_own_files_use_only_declared_ckg_terms(graph: Graph, own: Graph) -> None:
    declared = {
        s
        for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
        for s in graph.subjects(RDF.type, kind)
        if str(s).startswith(str(CKG._NS))
    }
    used = {
        term
        for triple in own
        for term in triple
        if isinstance(term, URIRef) and str(term).startswith(str(CKG._NS))
    } - {URIRef(str(CKG._NS))}  # the ontology itself, named by the dataset description
    assert used - declared == set()
    for term in used:
        assert getattr(CKG, str(term)[len(str(CKG._NS)) :]) == term


def test_own_files_use_only_existing_concepts(graph: Graph, own: Graph) -> None:
    vocab = BASE + "vocab/"
    used = {o for _, _, o in own if isinstance(o, URIRef) and str(o).startswith(vocab)}
    schemes = set(graph.subjects(RDF.type, SKOS.ConceptScheme))
    missing = {c for c in used - schemes if (c, RDF.type, SKOS.Concept) not in graph}
    assert missing == set()


def test_every_derivation_points_to_a_located_publication(graph: Graph, own: Graph) -> None:
    prov = Namespace("http://www.w3.org/ns/prov#")
    sources = set(own.objects(None, prov.wasDerivedFrom))
    assert sources
    for source in sources:
        assert (source, RDF.type, CKG.SourceLocator) in graph, source
        publication = graph.value(source, DCTERMS.isPartOf)
        assert (publication, RDF.type, CKG.Publication) in graph, source
        # a section where the publication has numbered pages; else the whole document
        paged = graph.value(graph.value(publication, CKG.publicationType), CKG.paged)
        assert graph.value(publication, CKG.publicationType) is not None, publication
        if paged is not None and paged.toPython() is True:
            assert graph.value(source, CKG.section) is not None, source


def test_own_measurements_are_complete(own: Graph) -> None:
    measurements = set(own.subjects(RDF.type, CKG.Measurement))
    assert len(measurements) >= 8
    for m in measurements:
        for prop in (CKG.indicator, CKG.value, CKG.unit, CKG.qualifier, CKG.date):
            assert len(set(own.objects(m, prop))) == 1, (m, prop)
        assert own.value(m, CKG.value).datatype == XSD.decimal, m
