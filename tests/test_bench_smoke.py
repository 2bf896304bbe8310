"""Smoke run of bench/: the generator and every benchmark, on 10^2 case studies, once.

No timing is asserted (the machine may be busy); what is checked is that the generator is
reproducible and writes data that follows the shapes, that planted mistakes are found, and
that every benchmark produces a result for our side and its baseline.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pyoxigraph
import pytest
from bench import generate as gen
from bench import ops, run

from compact_kg.paths import default_paths
from compact_kg.rdfio import read_turtle_files

SIZE = 100
AREAS = 24  # a short national list keeps raw pySHACL on the reference data quick
ID = "https://w3id.org/compact-kg/id/"


def _checkout(root: Path, violations: int = 0) -> gen.GeneratedDataset:
    """A generated data/ folder beside links to this checkout's ontology/ and queries/."""
    made = gen.generate(root / "data", SIZE, seed=3, areas=AREAS, violations=violations)
    run.link_checkout(root)
    return made


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> gen.GeneratedDataset:
    return _checkout(tmp_path_factory.mktemp("bench"))


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> gen.GeneratedDataset:
    return _checkout(tmp_path_factory.mktemp("bench-v"), len(gen.VIOLATION_KINDS))


def _store(files: list[Path]) -> pyoxigraph.Store:
    store = pyoxigraph.Store()
    for path in files:
        store.bulk_load(path=str(path), format=pyoxigraph.RdfFormat.TURTLE)
    return store


def test_generator_is_reproducible(tmp_path: Path) -> None:
    first = gen.generate(tmp_path / "a", 30, seed=9, areas=AREAS)
    second = gen.generate(tmp_path / "b", 30, seed=9, areas=AREAS)
    other = gen.generate(tmp_path / "c", 30, seed=10, areas=AREAS)
    assert [p.relative_to(first.root) for p in first.files] == \
        [p.relative_to(second.root) for p in second.files]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(first.files, second.files,
                                                                strict=True))
    assert [p.read_bytes() for p in first.case_study_files] != \
        [p.read_bytes() for p in other.case_study_files]


def test_generator_layout_and_iris(dataset: gen.GeneratedDataset) -> None:
    assert len(dataset.case_study_files) == SIZE
    assert {p.parent.name for p in dataset.case_study_files} == {"0000"}
    assert sorted(p.name for p in dataset.reference_files) == \
        ["areas.ttl", "publications.ttl", "regions.ttl"]
    store = _store(dataset.files)
    subjects = {q.subject.value for q in store.quads_for_pattern(None, None, None)
                if isinstance(q.subject, pyoxigraph.NamedNode)}
    ours = [s for s in subjects if s.startswith(ID)]
    # Every instance is synthetic-..., except the nine real regions.
    assert all(s.split("/")[-1].startswith("synthetic-") or "/region/" in s for s in ours)
    assert sum("/region/" in s for s in ours) == 9
    counts = {row["c"].value.rsplit("/", 1)[-1]: int(row["n"].value) for row in store.query(
        "SELECT ?c (COUNT(?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c")}
    assert counts["CaseStudy"] == SIZE
    assert counts["Area"] == AREAS
    assert 2 * SIZE <= counts["Mechanism"] <= 6 * SIZE
    # GSS codes are unique and match the authority type's prefix.
    rows = list(store.query(
        "PREFIX ckg: <https://w3id.org/compact-kg/def/> "
        "SELECT ?code ?type WHERE { ?a a ckg:Area ; ckg:gssCode ?code ; ckg:authorityType ?type }"))
    prefixes = {"london-borough": "E09", "metropolitan-district": "E08", "county": "E10",
                "unitary-authority": "E06"}
    codes = [r["code"].value for r in rows]
    assert len(set(codes)) == len(codes) == AREAS
    assert all(r["code"].value.startswith(prefixes[r["type"].value.rsplit("/", 1)[-1]])
               for r in rows)
    # Changes over time: the later measurement points to an earlier one of the same indicator.
    pairs = list(store.query(
        "PREFIX ckg: <https://w3id.org/compact-kg/def/> SELECT ?d1 ?d2 WHERE { "
        "?m ckg:previousMeasurement ?p . ?m ckg:indicator ?i ; ckg:date ?d1 . "
        "?p ckg:indicator ?i ; ckg:date ?d2 }"))
    assert pairs
    assert all(int(r["d1"].value) > int(r["d2"].value) for r in pairs)


def test_generated_data_conforms_to_the_shapes(dataset: gen.GeneratedDataset) -> None:
    validate = pytest.importorskip("compact_kg.validate")
    files = [*ops.model_files(), *dataset.files, gen.write_submission(
        dataset.root.parent / "submission.ttl", seed=3, areas=AREAS)]
    graph = read_turtle_files(files)
    paths = default_paths()
    report = validate.validate_graph(graph, shapes=validate.load_shapes(paths))
    assert report.conforms, [r.to_dict() for r in report.results[:3]]
    assert not report.results, [r.to_dict() for r in report.results[:3]]


def test_planted_violations_are_found(faulty: gen.GeneratedDataset) -> None:
    validate = pytest.importorskip("compact_kg.validate")
    assert sorted(faulty.violations.values()) == sorted(gen.VIOLATION_KINDS)
    graph = read_turtle_files([*ops.model_files(), *faulty.files])
    report = validate.validate_graph(graph, shapes=validate.load_shapes(default_paths()))
    assert not report.conforms
    stems = {Path(name).stem for name in faulty.violations}
    assert {r.focus.rsplit("/", 1)[-1].split("-2", 1)[0] for r in report.results} <= \
        {s.split("-2", 1)[0] for s in stems}
    assert len(report.results) == len(gen.VIOLATION_KINDS)  # the shapes alone: one each


def _assert_measured(row: dict, *, baseline: bool = True) -> None:
    assert row["ours"].get("available", True), row["ours"]
    assert row["ours"].get("median") is not None, row["ours"]
    assert not row["ours"].get("error"), row["ours"]
    if baseline:
        assert row["baseline"].get("median") is not None, row["baseline"]
        assert row["ratio"] is not None


def test_load_and_cached_load(dataset: gen.GeneratedDataset) -> None:
    row = run.bench_paired("load", SIZE, dataset.root, 1, 120)
    _assert_measured(row)
    assert row["detail"]["ours_triples"] > SIZE * 20
    cached = run.bench_cached(SIZE, dataset.root, 1)
    _assert_measured(cached)
    assert cached["detail"]["ours_triples"] == row["detail"]["ours_triples"]


def test_saved_queries(dataset: gen.GeneratedDataset) -> None:
    rows = run.bench_queries(SIZE, dataset.root, 1, 300)
    names = {p.stem for p in (ops.ROOT / "queries").glob("*.rq")}
    assert {r["name"] for r in rows} == names
    for row in rows:
        _assert_measured(row)
        assert row["detail"]["rows"] == row["detail"]["ours_rows"]


def test_whole_and_partitioned_validation_agree_with_pyshacl(
        faulty: gen.GeneratedDataset) -> None:
    pytest.importorskip("compact_kg.validate")
    rows = [run.bench_paired("validate_whole", SIZE, faulty.root, 1, 300)]
    rows[0]["op"] = "validate-whole"
    parallel = run.bench_paired("validate_whole", SIZE, faulty.root, 1, 300,
                                {"variant": "parallel", "processes": 2}, ours_only=True)
    parallel["op"] = "validate-parallel"
    parallel["detail"]["baseline_results"] = rows[0]["detail"]["baseline_results"]
    parallel["detail"]["baseline_conforms"] = rows[0]["detail"]["baseline_conforms"]
    rows.append(parallel)
    run._mark_correctness(rows, SIZE)
    _assert_measured(rows[0])
    _assert_measured(parallel, baseline=False)
    for row in rows:
        assert row["detail"]["same_verdict"], row["op"]
        assert row["detail"]["same_results"], row["op"]
        assert row["detail"]["ours_result_count"] >= len(gen.VIOLATION_KINDS)


def test_submission_validation(dataset: gen.GeneratedDataset) -> None:
    pytest.importorskip("compact_kg.validate")
    sub = gen.write_submission(dataset.root.parent / "submission.ttl", seed=3, areas=AREAS)
    row = run.bench_paired("validate_submission", SIZE, dataset.root, 1, 300,
                           {"submission": str(sub)})
    _assert_measured(row)
    assert row["detail"]["ours_conforms"] and row["detail"]["baseline_conforms"], row


def test_publish(dataset: gen.GeneratedDataset, tmp_path: Path) -> None:
    if importlib.util.find_spec("compact_kg.publish") is None:
        pytest.skip("compact_kg.publish is not merged yet")
    row = run.bench_paired("publish", SIZE, dataset.root, 1, 300, {"out": str(tmp_path)},
                           ours_only=True)
    _assert_measured(row, baseline=False)
    assert row["detail"]["ours_files_written"] > SIZE


@pytest.fixture(scope="module")
def served(dataset: gen.GeneratedDataset) -> dict:
    from bench import serve

    return serve.bench_serve(SIZE, dataset.root, 16, lambda _: None, budget=8, timeout=4)


def test_serve_benchmark_measures_both_servers(served: dict) -> None:
    row = served
    base = row["baseline"]["serve"]
    assert base["ok"] == base["requests"] == 16, base
    assert base["p95_ms"] > 0 and base["qps"] > 0
    assert row["ours"]["available"], row["ours"]
    for key in ("serve", "serve_mixed"):
        assert row["ours"][key]["requests"] == 16  # measured, whether answered or not


def test_our_server_answers_8_concurrent_clients(served: dict) -> None:
    for key in ("serve", "serve_mixed"):
        stats = served["ours"][key]
        assert stats["ok"] == stats["requests"], stats


def test_startup_and_report(tmp_path: Path) -> None:
    rows = run.bench_startup(1)
    help_row = next(r for r in rows if r["op"] == "startup-help")
    _assert_measured(help_row)
    run.attach_targets(rows)
    from bench import report

    payload = {"generated": "now", "commands": ["python -m bench"], "elapsed_seconds": 1.0,
               "machine": run.machine(), "sizes": [SIZE], "seed": 1, "repeat": 1,
               "timeout": 60.0, "rows": rows}
    out = tmp_path / "benchmarks.md"
    out.write_text("# Benchmarks\n\nAnalysis kept.\n", encoding="utf-8")
    report.write_markdown(payload, out)
    report.write_markdown(payload, out)
    text = out.read_text(encoding="utf-8")
    assert text.count(report.BEGIN) == 1 and "Analysis kept." in text
    assert "`compact-kg --help`" in text
    json.dumps(payload)


def test_queries_option_measures_and_merges_only_the_named_queries(
        dataset: gen.GeneratedDataset, tmp_path: Path) -> None:
    rows = run.bench_queries(SIZE, dataset.root, 1, 300, ["labels", "overview"])
    assert sorted(r["name"] for r in rows) == ["labels", "overview"]
    for row in rows:
        _assert_measured(row)
        assert row["detail"]["rows"] == row["detail"]["ours_rows"]
    # --merge replaces the rows measured again and keeps every other row as it was.
    target = tmp_path / "q.json"
    old_rows = [{"op": "query", "size": SIZE, "name": name, "ours": {"median": 9.0},
                 "baseline": {"median": 1.0}, "ratio": 9.0}
                for name in ("labels", "overview", "timeline")]
    target.write_text(json.dumps({"commands": ["old"], "elapsed_seconds": 1.0,
                                  "sizes": [SIZE], "ops": ["queries"], "rows": old_rows}),
                      encoding="utf-8")
    args = run.argparse.Namespace(merge=True, json=target, no_doc=True, repeat=1, timeout=1.0)
    run._write(args, [r for r in rows if r["name"] == "labels"], [SIZE], ["queries"], 0.0)
    merged = {r["name"]: r for r in json.loads(target.read_text(encoding="utf-8"))["rows"]}
    assert sorted(merged) == ["labels", "overview", "timeline"]
    assert merged["labels"]["ours"]["median"] != 9.0
    assert merged["overview"]["ours"]["median"] == merged["timeline"]["ours"]["median"] == 9.0


def test_run_order_times_every_block(dataset: gen.GeneratedDataset) -> None:
    from bench import run_order

    table = run_order.order_table(dataset.root, "labels", 2)
    rows = [line for line in table.splitlines() if line.startswith("| ") and "ms |" in line]
    assert len(rows) == 7
    assert all(len(row.split("|")[3].split(",")) == 2 for row in rows)  # 2 runs each


def test_queries_option_refuses_an_unknown_name(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        run.main(["--sizes", str(SIZE), "--ops", "queries", "--queries", "labels,no-such",
                  "--no-doc", "--json", "unused.json"])
    assert stopped.value.code == 2
    message = capsys.readouterr().err.strip().splitlines()[-1]
    assert "no-such" in message and "labels" in message and "overview" in message
