"""Every figure in the case studies of "Local Compacts at Work" (Compact Voice, March 2011).

FIGURES is the table of record: one row per figure the booklet gives for the twelve areas (the
Compact Voice figures on page 11 belong to data/compact/ and are not listed), and REAL_FIGURES one
row per figure of the seven real case studies from other sources (shared/cases/real-cases.md).
Each row must be found in the graph as one ckg:Measurement with exactly that indicator, value,
unit, qualifier and date or period, derived from a source locator that has a page (the booklet)
or that belongs to a publication with a web address (the other sources, cited as a whole).
The tables are also checked the other way: every measurement in data/case-studies/ is in one.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import Graph, Literal, Namespace, URIRef

from compact_kg.paths import default_paths
from compact_kg.rdfio import read_turtle_files

ROOT = Path(__file__).resolve().parents[1]
PATHS = default_paths(ROOT)
CASE_STUDIES = PATHS.data_dir / "case-studies"

BASE = "https://w3id.org/compact-kg/"
IND = Namespace(BASE + "id/indicator/")
PERIOD = Namespace(BASE + "id/period/")
UNIT = Namespace(BASE + "vocab/unit/")
QUALIFIER = Namespace(BASE + "vocab/qualifier/")
MEAS_PREFIX = BASE + "id/measurement/"
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")

AS_AT_BOOKLET = "2011-03"  # counts the booklet reports in the present tense are dated to its issue


def _year(y: str) -> Literal:
    return Literal(y, datatype=XSD.gYear)


def _month(ym: str) -> Literal:
    return Literal(ym, datatype=XSD.gYearMonth)


def _day(ymd: str) -> Literal:
    return Literal(ymd, datatype=XSD.date)


def _fig(
    area: str,
    indicator: str,
    value: str,
    unit: str,
    qualifier: str,
    *,
    date: Literal | None = None,
    period: str | None = None,
) -> dict:
    """One row of the table: a figure as the graph must state it."""
    row = {
        "area": area,
        "indicator": indicator,
        "value": Decimal(value),
        "unit": unit,
        "qualifier": qualifier,
    }
    if date is not None:
        row["date"] = date
    if period is not None:
        row["period"] = period
    return row


# area, indicator local name, value, unit, qualifier, and exactly one of date / period
FIGURES: list[dict] = [
    # Merton (p3): a 10% cut in grant funding for 2009/10; funding held at that level for 2010/11
    _fig("merton", "merton-grant-funding-cut", "10", "percent", "exact", period="fy-2009-10"),
    _fig("merton", "merton-grant-funding-cut", "0", "percent", "exact", period="fy-2010-11"),
    # Calderdale (p3-4): over 1700 questionnaires returned, more than 3,000 people consulted
    _fig(
        "calderdale",
        "calderdale-budget-consultation-questionnaires-returned",
        "1700",
        "questionnaire",
        "more-than",
        period="2010-09-to-2011-03",
    ),
    _fig(
        "calderdale",
        "calderdale-budget-consultation-people-consulted",
        "3000",
        "person",
        "more-than",
        period="2010-09-to-2011-03",
    ),
    # Sunderland (p5): three year funding for the community network
    _fig(
        "sunderland",
        "sunderland-community-network-funding-duration",
        "3",
        "year",
        "exact",
        date=_month(AS_AT_BOOKLET),
    ),
    # Lewisham (p6): two cross-sector posts; Head of Strategy at the CSG twice in the last year
    _fig(
        "lewisham",
        "lewisham-cross-sector-liaison-posts",
        "2",
        "post",
        "exact",
        date=_month(AS_AT_BOOKLET),
    ),
    _fig(
        "lewisham",
        "lewisham-head-of-strategy-csg-attendances",
        "2",
        "occasion",
        "exact",
        period="twelve-months-to-2011-03",
    ),
    # Surrey (p6): over 300 champions, one support worker; 58% paid on time in 2008, 95% in 2010
    _fig(
        "surrey",
        "surrey-compact-champions",
        "300",
        "person",
        "more-than",
        date=_month(AS_AT_BOOKLET),
    ),
    _fig(
        "surrey", "surrey-compact-support-workers", "1", "post", "exact", date=_month(AS_AT_BOOKLET)
    ),
    _fig(
        "surrey", "surrey-funded-groups-paid-on-time", "58", "percent", "exact", date=_year("2008")
    ),
    _fig(
        "surrey", "surrey-funded-groups-paid-on-time", "95", "percent", "exact", date=_year("2010")
    ),
    # Wolverhampton (p7): two Compact officers
    _fig(
        "wolverhampton",
        "wolverhampton-compact-officers",
        "2",
        "post",
        "exact",
        date=_month(AS_AT_BOOKLET),
    ),
    # Islington (p7): three events, a hundred attendees
    _fig(
        "islington", "islington-compact-events", "3", "event", "exact", date=_month(AS_AT_BOOKLET)
    ),
    _fig(
        "islington",
        "islington-compact-event-attendees",
        "100",
        "person",
        "approximately",
        date=_month(AS_AT_BOOKLET),
    ),
    # Thurrock (p8): around 7% proposed (May 2009); CVS funded 6 more months; report from over a
    # hundred organisations; no cut by late 2010; £4 million of savings
    _fig(
        "thurrock",
        "thurrock-proposed-vcs-funding-cut",
        "7",
        "percent",
        "approximately",
        date=_month("2009-05"),
    ),
    _fig("thurrock", "thurrock-cvs-funding-notice", "6", "month", "exact", date=_year("2009")),
    _fig(
        "thurrock",
        "thurrock-cvs-report-contributing-organisations",
        "100",
        "organisation",
        "more-than",
        period="2009-05-to-2010-12",
    ),
    _fig("thurrock", "thurrock-vcs-funding-cut", "0", "percent", "exact", date=_year("2010")),
    _fig(
        "thurrock",
        "thurrock-council-savings-required",
        "4000000",
        "pound-sterling",
        "exact",
        date=_year("2010"),
    ),
    # Hertfordshire (p9): £10,000 per councillor
    _fig(
        "hertfordshire",
        "hertfordshire-ward-grant-allocation-per-councillor",
        "10000",
        "pound-sterling",
        "exact",
        date=_month(AS_AT_BOOKLET),
    ),
]

# The real case studies: the figures of shared/cases/real-cases.md, as typed, qualified values.
REAL_FIGURES: list[dict] = [
    # Coventry (CEN's Compact page, undated: figures placed in 2011 and marked uncertain)
    _fig("coventry", "coventry-asset-transfer-policy-development-time", "2", "year", "exact",
         date=_year("2011")),
    _fig("coventry", "coventry-compact-awards-to-cen", "2", "award", "exact", date=_year("2011")),
    _fig("coventry", "ncvo-green-flag-areas", "17", "area", "exact", date=_year("2011")),
    # Dover (Civil Society, 9 November 2011): the two lottery-funded posts to end that year
    _fig("dover", "dover-compact-posts-ending", "2", "post", "exact", date=_year("2011")),
    # London Councils: £26.4m scheme, to fall to £17.6m and then £9.9m; about £10m cut;
    # "200 plus" projects; at least three months' notice by the court's direction
    _fig("london", "london-councils-grants-scheme-budget", "26400000", "pound-sterling", "exact",
         period="fy-2010-11"),
    _fig("london", "london-councils-grants-scheme-budget", "17600000", "pound-sterling", "exact",
         period="fy-2011-12"),
    _fig("london", "london-councils-grants-scheme-budget", "9900000", "pound-sterling", "exact",
         period="fy-2012-13"),
    _fig("london", "london-councils-grants-cut", "10000000", "pound-sterling", "approximately",
         date=_day("2010-12-14")),
    _fig("london", "london-councils-projects-affected", "200", "project", "more-than",
         date=_day("2010-12-14")),
    _fig("london", "london-councils-notice-before-funding-ends", "3", "month", "at-least",
         date=_day("2011-01-28")),
    # Oldham: 36 champions recruited by the launch of the new Compact (2009)
    _fig("oldham", "oldham-compact-champions", "36", "person", "exact", date=_year("2009")),
    # North East: four meetings by March 2013; all 12 districts represented
    _fig("north-east", "north-east-network-meetings", "4", "occasion", "exact",
         date=_month("2013-03")),
    _fig("north-east", "north-east-districts-represented", "12", "area", "exact",
         date=_month("2013-03")),
]

PREFIXES = """
PREFIX ckg: <https://w3id.org/compact-kg/def/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX prov: <http://www.w3.org/ns/prov#>
"""

# The measurement, its source with a page and a publication; the value compared as a number.
MEASUREMENT_QUERY = (
    PREFIXES
    + """
SELECT DISTINCT ?m ?when WHERE {
    ?m a ckg:Measurement ;
       ckg:indicator ?indicator ;
       ckg:value ?value ;
       ckg:unit ?unit ;
       ckg:qualifier ?qualifier ;
       prov:wasDerivedFrom ?locator .
    ?locator a ckg:SourceLocator ;
       dcterms:isPartOf ?publication .
    ?publication a ckg:Publication .
    { ?locator ckg:pageStart ?page } UNION { ?publication foaf:page ?address }
    FILTER (datatype(?value) = <http://www.w3.org/2001/XMLSchema#decimal>)
    FILTER (?value = ?expected)
    OPTIONAL { ?m ckg:date ?date }
    OPTIONAL { ?m ckg:period ?period }
    BIND (COALESCE(?date, ?period) AS ?when)
}
"""
)


@pytest.fixture(scope="module")
def graph(dataset_graph: Graph) -> Graph:
    """The ontology, its vocabularies and every data file, loaded once per session."""
    return dataset_graph


def _figure_id(row: dict) -> str:
    when = row.get("period") or str(row["date"])
    return f"{row['indicator']}@{when}"


@pytest.mark.parametrize("row", FIGURES + REAL_FIGURES, ids=_figure_id)
def test_figure_is_a_sourced_measurement(graph: Graph, row: dict) -> None:
    assert ("date" in row) != ("period" in row), "a row has a date or a period, not both"
    results = list(
        graph.query(
            MEASUREMENT_QUERY,
            initBindings={
                "indicator": IND[row["indicator"]],
                "expected": Literal(row["value"], datatype=XSD.decimal),
                "unit": UNIT[row["unit"]],
                "qualifier": QUALIFIER[row["qualifier"]],
            },
        )
    )
    expected_when = PERIOD[row["period"]] if "period" in row else row["date"]
    matches = [
        r.m
        for r in results
        if r.when == expected_when
        and (not isinstance(expected_when, Literal) or r.when.datatype == expected_when.datatype)
    ]
    assert len(matches) == 1, (
        f"{row['area']}: expected one measurement of {row['indicator']} = {row['value']} "
        f"{row['unit']} ({row['qualifier']}) at {expected_when}; found {[r.m for r in results]}"
    )
    measurement = matches[0]
    assert str(measurement).startswith(MEAS_PREFIX)
    # a measurement states one value, one unit, one qualifier and one date or period
    for prop in ("value", "unit", "qualifier", "indicator"):
        values = list(graph.objects(measurement, URIRef(BASE + "def/" + prop)))
        assert len(values) == 1, f"{measurement} has {len(values)} ckg:{prop}"
    dates = list(graph.objects(measurement, URIRef(BASE + "def/date")))
    periods = list(graph.objects(measurement, URIRef(BASE + "def/period")))
    assert len(dates) + len(periods) == 1, f"{measurement} needs one date or one period"


def test_every_case_study_measurement_is_in_the_table() -> None:
    """No figure in data/case-studies/ escapes the table above."""
    case_studies = read_turtle_files(sorted(CASE_STUDIES.glob("*.ttl")))
    rows = case_studies.query(
        PREFIXES
        + """
        SELECT ?indicator ?when WHERE {
            ?m a ckg:Measurement ; ckg:indicator ?indicator .
            OPTIONAL { ?m ckg:date ?date }
            OPTIONAL { ?m ckg:period ?period }
            BIND (COALESCE(?date, ?period) AS ?when)
        }
        """
    )
    in_graph = {(str(r.indicator), str(r.when)) for r in rows}
    in_table = {
        (str(IND[f["indicator"]]), str(PERIOD[f["period"]]) if "period" in f else str(f["date"]))
        for f in FIGURES + REAL_FIGURES
    }
    assert in_graph == in_table


def test_table_covers_every_case_study_with_figures() -> None:
    assert {f["area"] for f in FIGURES} == {
        "merton",
        "calderdale",
        "sunderland",
        "lewisham",
        "surrey",
        "wolverhampton",
        "islington",
        "thurrock",
        "hertfordshire",
    }


def test_surrey_2010_payment_figure_points_to_2008(graph: Graph) -> None:
    meas = Namespace(MEAS_PREFIX)
    ckg = Namespace(BASE + "def/")
    later = meas["surrey-funded-groups-paid-on-time-2010"]
    earlier = meas["surrey-funded-groups-paid-on-time-2008"]
    assert list(graph.objects(later, ckg.previousMeasurement)) == [earlier]
    later_indicators = set(graph.objects(later, ckg.indicator))
    earlier_indicators = set(graph.objects(earlier, ckg.indicator))
    assert later_indicators == earlier_indicators == {IND["surrey-funded-groups-paid-on-time"]}
    assert graph.value(later, ckg.date) == _year("2010")
    assert graph.value(earlier, ckg.date) == _year("2008")
