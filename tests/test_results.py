"""Result formats: table, CSV, TSV and SPARQL JSON, and the multiset used to compare results."""

from __future__ import annotations

import csv
import io
import json

import pytest
from rdflib import BNode, Literal, URIRef

from compact_kg.results import QueryResult, format_result, term_from_raw

INTEGER = URIRef("http://www.w3.org/2001/XMLSchema#integer")
RESULT = QueryResult(
    variables=["s", "o"],
    rows=[
        (URIRef("http://ex/a"), Literal('say "hi",\nthen\tgo', lang="en")),
        (BNode("b1"), Literal("010", datatype=INTEGER, normalize=False)),
        (URIRef("http://ex/c"), None),
    ],
)


def test_json_is_sparql_results_json():
    document = json.loads(format_result(RESULT, "json"))
    assert document["head"] == {"vars": ["s", "o"]}
    first, second, third = document["results"]["bindings"]
    assert first["o"] == {"type": "literal", "value": 'say "hi",\nthen\tgo', "xml:lang": "en"}
    assert second == {"s": {"type": "bnode", "value": "b1"},
                      "o": {"type": "literal", "value": "010", "datatype": str(INTEGER)}}
    assert third == {"s": {"type": "uri", "value": "http://ex/c"}}


def test_csv_round_trips_values():
    rows = list(csv.reader(io.StringIO(format_result(RESULT, "csv"))))
    assert rows == [["s", "o"], ["http://ex/a", 'say "hi",\nthen\tgo'], ["_:b1", "010"],
                    ["http://ex/c", ""]]


def test_tsv_uses_rdf_term_syntax_one_row_per_line():
    lines = format_result(RESULT, "tsv").splitlines()
    assert lines[0] == "?s\t?o"
    assert lines[2] == f'_:b1\t"010"^^<{INTEGER}>'
    assert len(lines) == 4


def test_table_shows_every_row_and_counts_them():
    text = format_result(RESULT, "table")
    assert "http://ex/a" in text and "010" in text and text.endswith("(3 rows)\n")
    assert len(text.splitlines()) == 6


def test_ask_results():
    result = QueryResult(variables=[], kind="ask", boolean=True)
    assert format_result(result, "table") == "true\n"
    assert json.loads(format_result(result, "json")) == {"head": {}, "boolean": True}


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown format"):
        format_result(RESULT, "xml")


def test_multiset_ignores_order_and_blank_node_labels():
    shuffled = [RESULT.rows[2], (BNode("zz"), RESULT.rows[1][1]), RESULT.rows[0]]
    other = QueryResult(variables=["s", "o"], rows=shuffled)
    assert other.multiset() == RESULT.multiset()


def test_raw_terms_keep_lexical_forms_and_fold_xsd_string():
    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert term_from_raw(("literal", "x", xsd + "string", "")) == Literal("x")
    assert str(term_from_raw(("literal", "01", xsd + "integer", ""))) == "01"
    lang_string = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
    lang = term_from_raw(("literal", "x", lang_string, "en"))
    assert lang == Literal("x", lang="en")
