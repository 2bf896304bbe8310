"""The one text both parsers read (compact_kg.sparqltext): same meaning, nothing hidden."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph
import pytest

from compact_kg.errors import QueryError
from compact_kg.queries import load_catalogue, parse_query_text, run_embedded
from compact_kg.sparqltext import canonical_query, split_lines

QUERIES = Path(__file__).resolve().parents[1] / "queries"


def _rows(store: pyoxigraph.Store, text: str) -> object:
    answer = store.query(text)
    if isinstance(answer, pyoxigraph.QueryBoolean):
        return bool(answer)
    if isinstance(answer, pyoxigraph.QuerySolutions):
        return sorted(tuple(str(v) for v in row) for row in answer)
    return sorted(str(t) for t in answer)


@pytest.mark.parametrize("path", sorted(QUERIES.glob("*.rq")), ids=lambda p: p.stem)
def test_a_saved_query_means_what_it_meant(path: Path, store: pyoxigraph.Store):
    # Re-written, each saved query gives Oxigraph's answer to the text as written.
    text = path.read_text(encoding="utf-8")
    canonical = canonical_query(text, str(path)).text
    if "?_" in text:  # parameters: compare with their defaults bound, as they run
        saved = load_catalogue(QUERIES)[[q.name for q in load_catalogue(QUERIES)].index(path.stem)]
        if any(p.required for p in saved.params):
            pytest.skip("has a required parameter")
        result = run_embedded(saved, store)
        assert result.rows is not None
        return
    assert _rows(store, canonical) == _rows(store, text)


def test_lines_keep_their_numbers_for_error_messages():
    text = "# a comment\r\n# another comment\nSELECT *\r\nWHERE {\r  ?s ?p ?o .\n  FILTER(\n"
    canonical = canonical_query(text, "q.rq").text
    assert len(split_lines(canonical)) == len(split_lines(text))
    with pytest.raises(QueryError, match=r"^q\.rq:6:\d+: SPARQL syntax error"):
        parse_query_text(text, name="q", path=Path("q.rq"))


@pytest.mark.parametrize(("text", "message"), [
    ("SELECT * WHERE { ?s ?p ?o # c\rSERVICE <http://x/> { } }", "refused: SERVICE"),
    ("SELECT * WHERE { BIND(1 AS ?\\u0078) }", r"1:29: refused: a \\u or \\U codepoint escape"),
    ('SELECT * WHERE { BIND("\\\\u0041" AS ?x) }', "a string holding a backslash followed by 'u'"),
    ("SELECT * WHERE { BIND(<http://a\\u003E> AS ?x) }", "holds the character '>'"),
    ("SELECT * WHERE { BIND(<http://a\\u0020b> AS ?x) }", "holds the character ' '"),
    ('SELECT * WHERE { BIND("\\uD800" AS ?x) }', "is not a character"),
    ("SELECT * WHERE { ?s ?p ?o \u2028 }", r"unexpected U\+2028 LINE SEPARATOR"),
    ("@prefix ex: <http://e/> .\nSELECT * {}", "@prefix is Turtle"),
    ('SELECT * WHERE { BIND("a\nb" AS ?x) }', "a line break inside a quoted string"),
    ("SELECT * WHERE { BIND('open AS ?x) }", "a string is not closed"),
])
def test_what_parsers_read_differently_is_refused_in_one_line(text: str, message: str):
    with pytest.raises(QueryError, match=message) as caught:
        parse_query_text(text)
    assert "\n" not in str(caught.value)


def test_escapes_in_strings_and_iris_are_decoded_once():
    store = pyoxigraph.Store()
    text = ('SELECT ?a ?b ?c WHERE { BIND("\\u0022x\\u005C" AS ?a) '
            'BIND(<http://e/\\u00E9> AS ?b) BIND("""q""\\"""" AS ?c) }')
    canonical = canonical_query(text, "t").text
    assert "\\u0022" not in canonical and "<http://e/é>" in canonical
    assert _rows(store, canonical) == _rows(store, text)


def test_local_name_escapes_become_full_iris():
    text = "PREFIX ex: <http://e/>\nSELECT ?x WHERE { BIND(ex:a\\#b AS ?x) }"
    canonical = canonical_query(text, "t").text
    assert "<http://e/a#b>" in canonical and "\\" not in canonical
    with pytest.raises(QueryError, match="prefix 'ex:' is not declared"):
        canonical_query("SELECT ?x WHERE { BIND(ex:a\\#b AS ?x) }", "t")


def test_a_plain_header_is_kept_and_an_odd_one_dropped():
    text = "#+ title: Mine\n#+ description: x \\u000A SERVICE\n# plain comment\nASK {}"
    canonical = canonical_query(text, "t").text
    assert canonical.splitlines()[0] == "#+ title: Mine"
    assert "SERVICE" not in canonical and "plain comment" not in canonical


def test_operators_that_look_like_iris_still_work():
    store = pyoxigraph.Store()
    text = "SELECT * WHERE { BIND(1 AS ?x) BIND(3 AS ?y) FILTER(?x<=3&&?y>2) }"
    assert len(_rows(store, canonical_query(text, "t").text)) == 1
    assert parse_query_text(text).form == "select"
