"""The spreadsheet route: blank forms, figures and dates, conversion, errors pointing at cells."""

from __future__ import annotations

import csv
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from compact_kg import rdfio
from compact_kg.cli import cli
from compact_kg.forms import FORMS, FigureError, parse_date, parse_figure

VALID_FORM = Path(__file__).resolve().parent / "forms" / "valid-thurrock"
ID = "https://w3id.org/compact-kg/id/"
VOCAB = "https://w3id.org/compact-kg/vocab/"
UNITS = {"organisations": "organisation", "people": "person", "posts": "post"}


@pytest.mark.parametrize(("text", "value", "unit", "qualifier"), [
    ("£4 million", "4000000", "pound-sterling", None),
    ("58%", "58", "percent", None),
    ("over 300", "300", None, "more-than"),
    ("more than 50 per cent", "50", "percent", "more-than"),
    ("around 7%", "7", "percent", "approximately"),
    ("about £250k", "250000", "pound-sterling", "approximately"),
    ("£1.2m", "1200000", "pound-sterling", None),
    ("1,200", "1200", None, None),
    ("300+", "300", None, "more-than"),
    ("at least 40 organisations", "40", "organisation", "at-least"),
    ("up to 20 posts", "20", "post", "up-to"),
    ("fewer than 10 people", "10", "person", "less-than"),
])
def test_parse_figure(text: str, value: str, unit: str | None, qualifier: str | None) -> None:
    figure = parse_figure(text, UNITS)
    assert figure.value == Decimal(value)
    assert (figure.unit, figure.qualifier) == (unit, qualifier)


@pytest.mark.parametrize(("text", "phrase"), [
    ("almost 300", "not precise enough"),
    ("nearly £2 million", "not precise enough"),
    ("10-20", "is a range"),
    ("three hundred", "digits, not words"),
    ("4m", "write the number in full"),
    ("12 widgets", "does not know the unit"),
    ("", "empty"),
])
def test_parse_figure_refuses_ambiguous_figures(text: str, phrase: str) -> None:
    with pytest.raises(FigureError, match=phrase):
        parse_figure(text, UNITS)


@pytest.mark.parametrize(("text", "expected"), [
    ("2010", (Literal("2010", datatype=XSD.gYear), None)),
    ("March 2010", (Literal("2010-03", datatype=XSD.gYearMonth), None)),
    ("2010-03", (Literal("2010-03", datatype=XSD.gYearMonth), None)),
    ("31 March 2010", (Literal("2010-03-31", datatype=XSD.date), None)),
    ("31/03/2010", (Literal("2010-03-31", datatype=XSD.date), None)),
    ("2009/10", (None, "fy-2009-10")),
    ("FY 2009-10", (None, "fy-2009-10")),
])
def test_parse_date(text: str, expected: tuple) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["Spring 2010", "31/02/2010", "2009/11", "2010-13"])
def test_parse_date_refuses(text: str) -> None:
    with pytest.raises(ValueError, match=r"2024|financial year|real date"):
        parse_date(text)


def test_new_form_writes_blank_forms_and_never_overwrites(tmp_path: Path) -> None:
    folder = tmp_path / "form"
    result = CliRunner().invoke(cli, ["new", "form", str(folder)])
    assert result.exit_code == 0
    for name, columns in FORMS.items():
        with (folder / name).open(encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        assert rows[0] == [c.header for c in columns]
        assert all(row[0].startswith("#") for row in rows[1:])  # help and example rows only
    readme = (folder / "README.txt").read_text()
    assert "Compact champions" in readme and "compact-champions" in readme
    again = CliRunner().invoke(cli, ["new", "form", str(folder)])
    assert again.exit_code == 2 and "never overwrites" in again.output


def test_blank_form_is_reported_as_empty(tmp_path: Path) -> None:
    folder = tmp_path / "form"
    CliRunner().invoke(cli, ["new", "form", str(folder)])
    result = CliRunner().invoke(cli, ["validate", str(folder)])
    assert result.exit_code == 2
    assert "case-study.csv must have exactly one filled row" in result.output


def test_convert_valid_form(tmp_path: Path) -> None:
    out = tmp_path / "thurrock.ttl"
    result = CliRunner().invoke(cli, ["convert", str(VALID_FORM), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}." in result.output
    graph = rdfio.read_rdf(out)
    text = out.read_text()
    assert "@prefix meas: <https://w3id.org/compact-kg/id/measurement/> ." in text
    money = URIRef(ID + "measurement/thurrock-grant-money-protected-this-year-fy-2024-25")
    p = "https://w3id.org/compact-kg/def/"
    assert graph.value(money, URIRef(p + "value")) == Literal("250000", datatype=XSD.decimal)
    assert graph.value(money, URIRef(p + "unit")) == URIRef(VOCAB + "unit/pound-sterling")
    assert graph.value(money, URIRef(p + "period")) == URIRef(ID + "period/fy-2024-25")
    later = URIRef(ID + "measurement/thurrock-member-groups-of-the-cvs-2024-03")
    earlier = URIRef(ID + "measurement/thurrock-member-groups-of-the-cvs-2020")
    assert graph.value(later, URIRef(p + "qualifier")) == URIRef(VOCAB + "qualifier/more-than")
    assert graph.value(earlier, URIRef(p + "qualifier")) == URIRef(
        VOCAB + "qualifier/approximately")
    assert graph.value(later, URIRef(p + "previousMeasurement")) == earlier
    case_studies = list(graph.subjects(URIRef(p + "theme"), None))
    themes = {str(t).rsplit("/", 1)[-1]
              for t in graph.objects(case_studies[0], URIRef(p + "theme"))}
    assert themes == {"managing-cuts", "turning-around-relationships"}  # a label and a slug
    # an organisation of the dataset is linked, never described again
    assert (URIRef(ID + "organisation/thurrock-council"), None, None) not in graph
    again = CliRunner().invoke(cli, ["validate", str(out)])
    assert again.exit_code == 0, again.output


def _edit(folder: Path, name: str, row: int, header: str, value: str) -> int:
    """Set one cell (1-based row, the header row is 1); return its 1-based column."""
    path = folder / name
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    column = rows[0].index(header)
    rows[row - 1][column] = value
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return column + 1


def test_bad_cells_are_all_reported_with_file_row_and_column(tmp_path: Path) -> None:
    folder = tmp_path / "form"
    shutil.copytree(VALID_FORM, folder)
    cells = {
        ("mechanisms.csv", 2, "Type"): "Compact champion netwrok",
        ("mechanisms.csv", 2, "Operated by"): "Thurrock Council; Thurock CVS",
        ("measurements.csv", 4, "Value"): "almost 300",
        ("measurements.csv", 2, "Date"): "Spring 2024",
        ("outcomes.csv", 2, "Source"): "gazette-2024-budgte",
    }
    expected = {}
    for (name, row, header), value in cells.items():
        column = _edit(folder, name, row, header, value)
        expected[(str(folder / name), row, column)] = value
    result = CliRunner().invoke(cli, ["validate", "--format", "json", str(folder)])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    form_errors = [r for r in report["results"]
                   if r["shape"].endswith("/submission/FormValue")]
    assert {(r["file"], r["line"], r["column"]) for r in form_errors} == set(expected)
    messages = " | ".join(r["message"] for r in form_errors)
    assert "did you mean 'Compact champions'" in messages
    assert "Thurrock CVS" in messages or "thurrock cvs" in messages
    assert "not precise enough" in messages
    assert "2024-03-31" in messages  # the date formats it does read
    assert "gazette-2024-budget" in messages
    out = tmp_path / "never.ttl"
    converted = CliRunner().invoke(cli, ["convert", str(folder), "--out", str(out)])
    assert converted.exit_code == 1
    assert "Nothing written" in converted.output
    assert not out.exists()


def test_shape_violations_point_back_to_the_cell(tmp_path: Path) -> None:
    folder = tmp_path / "form"
    shutil.copytree(VALID_FORM, folder)
    column = _edit(folder, "measurements.csv", 2, "Value", "158%")
    _edit(folder, "measurements.csv", 2, "Unit", "")
    result = CliRunner().invoke(cli, ["validate", "--format", "json", str(folder)])
    assert result.exit_code == 1
    (violation,) = [r for r in json.loads(result.stdout)["results"]
                    if r["severity"] == "Violation"]
    assert violation["shape"].endswith("/shapes/PercentageMustBeBetween0And100")
    assert (violation["file"], violation["line"], violation["column"]) == (
        str(folder / "measurements.csv"), 2, column)
    text = CliRunner().invoke(cli, ["validate", str(folder)]).stdout
    assert f"{folder / 'measurements.csv'}:2:{column}:" in text


def test_unknown_column_and_non_utf8_are_clean_errors(tmp_path: Path) -> None:
    folder = tmp_path / "form"
    shutil.copytree(VALID_FORM, folder)
    path = folder / "sources.csv"
    path.write_text(path.read_text().replace("Publisher", "Publsher"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(folder)])
    assert result.exit_code == 2
    assert "unknown column 'Publsher'" in result.output
    assert "Did you mean 'Publisher'" in result.output
    assert len(result.output.strip().splitlines()) == 1
    shutil.copy(VALID_FORM / "sources.csv", path)
    org = folder / "organisations.csv"
    org.write_bytes(org.read_bytes().replace(b"Thurrock CVS", "Thurrock CVS caf\u00e9".encode(
        "latin-1")))
    result = CliRunner().invoke(cli, ["validate", str(folder)])
    assert result.exit_code == 2
    assert "organisations.csv:3: the file is not UTF-8 text" in result.output
    assert "CSV UTF-8" in result.output


def test_a_form_with_posts_events_and_a_web_article_converts_and_conforms(tmp_path: Path) -> None:
    form = VALID_FORM.with_name("valid-thurrock-with-events")
    out = tmp_path / "thurrock.ttl"
    result = CliRunner().invoke(cli, ["convert", str(form), "--out", str(out)])
    assert result.exit_code == 0, result.output
    graph = rdfio.read_rdf(out)
    p = "https://w3id.org/compact-kg/def/"
    org = "http://www.w3.org/ns/org#"
    post = URIRef(ID + "post/thurrock-compact-officer")
    assert graph.value(post, URIRef(org + "role")) == URIRef(VOCAB + "role/compact-officer")
    assert graph.value(post, URIRef(org + "postIn")) == URIRef(ID + "organisation/thurrock-cvs")
    assert graph.value(post, URIRef(p + "fundedBy")) == URIRef(
        ID + "organisation/thurrock-council")
    assert (None, URIRef(p + "post"), post) in graph  # the mechanism relies on it
    award = URIRef(ID + "event/thurrock-cvs-commended-for-the-compact-check")
    assert graph.value(award, URIRef(p + "eventType")) == URIRef(
        VOCAB + "event-type/compact-award")
    assert graph.value(award, URIRef(p + "awardedTo")) == URIRef(ID + "organisation/thurrock-cvs")
    assert str(graph.value(award, URIRef(p + "awardCategory"))).startswith("Compact Innovation")
    assert graph.value(award, URIRef(p + "date")) == Literal("2024-11-08", datatype=XSD.date)
    decision = URIRef(ID + "event/thurrock-council-agrees-the-compact-check")
    assert graph.value(decision, URIRef(p + "date")) == Literal("2024-03",
                                                                datatype=XSD.gYearMonth)
    case_study = next(graph.subjects(URIRef(p + "theme"), None))
    assert set(graph.objects(case_study, URIRef(p + "event"))) == {award, decision}
    # the web article: its type and address, and a locator for the whole article
    locator = graph.value(award, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"))
    publication = graph.value(locator, URIRef("http://purl.org/dc/terms/isPartOf"))
    assert graph.value(publication, URIRef(p + "publicationType")) == URIRef(
        VOCAB + "publication-type/web-article")
    assert str(graph.value(publication, URIRef("http://xmlns.com/foaf/0.1/page"))).startswith(
        "https://www.thurrockcvs.example/")
    assert graph.value(locator, URIRef(p + "pageStart")) is None
    checked = CliRunner().invoke(cli, ["validate", str(form)])
    assert checked.exit_code == 0, checked.output
    assert "Completeness: 100%" in checked.output


def test_a_printed_source_without_its_page_is_a_problem(tmp_path: Path) -> None:
    folder = tmp_path / "form"
    shutil.copytree(VALID_FORM, folder)
    path = folder / "sources.csv"
    path.write_text(path.read_text().replace(",1,,News", ",,,News"))
    result = CliRunner().invoke(cli, ["validate", str(folder)])
    assert result.exit_code == 1
    assert "sources.csv:2" in result.output and "numbered pages" in result.output


def test_the_form_readme_lists_event_types_roles_and_publication_types(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["new", "form", str(tmp_path / "form")])
    assert result.exit_code == 0, result.output
    readme = (tmp_path / "form" / "README.txt").read_text()
    for title, example in (("Event types", "court-judgment"), ("Roles", "compact-officer"),
                           ("Publication types", "blog-post")):
        assert f"\n{title} (write the label or the identifier):" in readme
        assert example in readme
    assert (tmp_path / "form" / "events.csv").is_file()
    assert (tmp_path / "form" / "posts.csv").is_file()


def test_an_event_in_a_financial_year_the_dataset_lacks_gets_its_period(tmp_path: Path) -> None:
    folder = tmp_path / "form"
    shutil.copytree(VALID_FORM.with_name("valid-thurrock-with-events"), folder)
    path = folder / "events.csv"
    path.write_text(path.read_text().replace(",March 2024,", ",2031/32,"))
    out = tmp_path / "thurrock.ttl"
    result = CliRunner().invoke(cli, ["convert", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    graph = rdfio.read_rdf(out)
    p = "https://w3id.org/compact-kg/def/"
    decision = URIRef(ID + "event/thurrock-council-agrees-the-compact-check")
    period = URIRef(ID + "period/fy-2031-32")
    assert graph.value(decision, URIRef(p + "period")) == period
    assert graph.value(period, URIRef(p + "startDate")) == Literal("2031-04-01",
                                                                   datatype=XSD.date)
    checked = CliRunner().invoke(cli, ["validate", str(folder)])
    assert checked.exit_code == 0, checked.output


def test_a_web_article_of_the_dataset_needs_no_page(tmp_path: Path) -> None:
    folder = tmp_path / "form"
    shutil.copytree(VALID_FORM.with_name("valid-thurrock-with-events"), folder)
    path = folder / "sources.csv"
    # name a blog post the dataset already has, with no type and no page
    path.write_text(path.read_text().replace(
        "cvs-news-2024,CVS wins Compact award,Web article,Thurrock CVS,2024-11-08,"
        "https://www.thurrockcvs.example/news/compact-award,,,",
        "cvs-news-2024,compact-voice-blog-2012-04-03,,,,,,,"))
    result = CliRunner().invoke(cli, ["validate", str(folder)])
    assert "Page" not in result.output, result.output
    assert result.exit_code == 0, result.output
