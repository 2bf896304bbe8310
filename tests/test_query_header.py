"""Saved-query files: the ``#+`` header, the catalogue and the checks made when loading."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from compact_kg.errors import QueryError
from compact_kg.paths import ProjectPaths, default_paths
from compact_kg.queries import Parameter, find_query, load_catalogue, load_query, parse_query_text

BODY = "SELECT ?s WHERE { ?s ?p ?_x }\n"
GOOD = """\
#+ title: A title
#+ description: First line,
#+ description: second line.
#+ tags: a, b-c
#+ param: x | integer | 3 | A number
# an ordinary comment is fine
""" + BODY


def test_header_is_parsed():
    query = parse_query_text(GOOD, name="good")
    assert query.title == "A title"
    assert query.description == "First line, second line."
    assert query.tags == ("a", "b-c")
    assert query.params == (Parameter("x", "integer", "3", "A number"),)
    assert query.form == "select"
    assert not query.is_violation


def test_the_repository_catalogue_loads():
    catalogue = load_catalogue(default_paths().queries_dir)
    names = [query.name for query in catalogue]
    assert {"labels", "overview", "dangling-reference-violation"} <= set(names)
    assert names == sorted(names)


def test_catalogue_of_the_test_project(project: ProjectPaths):
    catalogue = {query.name: query for query in load_catalogue(project.queries_dir)}
    assert catalogue["unlabelled-area-violation"].is_violation
    assert catalogue["areas-by-year"].parameter("year").required


@pytest.mark.parametrize(
    ("header", "line", "message"),
    [
        ("#+ title A title", 1, "malformed header line"),
        ("#+ titel: A title", 1, "unknown header key 'titel'"),
        ("#+ title:", 1, "has no value"),
        ("#+ title: One\n#+ title: Two", 2, "a second '#+ title:'"),
        ("#+ title: T\n#+ tags: Bad Tag", 2, "tag 'Bad Tag'"),
        ("#+ title: T\n#+ param: x | integer | 3", 2, "needs four fields"),
        ("#+ title: T\n#+ param: X | integer | 3 | d", 2, "must match"),
        ("#+ title: T\n#+ param: x | number | 3 | d", 2, "unknown type 'number'"),
        ("#+ title: T\n#+ param: x | integer | three | d", 2, "the default is wrong"),
        ("#+ title: T\n#+ param: x | integer | 3 |", 2, "no description"),
        ("#+ title: T\n#+ param: x | integer | | d\n#+ param: x | integer | | d", 3, "twice"),
    ],
)
def test_malformed_header_is_an_error_naming_file_and_line(
    tmp_path: Path, header: str, line: int, message: str
):
    path = tmp_path / "broken.rq"
    path.write_text(f"{header}\n#+ description: D\n{BODY}")
    with pytest.raises(QueryError, match=re.escape(message)) as caught:
        load_query(path, require_header=True)
    assert str(caught.value).startswith(f"{path}:{line}:")


def test_header_line_after_the_query_is_an_error(tmp_path: Path):
    path = tmp_path / "late.rq"
    path.write_text(f"#+ title: T\n#+ description: D\n{BODY}#+ tags: late\n")
    with pytest.raises(QueryError, match=rf"{path}:4: a '#\+' metadata line after"):
        load_query(path)


def test_catalogue_queries_need_title_and_description(tmp_path: Path):
    path = tmp_path / "untitled.rq"
    path.write_text("SELECT * WHERE { ?s ?p ?o }\n")
    with pytest.raises(QueryError, match=r"no '#\+ title:' line"):
        load_query(path, require_header=True)
    assert load_query(path).title == ""  # an ad-hoc file needs no header


def test_catalogue_names_are_lowercase_with_hyphens(tmp_path: Path):
    path = tmp_path / "Bad_Name.rq"
    path.write_text(GOOD)
    with pytest.raises(QueryError, match="lowercase words joined by hyphens"):
        load_catalogue(tmp_path)


def test_undeclared_parameter_variable_is_an_error():
    with pytest.raises(QueryError, match=r"uses \?_x but the header declares no parameter 'x'"):
        parse_query_text("#+ title: T\n" + BODY)


def test_declared_but_unused_parameter_is_an_error():
    text = "#+ param: y | string | | unused\nSELECT * WHERE { ?s ?p ?o }\n"
    with pytest.raises(QueryError, match="'y' is declared but"):
        parse_query_text(text)


def test_syntax_error_names_file_line_and_column(tmp_path: Path):
    path = tmp_path / "syntax.rq"
    path.write_text("#+ title: T\n#+ description: D\nSELECT ?s\nWHERE { ?s ?p }\n")
    with pytest.raises(QueryError, match=rf"^{path}:4:\d+: SPARQL syntax error"):
        load_query(path)


def test_violation_queries_must_be_select():
    with pytest.raises(QueryError, match="must be a SELECT"):
        parse_query_text("ASK { ?s ?p ?o }", name="thing-violation")


def test_find_query_by_name_and_by_path(project: ProjectPaths):
    by_name = find_query("labels", project.queries_dir)
    by_path = find_query(str(project.queries_dir / "labels.rq"), Path("/nonexistent"))
    assert by_name.text == by_path.text
    with pytest.raises(QueryError, match=r"no saved query named 'nope'.*--list"):
        find_query("nope", project.queries_dir)
    with pytest.raises(QueryError, match="no saved query named 'Labels'"):
        find_query("Labels", project.queries_dir)
