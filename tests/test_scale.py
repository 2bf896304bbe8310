"""compact_kg.scale: the fast paths give the same results as the plain ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from compact_kg.errors import InputError
from compact_kg.scale import cached_store, files_fingerprint
from compact_kg.store import load_store

TTL = """@prefix ex: <http://example.org/> .
ex:a ex:p "{value}" ; ex:q ex:b .
ex:b ex:p 2.5 .
"""


def _files(folder: Path, value: str = "one") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    first, second = folder / "a.ttl", folder / "b.ttl"
    first.write_text(TTL.format(value=value), encoding="utf-8")
    second.write_text('@prefix ex: <http://example.org/> .\nex:c ex:p "three"@en-GB .\n',
                      encoding="utf-8")
    return [first, second]


def _triples(store: object) -> set[str]:
    return {str(q.triple) for q in store.quads_for_pattern(None, None, None, None)}


def test_cached_store_holds_what_load_store_holds(tmp_path: Path) -> None:
    files = _files(tmp_path / "data")
    cache = tmp_path / "cache"
    cold = cached_store(files, cache)
    assert _triples(cold) == _triples(load_store(files))
    del cold
    built = sorted(p.name for p in cache.iterdir())
    warm = cached_store(files, cache)
    assert _triples(warm) == _triples(load_store(files))
    assert sorted(p.name for p in cache.iterdir()) == built  # opened, not rebuilt


def test_changed_file_gets_a_new_store(tmp_path: Path) -> None:
    files = _files(tmp_path / "data")
    cache = tmp_path / "cache"
    before = files_fingerprint(files)
    cached_store(files, cache)
    files = _files(tmp_path / "data", value="changed")
    assert files_fingerprint(files) != before
    store = cached_store(files, cache)
    assert any('"changed"' in t for t in _triples(store))
    assert len([p for p in cache.iterdir() if p.is_dir()]) == 2  # keep=2


def test_syntax_error_reads_as_on_the_plain_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:p .\n", encoding="utf-8")
    with pytest.raises(InputError) as plain:
        load_store([bad])
    with pytest.raises(InputError) as cached:
        cached_store([bad], tmp_path / "cache")
    assert str(cached.value) == str(plain.value)
    assert not list((tmp_path / "cache").iterdir())  # no half-built store is left


def test_query_worker_answers_as_run_query_does(tmp_path: Path) -> None:
    from compact_kg import queries
    from compact_kg.errors import QueryError, QueryTimeoutError
    from compact_kg.scale import QueryWorker

    files = _files(tmp_path / "data")
    store = load_store(files)
    saved = queries.parse_query_text(
        "#+ title: t\n#+ description: d\n#+ param: p | iri | http://example.org/p | property\n"
        "SELECT ?s ?o WHERE { ?s ?_p ?o } ORDER BY ?s ?o\n", name="t")
    slow = queries.parse_query_text(
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . "
        "?m ?n2 ?o . ?p ?q ?r . ?s ?t ?u . ?v ?w ?x . ?y ?z ?aa . ?bb ?cc ?dd }", name="slow")
    with QueryWorker(store) as worker:
        for params in (None, {"p": "http://example.org/q"}, None):
            ours = worker.run(saved, params)
            plain = queries.run_query(saved, store=store, params=params)
            assert (ours.kind, ours.variables, ours.rows) == \
                (plain.kind, plain.variables, plain.rows)
        with pytest.raises(QueryTimeoutError):
            worker.run(slow, timeout=0.3)
        assert worker.run(saved).rows == plain.rows  # a fresh worker took over
        with pytest.raises(QueryError):
            worker.run(saved, {"p": "not an iri"})


def test_partitioned_validation_equals_the_plain_path(tmp_path: Path) -> None:
    """Whatever the chunking, validate_parallel reports exactly what validate_dataset does."""
    from bench import generate, run

    from compact_kg import validate
    from compact_kg.paths import ProjectPaths
    from compact_kg.scale import validate_parallel

    generate.generate(tmp_path / "data", 40, seed=5, areas=12,
                      violations=len(generate.VIOLATION_KINDS))
    run.link_checkout(tmp_path)
    paths = ProjectPaths(tmp_path)
    plain = validate.validate_dataset(paths)

    def key(report: validate.ValidationReport) -> list[tuple]:
        return sorted((r.severity, r.shape, r.rule, r.focus, r.focus_label or "", r.path or "",
                       r.value or "", r.message, r.component or "") for r in report.results)

    assert not plain.conforms
    assert len(plain.results) >= len(generate.VIOLATION_KINDS)  # shapes + violation queries
    for processes, per_chunk in ((1, None), (2, 7), (2, 1)):
        fast = validate_parallel(paths, processes=processes, files_per_chunk=per_chunk)
        assert key(fast) == key(plain), (processes, per_chunk)
        assert fast.summary == plain.summary
        assert fast.conforms == plain.conforms
