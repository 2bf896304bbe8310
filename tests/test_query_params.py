"""Parameters: typed values, clear errors, and values that can never change a query."""

from __future__ import annotations

import re

import pyoxigraph
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Literal, URIRef

from compact_kg import queries
from compact_kg.errors import ParameterError
from compact_kg.queries import (
    Parameter,
    bind_parameters,
    bind_text,
    parse_query_text,
    parse_value,
    run_embedded,
)

XSD_NS = "http://www.w3.org/2001/XMLSchema#"


def typed(lexical: str, datatype: str) -> Literal:
    return Literal(lexical, datatype=URIRef(XSD_NS + datatype), normalize=False)


NAME_QUERY = parse_query_text(
    "#+ param: name | string | | a label\n"
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    "SELECT ?s WHERE { { ?s rdfs:label ?_name } }\n",
    name="by-name",
)
IRI_QUERY = parse_query_text(
    "#+ param: thing | iri | | a subject\nSELECT ?p ?o WHERE { ?_thing ?p ?o }\n", name="by-iri"
)
# Spliced as text between quotes, this closes the string and adds a branch matching everything.
UNION_PAYLOAD = 'nobody" } UNION { ?s ?p ?o } UNION { ?s ?p "nobody'


@pytest.fixture(scope="module")
def injection_store() -> pyoxigraph.Store:
    store = pyoxigraph.Store()
    label = pyoxigraph.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    for index in range(20):
        node = pyoxigraph.NamedNode(f"http://example.org/n{index}")
        store.add(pyoxigraph.Quad(node, label, pyoxigraph.Literal(f"label {index}")))
    tricky = pyoxigraph.NamedNode("http://example.org/tricky")
    store.add(pyoxigraph.Quad(tricky, label, pyoxigraph.Literal(UNION_PAYLOAD)))
    return store


@pytest.mark.parametrize(
    ("kind", "text", "term"),
    [
        ("iri", "https://w3id.org/compact-kg/id/area/surrey",
         URIRef("https://w3id.org/compact-kg/id/area/surrey")),
        ("string", "Surrey", Literal("Surrey")),
        ("integer", "0010", typed("10", "integer")),
        ("integer", "-3", typed("-3", "integer")),
        ("decimal", "2.5", typed("2.5", "decimal")),
        ("date", "2011-03-31", typed("2011-03-31", "date")),
        ("gYear", "2011", typed("2011", "gYear")),
        ("boolean", "1", typed("true", "boolean")),
        ("boolean", "false", typed("false", "boolean")),
    ],
)
def test_values_are_parsed_as_their_declared_type(kind: str, text: str, term):
    assert parse_value(Parameter("p", kind, None, "d"), text) == term


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        ("integer", "abc", """parameter 'p' expects an integer (e.g. 2010), got "abc\""""),
        ("integer", "1.5", "expects an integer"),
        ("decimal", "1e3", "expects a decimal number"),
        ("date", "2011-02-30", "expects a date"),
        ("date", "31/03/2011", "expects a date"),
        ("gYear", "11", "expects a year"),
        ("boolean", "yes", "expects a boolean"),
        ("iri", "not an iri", "expects an IRI"),
        ("iri", "relative/path", "expects an IRI"),
        ("iri", "http://ex/a> } UNION { ?s ?p ?o } #", "expects an IRI"),
        ("iri", 'http://ex/"quote', "expects an IRI"),
        ("iri", "http://ex/\nnewline", "expects an IRI"),
    ],
)
def test_ill_typed_values_are_refused_clearly(kind: str, text: str, message: str):
    with pytest.raises(ParameterError, match=re.escape(message)):
        parse_value(Parameter("p", kind, None, "d"), text)


def test_unknown_and_missing_parameters_are_errors():
    with pytest.raises(ParameterError, match=r"has no parameter 'nme'; its parameters are: name"):
        bind_parameters(NAME_QUERY, {"name": "x", "nme": "y"})
    with pytest.raises(ParameterError, match=r"needs parameter 'name'.*--param name=VALUE"):
        bind_parameters(NAME_QUERY, {})


def test_defaults_apply():
    query = parse_query_text("#+ param: n | integer | 7 | n\nSELECT ?_n WHERE {}\n")
    assert bind_parameters(query, None) == {"n": typed("7", "integer")}


def test_spliced_union_would_return_everything(injection_store):
    """The control: pasting the payload into the text does change the query."""
    spliced = NAME_QUERY.text.replace("?_name", f'"{UNION_PAYLOAD}"')
    assert len(list(injection_store.query(spliced))) > 20


def test_bound_union_payload_matches_only_as_a_literal(injection_store):
    result = run_embedded(NAME_QUERY, injection_store, {"name": UNION_PAYLOAD})
    assert result.rows == [(URIRef("http://example.org/tricky"),)]


@pytest.mark.parametrize(
    "value",
    [
        'a"b', "a'b", "{ }", "} } }", "# comment", "line\nbreak", "cr\rlf", 'trail\\',
        '"""', "?s ?p ?o", "} UNION { ?s ?p ?o }", "tab\there", "ünïcödé 😀",
    ],
)
def test_hostile_strings_are_matched_literally(injection_store, value: str):
    assert run_embedded(NAME_QUERY, injection_store, {"name": value}).rows == []
    text = bind_text(NAME_QUERY, bind_parameters(NAME_QUERY, {"name": value}))
    assert text.startswith(NAME_QUERY.runnable_text.split("{", 1)[0])


@pytest.mark.parametrize("value", ["\\u0022", '\\u0022 } UNION { ?s ?p ?o } #', "\\U00000022"])
def test_unicode_escape_sequences_are_refused(injection_store, value: str):
    with pytest.raises(ParameterError, match=r"containing '\\u' is refused"):
        run_embedded(NAME_QUERY, injection_store, {"name": value})


def test_iri_injection_is_refused(injection_store):
    with pytest.raises(ParameterError, match="expects an IRI"):
        run_embedded(IRI_QUERY, injection_store, {"thing": "http://x/> ?p ?o } UNION { ?s"})


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=40))
def test_any_string_is_refused_or_matched_literally(injection_store, value: str):
    try:
        result = run_embedded(NAME_QUERY, injection_store, {"name": value}, timeout=None)
    except ParameterError:
        assert "\\u" in value.lower()
        return
    expected = [] if value != UNION_PAYLOAD else [(URIRef("http://example.org/tricky"),)]
    if value.startswith("label ") and value[6:].isdigit() and value[6:] == str(int(value[6:])):
        expected = [(URIRef(f"http://example.org/n{int(value[6:])}"),)] if int(value[6:]) < 20 \
            else []
    assert result.rows == expected


def test_parameters_bind_inside_aggregates(store):
    query = parse_query_text(
        "#+ param: year | integer | | y\n"
        "SELECT (COUNT(?s) AS ?n) WHERE { ?s <http://example.org/year> ?_year }\n"
    )
    result = run_embedded(query, store, {"year": "2010"})
    assert result.rows == [(typed("1", "integer"),)]


# --- the bound-text cache ---------------------------------------------------------------------

def _fresh(query, values) -> str:
    return bind_text(query, bind_parameters(query, values))


def test_cached_binding_gives_each_value_its_own_text_and_rows(injection_store):
    for value in ("label 1", "label 2", "label 1", UNION_PAYLOAD, "label 2"):
        assert queries._bound_text(NAME_QUERY, {"name": value}) == _fresh(NAME_QUERY,
                                                                          {"name": value})
    one = run_embedded(NAME_QUERY, injection_store, {"name": "label 1"})
    two = run_embedded(NAME_QUERY, injection_store, {"name": "label 2"})
    assert one.rows == [(URIRef("http://example.org/n1"),)]
    assert two.rows == [(URIRef("http://example.org/n2"),)]
    assert run_embedded(NAME_QUERY, injection_store, {"name": "label 1"}) == one
    # Values of other Python types that read as the same text bind the same term.
    year = parse_query_text("#+ param: y | integer | | y\nSELECT ?x WHERE { BIND(?_y AS ?x) }\n")
    assert queries._bound_text(year, {"y": 7}) == queries._bound_text(year, {"y": "7"}) == \
        _fresh(year, {"y": "7"})
    assert queries._bound_text(year, {"y": 8}) != queries._bound_text(year, {"y": 7})


def test_refused_values_are_refused_again_after_good_ones_were_cached(injection_store):
    run_embedded(NAME_QUERY, injection_store, {"name": "label 1"})
    run_embedded(IRI_QUERY, injection_store, {"thing": "http://example.org/n1"})
    for _ in range(2):
        with pytest.raises(ParameterError, match=r"containing '\\u' is refused"):
            run_embedded(NAME_QUERY, injection_store, {"name": "\\u0022 } UNION { ?s ?p ?o } #"})
        with pytest.raises(ParameterError, match="expects an IRI"):
            run_embedded(IRI_QUERY, injection_store,
                         {"thing": "http://x/> ?p ?o } UNION { ?s"})
        with pytest.raises(ParameterError, match="has no parameter 'nme'"):
            run_embedded(NAME_QUERY, injection_store, {"name": "label 1", "nme": "y"})
        with pytest.raises(ParameterError, match="needs parameter 'name'"):
            run_embedded(NAME_QUERY, injection_store, {})
    assert run_embedded(NAME_QUERY, injection_store, {"name": UNION_PAYLOAD}).rows == \
        [(URIRef("http://example.org/tricky"),)]
    assert all("\\u" not in key[-1][0][1] for key in queries._BOUND if len(key) == 3)


def test_the_bound_text_cache_is_bounded(monkeypatch, injection_store):
    monkeypatch.setattr(queries, "_BOUND", queries.OrderedDict())
    monkeypatch.setattr(queries, "_BOUND_MAX", 5)
    for index in range(12):
        result = run_embedded(NAME_QUERY, injection_store, {"name": f"label {index}"},
                              timeout=None)
        assert result.rows == [(URIRef(f"http://example.org/n{index}"),)]
    kept = [key[-1] for key in queries._BOUND]
    assert kept == [(("name", f"label {index}"),) for index in range(7, 12)]
    # A long value is bound afresh every time and never kept.
    long_value = "x" * (queries._BOUND_VALUE_MAX + 1)
    assert run_embedded(NAME_QUERY, injection_store, {"name": long_value}, timeout=None).rows == []
    assert len(queries._BOUND) == 5
    assert all(key[-1] != (("name", long_value),) for key in queries._BOUND)
