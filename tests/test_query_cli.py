"""`compact-kg query` and `compact-kg load`, run in-process with click's CliRunner."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from compact_kg.cli import cli
from compact_kg.paths import ProjectPaths


@pytest.fixture
def run(project: ProjectPaths):
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args), env={"COMPACT_KG_HOME": str(project.root)})

    return invoke


def test_list_shows_names_titles_and_parameters(run):
    result = run("query", "--list")
    assert result.exit_code == 0
    assert re.search(r"^areas-by-year +Areas by year$", result.output, re.M)
    assert "--param year=<integer>  The year (required)" in result.output


def test_query_with_a_parameter_as_json(run):
    result = run("query", "areas-by-year", "--param", "year=2011", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["results"]["bindings"][0]["n"]["value"] == "1"


def test_query_by_path_as_csv(run, project: ProjectPaths):
    result = run("query", str(project.queries_dir / "labels.rq"), "-f", "csv")
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == "s,label"
    assert len(result.output.splitlines()) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("areas-by-year", "--param", "year=abc"),
         """parameter 'year' expects an integer (e.g. 2010), got "abc\""""),
        (("areas-by-year",), "needs parameter 'year'"),
        (("areas-by-year", "-p", "year=1", "-p", "month=2"), "has no parameter 'month'"),
        (("nope",), "no saved query named 'nope'"),
    ],
)
def test_errors_are_one_line_with_exit_status_2(run, args: tuple[str, ...], message: str):
    result = run("query", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_updates_are_refused(run, tmp_path):
    update = tmp_path / "drop.rq"
    update.write_text("DROP ALL\n")
    result = run("query", str(update))
    assert result.exit_code == 2
    assert "refused: this is a SPARQL update (DROP)" in result.output


def test_violation_queries_exit_1_when_they_find_rows(run):
    assert run("query", "unlabelled-area-violation").exit_code == 0
    failing = run("query", "area-year-violation")
    assert failing.exit_code == 1
    assert "(2 rows)" in failing.output


def test_timeout_option(run, tmp_path):
    slow = tmp_path / "slow.rq"
    slow.write_text("SELECT (COUNT(*) AS ?n) WHERE "
                    "{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o . ?p ?q ?r }\n")
    result = run("query", str(slow), "--timeout", "0.5")
    assert result.exit_code == 2
    assert "ran past its 0.5 s limit and was stopped; narrow it or raise --timeout" in result.output


def test_bad_param_syntax_is_a_usage_error(run):
    result = run("query", "areas-by-year", "--param", "year")
    assert result.exit_code == 2
    assert "NAME=VALUE" in result.output


@pytest.mark.server
def test_load_then_query_the_endpoint(run, oxigraph_server):
    loaded = run("load", "--endpoint", oxigraph_server.url, "--graph", "https://example.org/g")
    assert loaded.exit_code == 0, loaded.output
    assert "into graph <https://example.org/g>" in loaded.output
    loaded = run("load", "--endpoint", oxigraph_server.url)
    assert loaded.exit_code == 0, loaded.output
    remote = run("query", "areas-by-year", "-p", "year=2010", "--endpoint", oxigraph_server.url,
                 "-f", "csv")
    embedded = run("query", "areas-by-year", "-p", "year=2010", "-f", "csv")
    assert remote.exit_code == 0, remote.output
    assert remote.output == embedded.output


@pytest.mark.server
def test_query_a_named_graph_as_the_default_graph(run, oxigraph_server):
    graph = "https://example.org/default-graph-test"
    assert run("load", "--endpoint", oxigraph_server.url, "--graph", graph).exit_code == 0
    args = ["query", "areas-by-year", "-p", "year=2011", "-f", "csv", "--endpoint",
            oxigraph_server.url]
    remote = run(*args, "--default-graph", graph)
    assert remote.exit_code == 0, remote.output
    assert remote.output == run("query", "areas-by-year", "-p", "year=2011", "-f", "csv").output
    empty = run(*args, "--default-graph", "https://example.org/no-such-graph")
    assert empty.output.splitlines() == ["n", "0"]


def test_default_graph_needs_an_endpoint(run):
    result = run("query", "labels", "--default-graph", "https://example.org/g")
    assert result.exit_code == 2
    assert "--default-graph needs --endpoint" in result.output


def test_query_refuses_bad_default_graph_iri(run):
    result = run("query", "labels", "--endpoint", "http://127.0.0.1:9",
                 "--default-graph", "not an iri")
    assert result.exit_code == 2
    assert "--default-graph: parameter 'graph' expects an IRI" in result.output
    assert "Traceback" not in result.output


def test_load_refuses_bad_graph_iri(run):
    result = run("load", "--endpoint", "http://127.0.0.1:9", "--graph", "not an iri")
    assert result.exit_code == 2
    assert "expects an IRI" in result.output
