"""The shipped dataset conforms; `compact-kg validate` behaves as documented; the dataset survives
a round trip through every RDF syntax."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, SH

from compact_kg.cli import cli
from compact_kg.errors import InputError, QueryError
from compact_kg.paths import ProjectPaths, default_paths
from compact_kg.validate import (
    SUMMARY_KEYS,
    format_report,
    read_turtle,
    validate_dataset,
    validate_files,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PATHS = default_paths(ROOT)
SHAPE_FIXTURES = HERE / "data" / "shapes"
(INVALID,) = SHAPE_FIXTURES.glob("*-invalid-measurement-with-two-units.ttl")
(VALID,) = SHAPE_FIXTURES.glob("*-valid-case-study-with-mechanism-outcome-and-measurements.ttl")


@pytest.fixture(scope="module")
def report():
    return validate_dataset(PATHS)


def test_the_dataset_conforms(report):
    assert report.conforms, format_report(report)
    assert report.counts["Violation"] == 0


def test_the_summary_counts_the_reference_data(report):
    assert list(report.summary) == list(SUMMARY_KEYS)
    assert report.summary["areas"] == 18
    assert report.summary["councils"] == 18
    assert report.summary["organisations"] >= report.summary["councils"]


def test_the_text_report_says_what_the_dataset_holds(report):
    text = format_report(report, "text")
    assert "The dataset conforms." in text
    assert "18 areas, 18 councils" in text
    assert text.rstrip().endswith("events.")


def test_the_fixtures_use_the_expected_names():
    assert INVALID.is_file() and VALID.is_file()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_cli_exit_0_on_the_dataset(runner: CliRunner):
    result = runner.invoke(cli, ["validate"])
    assert result.exit_code == 0, result.output
    assert "The dataset conforms." in result.output


def test_cli_exit_0_on_a_valid_file(runner: CliRunner):
    result = runner.invoke(cli, ["validate", str(VALID)])
    assert result.exit_code == 0, result.output
    assert "The data in the given files conforms." in result.output
    assert "1 case study" in result.output


def test_cli_exit_1_on_an_invalid_file(runner: CliRunner):
    result = runner.invoke(cli, ["validate", str(INVALID)])
    assert result.exit_code == 1, result.output
    assert "A measurement must have exactly one unit" in result.output
    assert "property: ckg:unit" in result.output
    assert "does not conform: 1 violation, 0 warnings." in result.output
    assert "Traceback" not in result.output


def test_cli_exit_2_names_file_line_and_column(runner: CliRunner, tmp_path: Path):
    broken = tmp_path / "broken.ttl"
    broken.write_text('@prefix ex: <https://example.org/> .\n\nex:a ex:b "unterminated .\n')
    result = runner.invoke(cli, ["validate", str(broken)])
    assert result.exit_code == 2
    assert f"{broken}:3:11:" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_cli_exit_2_on_a_missing_file(runner: CliRunner, tmp_path: Path):
    result = runner.invoke(cli, ["validate", str(tmp_path / "nowhere.ttl")])
    assert result.exit_code == 2
    assert "nowhere.ttl" in result.output


def test_cli_json_is_json(runner: CliRunner):
    result = runner.invoke(cli, ["validate", "--format", "json", str(INVALID)])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["format"] == "compact-kg-validation-report"
    assert document["conforms"] is False
    assert document["counts"] == {"Violation": 1, "Warning": 0, "Info": 0}
    assert set(document["summary"]) == set(SUMMARY_KEYS)
    (item,) = document["results"]
    assert item["shape"] == "https://w3id.org/compact-kg/shapes/MeasurementMustHaveExactlyOneUnit"
    assert set(item) == {"severity", "rule", "shape", "focus", "focus_label", "path", "value",
                         "message", "component", "file", "line", "column"}


def test_cli_turtle_is_a_shacl_report(runner: CliRunner):
    result = runner.invoke(cli, ["validate", "--format", "turtle", str(INVALID)])
    assert result.exit_code == 1
    graph = Graph().parse(data=result.stdout, format="turtle")
    (root,) = graph.subjects(RDF.type, SH.ValidationReport)
    assert graph.value(root, SH.conforms).toPython() is False
    (node,) = graph.objects(root, SH.result)
    assert str(graph.value(node, SH.sourceShape)).endswith("MeasurementMustHaveExactlyOneUnit")


def test_cli_turtle_of_a_conforming_dataset(runner: CliRunner):
    result = runner.invoke(cli, ["validate", "--format", "turtle"])
    assert result.exit_code == 0
    graph = Graph().parse(data=result.stdout, format="turtle")
    (root,) = graph.subjects(RDF.type, SH.ValidationReport)
    assert graph.value(root, SH.conforms).toPython() is True


def test_syntax_errors_carry_their_position(tmp_path: Path):
    broken = tmp_path / "b.ttl"
    broken.write_text("@prefix ex: <https://example.org/> .\nex:a ex:b ex:c ; ; ] .\n")
    with pytest.raises(InputError) as caught:
        read_turtle(broken)
    assert (caught.value.line, caught.value.column) == (2, 20)  # the "]", 1-based
    assert str(caught.value).startswith(f"{broken}:2:20: Turtle syntax error")


def _checkout(tmp_path: Path) -> ProjectPaths:
    """A copy of the model and the reference data, to add files to."""
    shutil.copytree(ROOT / "ontology", tmp_path / "ontology")
    shutil.copytree(ROOT / "data" / "reference", tmp_path / "data" / "reference")
    (tmp_path / "queries").mkdir()
    return ProjectPaths(tmp_path)


def test_violation_queries_become_violations(tmp_path: Path):
    paths = _checkout(tmp_path)
    (paths.queries_dir / "london-borough-violation.rq").write_text(
        "#+ title: No London boroughs (a test check)\n"
        "#+ description: Lists the areas that are London boroughs,\n"
        "#+ description: to test how checks are reported.\n"
        "PREFIX ckg: <https://w3id.org/compact-kg/def/>\n"
        "PREFIX atype: <https://w3id.org/compact-kg/vocab/authority-type/>\n"
        "SELECT ?area ?code WHERE {\n"
        "  ?area ckg:authorityType atype:london-borough ;\n"
        "        ckg:gssCode ?code .\n"
        "}\n"
    )
    (paths.queries_dir / "nothing-violation.rq").write_text(
        "#+ title: Nothing (a test check)\n"
        "#+ description: Never returns a row.\n"
        "SELECT ?x WHERE { ?x <https://example.org/never> ?y }\n"
    )
    (paths.queries_dir / "not-a-check.rq").write_text("SELECT ?x WHERE { ?x ?p ?o }\n")
    report = validate_dataset(paths)
    assert not report.conforms
    checked = [r for r in report.results if r.severity == "Violation"]
    assert len(checked) == 4  # Merton, Lewisham, Islington, Brent
    assert {r.rule for r in checked} == {"No London boroughs (a test check)"}
    # the rest are the reference data's warnings (publications whose issue date is unknown)
    assert {r.severity for r in report.results} - {"Violation"} <= {"Warning"}
    merton = next(r for r in checked if r.focus.endswith("/area/merton"))
    assert merton.focus_label == "Merton"
    assert merton.value == '"E09000024"'
    assert merton.message.startswith("Lists the areas that are London boroughs, to test")
    assert merton.shape == "https://w3id.org/compact-kg/queries/london-borough-violation"


@pytest.mark.parametrize(
    "query",
    [
        "SELECT ?x WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?x ?p ?o } }",
        "SELECT ?x FROM <file:///etc/passwd> WHERE { ?x ?p ?o }",
        "ASK { ?x ?p ?o }",
    ],
)
def test_violation_queries_that_are_refused(tmp_path: Path, query: str):
    paths = _checkout(tmp_path)
    (paths.queries_dir / "bad-violation.rq").write_text(
        "#+ title: A refused check\n#+ description: Must not run.\n" + query + "\n"
    )
    with pytest.raises(QueryError, match=r"SERVICE|FROM|SELECT"):
        validate_dataset(paths)


def test_violation_queries_need_a_header(tmp_path: Path):
    paths = _checkout(tmp_path)
    (paths.queries_dir / "bare-violation.rq").write_text("SELECT ?x WHERE { ?x ?p ?o }\n")
    with pytest.raises(QueryError, match="title"):
        validate_dataset(paths)


def test_a_data_file_with_a_syntax_error_stops_dataset_validation(tmp_path: Path):
    paths = _checkout(tmp_path)
    (paths.data_dir / "bad.ttl").write_text("@prefix ex: <https://example.org/> .\nex:a ex:b .\n")
    with pytest.raises(InputError) as caught:
        validate_dataset(paths)
    assert caught.value.path == str(paths.data_dir / "bad.ttl")
    assert caught.value.line == 2


def test_validate_files_reports_only_on_the_files(tmp_path: Path):
    report = validate_files([INVALID], PATHS)
    assert {r.focus for r in report.results} == {
        "https://example.org/compact-kg/test/measurement-2010"
    }
    assert report.summary["measurements"] == 1
    assert report.summary["areas"] == 0


def test_round_trip_through_every_syntax_keeps_the_dataset():
    """Turtle -> N-Triples -> JSON-LD -> RDF/XML -> Turtle gives back the same graph."""
    graph = Graph()
    for path in [*PATHS.model_files(), *PATHS.data_files()]:
        read_turtle(path, graph)
    assert len(graph) > 1000
    text = graph.serialize(format="turtle")
    hops = [("turtle", "nt"), ("nt", "json-ld"), ("json-ld", "xml"), ("xml", "turtle")]
    current = Graph().parse(data=text, format="turtle")
    for source, target in hops:
        serialised = current.serialize(format=target)
        current = Graph().parse(data=serialised, format=target)
        assert isomorphic(current, graph), f"lost meaning going {source} -> {target}"
