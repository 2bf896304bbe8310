"""The fast query path: placements proved once, checks cached by text, persistent workers,
results kept as pyoxigraph serialised them. Each must answer exactly as the plain path."""

from __future__ import annotations

import csv
import io
import json
import threading

import pyoxigraph
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compact_kg import queries
from compact_kg.errors import ParameterError, QueryError, QueryTimeoutError
from compact_kg.queries import (
    QueryRunner,
    bind_parameters,
    bind_text,
    parse_query_text,
    run_embedded,
)
from compact_kg.results import QueryResult, format_result, term_from_raw

EX = "http://example.org/"
LABEL = pyoxigraph.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
NAME_QUERY = parse_query_text(
    "#+ param: name | string | | a label\n"
    "#+ param: thing | iri | http://example.org/n1 | a subject\n"
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    "# a { in a comment, and one in a string below, must not attract the VALUES block\n"
    "SELECT ?s ?o WHERE { { ?s rdfs:label ?_name } UNION { ?_thing ?p ?o FILTER(?o != \"{\") } }\n",
    name="by-name",
)
CARTESIAN = ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . "
             "?m ?n2 ?o . ?p ?q ?r }")


@pytest.fixture(scope="module")
def store() -> pyoxigraph.Store:
    store = pyoxigraph.Store()
    xsd = "http://www.w3.org/2001/XMLSchema#"
    for index in range(200):
        node = pyoxigraph.NamedNode(f"{EX}n{index}")
        store.add(pyoxigraph.Quad(node, LABEL, pyoxigraph.Literal(f"label {index}")))
        store.add(pyoxigraph.Quad(node, pyoxigraph.NamedNode(f"{EX}size"), pyoxigraph.Literal(
            str(index), datatype=pyoxigraph.NamedNode(xsd + "decimal"))))
    blank = pyoxigraph.BlankNode("b1")
    hostile = pyoxigraph.Literal('say "hi",\nthen\tgo', language="en")
    store.add(pyoxigraph.Quad(blank, LABEL, hostile))
    store.add(pyoxigraph.Quad(blank, pyoxigraph.NamedNode(f"{EX}typed"), pyoxigraph.Literal(
        "x", datatype=pyoxigraph.NamedNode(xsd + "string"))))
    return store


def _plain_rows(store: pyoxigraph.Store, text: str) -> list[tuple]:
    """The rows as the former engine built them: every term converted one by one."""
    answer = store.query(text)
    if isinstance(answer, pyoxigraph.QueryTriples):
        return [tuple(term_from_raw(queries._raw(t)) for t in (x.subject, x.predicate, x.object))
                for x in answer]
    return [tuple(term_from_raw(queries._raw(s[v])) for v in answer.variables) for s in answer]


# --- placements ---------------------------------------------------------------------------------

def test_a_cached_placement_is_the_one_the_full_proof_finds():
    names = ["name", "thing"]
    bound = bind_text(NAME_QUERY, bind_parameters(NAME_QUERY, {"name": "x"}))
    assert (NAME_QUERY.runnable_text, tuple(names)) in queries._PLACEMENTS
    queries._PLACEMENTS.clear()
    assert bind_text(NAME_QUERY, bind_parameters(NAME_QUERY, {"name": "x"})) == bound
    # The comment holding a '{' is not in the text that runs (sparqltext drops comments),
    # and the block opens the WHERE clause, not the comment's brace.
    assert "# a {" in NAME_QUERY.text and "# a {" not in bound
    assert bound.index("WHERE { VALUES (?_name ?_thing)") > bound.index("SELECT ?s ?o")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.sampled_from(["http://example.org/n1", "urn:x:y",
                                               "https://a.example/p?q=1#f"]))
def test_every_value_bound_at_a_cached_placement_passes_the_full_proof(value: str, iri: str):
    bind_text(NAME_QUERY, bind_parameters(NAME_QUERY, {"name": "warm"}))  # placement cached
    try:
        terms = bind_parameters(NAME_QUERY, {"name": value, "thing": iri})
        text = bind_text(NAME_QUERY, terms)
    except ParameterError:
        assert "\\u" in value.lower()
        return
    names = sorted(terms)
    original = queries._canonical(queries._tree_of(NAME_QUERY))
    assert queries._is_same_query_plus_values(text, original, names, [terms[n] for n in names])


@pytest.mark.parametrize("text", [
    '"a" } UNION { "b"', '"a"^^<http://x/> <http://y/>', "<http://x/> <http://y/>", '"a\nb"',
    '"a" # "', "<http://x/>>", '"a"@en } {', '"unterminated',
])
def test_the_one_token_check_refuses_anything_longer(text: str):
    assert queries._ONE_TOKEN.fullmatch(text) is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_every_string_value_is_written_as_one_token(value: str):
    from rdflib import Literal

    if "\\u" in value.lower():
        return
    assert queries._ONE_TOKEN.fullmatch(queries._sparql_term(Literal(value)))


def test_checks_are_cached_by_text_and_a_changed_text_is_checked_again():
    text = "SELECT ?s WHERE { ?s ?p ?o }"
    assert parse_query_text(text) is parse_query_text(text)
    with pytest.raises(QueryError, match="SERVICE"):
        parse_query_text(text.replace("?s ?p ?o", "SERVICE <http://x/> { ?s ?p ?o }"))


# --- results --------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o",
    "SELECT ?s ?missing WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?o }",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(isBlank(?s)) }",
    "ASK { ?s ?p 'label 3' }",
    "ASK { ?s ?p 'no such label' }",
])
@pytest.mark.parametrize("timeout", [None, 30.0])
def test_results_equal_the_term_by_term_conversion(store, text: str, timeout: float | None):
    result = run_embedded(text, store, timeout=timeout)
    if result.kind == "ask":
        assert result.boolean is bool(store.query(text))
        assert result.rows == [] and len(result) == 0
        return
    count = len(result)  # counted before any term is converted
    assert sorted(map(repr, result.rows)) == sorted(map(repr, _plain_rows(store, text)))
    assert count == len(result.rows)
    assert result.variables == (["subject", "predicate", "object"] if result.kind == "graph"
                                else [v.value for v in store.query(text).variables])


def test_csv_and_json_from_pyoxigraph_match_our_writers(store):
    result = run_embedded("SELECT ?s ?o ?x WHERE { ?s ?p ?o } ORDER BY ?s ?o", store)
    plain = QueryResult(result.variables, result.rows)
    assert result.serialized("tsv") is not None and plain.serialized("tsv") is None

    def parsed_csv(r: QueryResult) -> list[list[str]]:
        return list(csv.reader(io.StringIO(format_result(r, "csv"))))

    assert parsed_csv(result) == parsed_csv(plain)
    assert json.loads(format_result(result, "json")) == json.loads(format_result(plain, "json"))
    assert format_result(result, "table") == format_result(plain, "table")


# --- workers -------------------------------------------------------------------------------------

def test_a_worker_stopped_at_its_deadline_is_replaced(store):
    with QueryRunner(store) as runner:
        before = runner.run(NAME_QUERY, {"name": "label 7"})
        with pytest.raises(QueryTimeoutError, match=r"ran past its 0\.5 s limit"):
            runner.run(CARTESIAN, timeout=0.5)
        assert runner.run(NAME_QUERY, {"name": "label 7"}) == before
        assert {str(row[0]) for row in before.rows} == {f"{EX}n7", "None"}
        assert len(before) == 3  # n7's label, and n1's two values


def test_concurrent_threads_share_the_workers_and_get_their_own_answers(store):
    expected = {i: run_embedded(NAME_QUERY, store, {"name": f"label {i}"}, timeout=None)
                for i in range(16)}
    answers: dict[int, QueryResult] = {}
    with QueryRunner(store, workers=2).start() as runner:
        def ask(i: int) -> None:
            answers[i] = runner.run(NAME_QUERY, {"name": f"label {i}"})

        threads = [threading.Thread(target=ask, args=(i,)) for i in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert answers == expected


def test_run_embedded_keeps_one_runner_per_store(store):
    assert queries.runner_for(store) is queries.runner_for(store)
    other = pyoxigraph.Store()
    assert queries.runner_for(other) is not queries.runner_for(store)
    assert run_embedded("ASK { ?s ?p ?o }", other).boolean is False


def test_a_forked_child_runs_queries_with_workers_of_its_own(store):
    import os
    import select

    expected = run_embedded(NAME_QUERY, store, {"name": "label 3"})  # the parent's runner
    parents = queries.runner_for(store)  # held, so its id cannot be reused in the child
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            own = queries.runner_for(store) is not parents
            same = run_embedded(NAME_QUERY, store, {"name": "label 3"}) == expected
            fresh = run_embedded("ASK { ?s ?p ?o }", pyoxigraph.Store()).boolean is False
            os.write(write_end, b"same" if own and same and fresh else b"different")
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 60)
        answer = os.read(read_end, 100) if ready else b"timed out"
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)
    assert answer == b"same"
    assert run_embedded(NAME_QUERY, store, {"name": "label 3"}) == expected  # parent's still fine


def test_a_large_result_crosses_the_worker_pipe_whole():
    big = pyoxigraph.Store()
    for index in range(3000):  # about 1 MB of TSV: many pipe buffers' worth
        big.add(pyoxigraph.Quad(pyoxigraph.NamedNode(f"{EX}big{index}"), LABEL,
                                pyoxigraph.Literal(f"{index} " + "y" * 300)))
    text = "SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?s"
    plain = run_embedded(text, big, timeout=None)
    with QueryRunner(big) as runner:
        result = runner.run(text)
        empty = runner.run("SELECT ?s WHERE { ?s ?p 'nothing' }")
    assert len(plain.serialized("tsv")) > 10 * (1 << 16)  # ten pipe buffers
    assert result.serialized("tsv") == plain.serialized("tsv")
    assert len(result) == 3000 and result.rows == plain.rows
    assert empty.variables == ["s"] and len(empty) == 0 and empty.rows == []


def test_a_worker_killed_from_outside_is_reported_and_replaced(store):
    import os
    import signal

    with QueryRunner(store) as runner:
        expected = runner.run(NAME_QUERY, {"name": "label 2"})
        pid = runner.worker_pids[0]
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        with pytest.raises(QueryError, match="worker died"):
            runner.run(NAME_QUERY, {"name": "label 2"})
        assert runner.run(NAME_QUERY, {"name": "label 2"}) == expected
        assert runner.worker_pids[0] not in (0, pid)


def test_a_runner_dropped_without_close_stops_its_worker(store):
    import gc
    import os

    runner = QueryRunner(store)
    runner.run(NAME_QUERY, {"name": "label 1"})
    pid = runner.worker_pids[0]
    del runner
    gc.collect()
    with pytest.raises(ChildProcessError):  # killed and reaped: no such child any more
        os.waitpid(pid, os.WNOHANG)
