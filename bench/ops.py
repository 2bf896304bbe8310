"""The benchmarked operations, each with our side and the raw-library baseline.

Every ``op_NAME(spec)`` runs in a fresh child process (:mod:`bench.worker`) and returns a
JSON-able dict with ``seconds`` (the timed block only). ``spec["side"]`` is ``"ours"`` (the
compact_kg library) or ``"baseline"`` (pyoxigraph or pySHACL used directly on the same
files). A function that is not on this branch raises :class:`NotAvailable`.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


class NotAvailable(Exception):
    """The compact_kg function this benchmark needs does not exist (yet)."""


def _need(module: str, *names: str) -> Any:
    """Import ``module`` and return it, or raise NotAvailable naming what is missing."""
    import importlib

    try:
        mod = importlib.import_module(module)
    except ImportError as error:
        raise NotAvailable(f"{module} is not available ({error})") from None
    missing = [n for n in names if not hasattr(mod, n)]
    if missing:
        raise NotAvailable(f"{module} has no {', '.join(missing)}")
    return mod


# ---------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------


def model_files() -> list[Path]:
    """The ontology and its vocabularies, as the project's store loads them."""
    return [ROOT / "ontology" / "compact.ttl",
            *sorted((ROOT / "ontology" / "vocabularies").glob("*.ttl"))]


def data_files(data_dir: str | Path) -> list[Path]:
    """The Turtle files of a generated dataset: reference data, then case studies."""
    root = Path(data_dir)
    return [*sorted((root / "reference").glob("*.ttl")),
            *sorted((root / "case-studies").rglob("*.ttl"))]


def dataset_files(data_dir: str | Path) -> list[Path]:
    """Everything a store of the dataset holds: the model and the data."""
    return [*model_files(), *data_files(data_dir)]


def shapes_file() -> Path:
    path = ROOT / "ontology" / "shapes.ttl"
    if not path.is_file():
        raise NotAvailable("ontology/shapes.ttl is not on this branch")
    return path


def raw_store(files: list[Path]) -> Any:
    """A pyoxigraph in-memory store bulk-loaded file by file (the baseline loader)."""
    import pyoxigraph

    store = pyoxigraph.Store()
    for path in files:
        store.bulk_load(path=str(path), format=pyoxigraph.RdfFormat.TURTLE)
    return store


# ---------------------------------------------------------------------------------------
# Load
# ---------------------------------------------------------------------------------------


def op_load(spec: dict[str, Any]) -> dict[str, Any]:
    files = dataset_files(spec["data"])
    if spec["side"] == "ours":
        store_mod = _need("compact_kg.store", "load_store")
        start = time.perf_counter()
        store = store_mod.load_store(files)
        seconds = time.perf_counter() - start
    else:
        import pyoxigraph  # noqa: F401  (imported before timing, like ours)

        start = time.perf_counter()
        store = raw_store(files)
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "triples": len(store), "files": len(files)}


def op_load_cached(spec: dict[str, Any]) -> dict[str, Any]:
    """Our on-disk store cache (compact_kg.scale.cached_store): cold build, then warm open."""
    scale = _need("compact_kg.scale", "cached_store")
    files = dataset_files(spec["data"])
    cache_dir = Path(spec["cache_dir"])
    start = time.perf_counter()
    store = scale.cached_store(files, cache_dir)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "triples": len(store), "files": len(files)}


def op_disk_store(spec: dict[str, Any]) -> dict[str, Any]:
    """Build an on-disk pyoxigraph (RocksDB) store for Oxigraph's server.

    The files are parsed into memory and written to the disk store in one bulk load: one
    bulk load per file (10^5 of them) makes RocksDB compact its tables over and over (at
    10^5 it had written 68 GB for 0.9 GB of Turtle after 15 minutes)."""
    import pyoxigraph

    start = time.perf_counter()
    files = dataset_files(spec["data"])
    memory = raw_store(files)
    location = Path(spec["location"])
    dump = location.with_name(location.name + ".nq")
    memory.dump(output=str(dump), format=pyoxigraph.RdfFormat.N_QUADS)
    del memory
    store = pyoxigraph.Store(str(location))
    store.bulk_load(path=str(dump), format=pyoxigraph.RdfFormat.N_QUADS)
    store.flush()
    dump.unlink()
    triples = len(store)
    del store
    return {"seconds": time.perf_counter() - start, "triples": triples, "files": len(files)}


# ---------------------------------------------------------------------------------------
# Saved queries
# ---------------------------------------------------------------------------------------


def _catalogue() -> list[Any]:
    queries_dir = ROOT / "queries"
    if not any(queries_dir.glob("*.rq")):
        raise NotAvailable("queries/*.rq are not on this branch")
    mod = _need("compact_kg.queries", "load_catalogue", "run_query", "bind_text",
                "bind_parameters")
    return mod.load_catalogue(queries_dir)


def _sample_params(query: Any, samples: dict[str, str]) -> dict[str, str]:
    """Values for a query's required parameters, taken from the generated dataset."""
    params = {}
    for parameter in query.params:
        if parameter.default is not None:
            # Defaults that name a resource of the real data find nothing in synthetic data.
            if parameter.type == "iri" and "/id/" in parameter.default \
                    and parameter.name in samples:
                params[parameter.name] = samples[parameter.name]
            continue
        key = parameter.name if parameter.name in samples else parameter.type
        if key not in samples:
            raise NotAvailable(f"no sample value for parameter {parameter.name!r}")
        params[parameter.name] = samples[key]
    return params


def dataset_samples(data_dir: str | Path) -> dict[str, str]:
    """Typical parameter values for saved queries, drawn from the generated dataset."""
    files = data_files(data_dir)
    case_study = next(p for p in files if "case-studies" in p.parts)
    slug = case_study.stem  # synthetic-NAME-YEAR-NN
    area_slug = slug.rsplit("-", 2)[0]
    base = "https://w3id.org/compact-kg/"
    area = f"{base}id/area/{area_slug}"
    found: dict[str, str] = {}
    for path in (p for p in files if "case-studies" in p.parts):
        text = path.read_text(encoding="utf-8")
        for prefix, key, kind in (("\nevent:", "event", "event"),
                                  ("\nmeas:", "claim", "measurement")):
            at = text.find(prefix)
            if key not in found and at >= 0:
                name = text[at + len(prefix):].split(" ", 1)[0]
                found[key] = f"{base}id/{kind}/{name}"
        if len(found) == 2:
            break
    return {**found,
        "area": area, "case_study": f"{base}id/case-study/{slug}",
        "mechanism_type": f"{base}vocab/mechanism-type/compact-champions",
        "type": f"{base}def/CaseStudy", "class": f"{base}def/CaseStudy",
        "theme": f"{base}vocab/theme/managing-cuts",
        "region": f"{base}id/region/london",
        "iri": area, "string": "compact", "integer": "2010", "decimal": "10",
        "date": "2011-03-31", "gYear": "2011", "boolean": "true",
    }


def _materialise(answer: Any) -> int:
    """Read a pyoxigraph result completely; return its size."""
    import pyoxigraph

    if isinstance(answer, pyoxigraph.QueryBoolean):
        return int(bool(answer))
    return sum(1 for _ in answer)


def op_queries(spec: dict[str, Any]) -> dict[str, Any]:
    """Every saved query (or those of ``spec["names"]``) on our engine and on raw
    pyoxigraph, alternately, on one store.

    Ours is ``run_query`` exactly as ``query``, ``serve`` and ``validate`` call it: with its
    deadline, so in the store's persistent worker (:class:`compact_kg.queries.QueryRunner`).
    The first call of each query (which checks the text, proves the parameter placement
    and, for the first query, forks the worker) is timed apart as ``ours_first``."""
    catalogue = _catalogue()
    if spec.get("names"):  # python -m bench --queries NAME,...: only these
        names = set(spec["names"])
        catalogue = [q for q in catalogue if q.name in names]
    queries_mod = _need("compact_kg.queries", "run_query")
    store = raw_store(dataset_files(spec["data"]))
    samples = dataset_samples(spec["data"])
    repeat = int(spec.get("repeat", 3))
    out: dict[str, Any] = {"queries": {}, "triples": len(store)}
    for query in catalogue:
        try:
            params = _sample_params(query, samples)
        except NotAvailable as error:
            out["queries"][query.name] = {"available": False, "reason": str(error)}
            continue
        try:
            out["queries"][query.name] = _one_query(query, params, store, repeat, queries_mod)
        except Exception as error:  # a timeout or failure of one query is a result too
            out["queries"][query.name] = {"available": False,
                                          "reason": f"{type(error).__name__}: {error}"[:300]}
    return out


def _one_query(query: Any, params: dict[str, str], store: Any, repeat: int,
               queries_mod: Any) -> dict[str, Any]:
    text = queries_mod.bind_text(query, queries_mod.bind_parameters(query, params))
    ours, inproc, base, terms = [], [], [], []
    start = time.perf_counter()
    len(queries_mod.run_query(query, store=store, params=params))
    first = time.perf_counter() - start
    rows = ours_rows = None
    # The sides alternate, run by run, as a query meets other work in real use. At 10^5 a
    # large query runs 20-25% faster right after another side's run and the side after it
    # slower by as much (`python -m bench.run_order` times the sides in blocks as well).
    for _ in range(repeat):
        start = time.perf_counter()
        ours_rows = len(queries_mod.run_query(query, store=store, params=params))
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        _ = queries_mod.run_query(query, store=store, params=params).rows
        terms.append(time.perf_counter() - start)
        start = time.perf_counter()
        len(queries_mod.run_query(query, store=store, params=params, timeout=None))
        inproc.append(time.perf_counter() - start)
        start = time.perf_counter()
        rows = _materialise(store.query(text))
        base.append(time.perf_counter() - start)
    result = queries_mod.run_query(query, store=store, params=params)
    if result.kind == "ask":
        ours_rows = int(bool(result.boolean))
    return {
        "ours": statistics.median(ours), "ours_runs": ours, "ours_first": first,
        "ours_in_process": statistics.median(inproc),
        "ours_terms": statistics.median(terms),
        "baseline": statistics.median(base), "baseline_runs": base,
        "rows": rows, "ours_rows": ours_rows, "params": params,
    }


# ---------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------


def _local(term: Any) -> str:
    text = "" if term is None else str(term)
    for mark in ("#", ":", "/"):
        text = text.rsplit(mark, 1)[-1]
    return text


def result_keys(report_graph: Any) -> list[list[str]]:
    """The top-level results of a pySHACL report graph as sorted (focus, shape, severity,
    constraint component) keys, one per result (a multiset)."""
    from rdflib.namespace import RDF, SH

    keys = []
    for report in report_graph.subjects(RDF.type, SH.ValidationReport):
        for result in report_graph.objects(report, SH.result):
            keys.append([str(report_graph.value(result, SH.focusNode)),
                         str(report_graph.value(result, SH.sourceShape)),
                         _local(report_graph.value(result, SH.resultSeverity)),
                         _local(report_graph.value(result, SH.sourceConstraintComponent))])
    return sorted(keys)


def report_keys(report: Any) -> list[list[str]]:
    """The same keys for the SHACL results of a compact_kg ValidationReport (the rows of the
    ``queries/*-violation.rq`` checks have no SHACL counterpart: see :func:`query_rows`)."""
    return sorted([r.focus, r.shape, r.severity, _local(r.component)]
                  for r in report.results if r.component)


def query_rows(report: Any) -> int:
    """How many results of a ValidationReport come from the ``-violation`` queries."""
    return sum(1 for r in report.results if not r.component)


def project(spec: dict[str, Any]) -> Any:
    """ProjectPaths of the generated checkout whose data folder is ``spec['data']``."""
    from compact_kg.paths import ProjectPaths

    return ProjectPaths(Path(spec["data"]).parent)


def _rdflib_graph(files: list[Path]) -> Any:
    from rdflib import Graph

    graph = Graph()
    for path in files:
        graph.parse(data=path.read_bytes(), format="turtle")
    return graph


def baseline_pyshacl(files: list[Path]) -> tuple[bool, Any]:
    """Raw pySHACL, as its README shows: one rdflib graph of everything, the shapes graph,
    and the options compact_kg.validate uses (no inference, no SHACL-AF)."""
    import pyshacl
    from rdflib import Graph

    shapes = Graph().parse(data=shapes_file().read_bytes(), format="turtle")
    data = _rdflib_graph(files)
    conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none",
                                           advanced=False, allow_warnings=True,
                                           allow_infos=True, do_owl_imports=False)
    return bool(conforms), report


def op_validate_whole(spec: dict[str, Any]) -> dict[str, Any]:
    shapes_file()
    if spec["side"] == "baseline":
        import pyshacl  # noqa: F401

        files = dataset_files(spec["data"])
        start = time.perf_counter()
        conforms, report = baseline_pyshacl(files)
        seconds = time.perf_counter() - start
        return {"seconds": seconds, "conforms": conforms, "results": result_keys(report)}
    paths = project(spec)
    if spec.get("variant") == "parallel":
        scale = _need("compact_kg.scale", "validate_parallel")
        _need("compact_kg.validate", "validate_dataset")
        start = time.perf_counter()
        report = scale.validate_parallel(paths, processes=int(spec.get("processes", 2)))
    elif spec.get("variant") == "plain":  # one pySHACL run over everything (the reference)
        validate = _need("compact_kg.validate", "validate_dataset")
        start = time.perf_counter()
        report = validate.validate_dataset(paths, plain=True)
    else:
        validate = _need("compact_kg.validate", "validate_dataset")
        start = time.perf_counter()
        report = validate.validate_dataset(paths)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "conforms": bool(report.conforms),
            "results": report_keys(report), "query_rows": query_rows(report)}


def op_validate_submission(spec: dict[str, Any]) -> dict[str, Any]:
    shapes_file()
    submission = Path(spec["submission"])
    if spec["side"] == "baseline":
        import pyshacl  # noqa: F401

        files = dataset_files(spec["data"])
        start = time.perf_counter()
        _conforms, report = baseline_pyshacl([*files, submission])
        seconds = time.perf_counter() - start
        subjects = _subjects(submission)
        keys = [k for k in result_keys(report) if k[0] in subjects]
        return {"seconds": seconds, "conforms": not any(k[2] == "Violation" for k in keys),
                "results": keys}
    paths = project(spec)
    extra: dict[str, Any] = {}
    if spec.get("variant") == "indexed":
        scale = _need("compact_kg.scale", "validate_submission", "DatasetIndex")
        start = time.perf_counter()
        index = scale.DatasetIndex.load(paths)
        extra["index_seconds"] = time.perf_counter() - start
        start = time.perf_counter()
        scale.validate_submission([submission], index, paths)  # first check reads neighbours
        extra["first_check_seconds"] = time.perf_counter() - start
        start = time.perf_counter()
        report = scale.validate_submission([submission], index, paths)
    elif spec.get("variant") == "plain":
        validate = _need("compact_kg.validate", "validate_files")
        start = time.perf_counter()
        report = validate.validate_files([submission], paths)
    else:
        return _validate_submission_cli(spec, paths, submission)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "conforms": bool(report.conforms),
            "results": report_keys(report), "query_rows": query_rows(report), **extra}


_CLI_RUNS = 5


def _validate_submission_cli(spec: dict[str, Any], paths: Any, submission: Path
                             ) -> dict[str, Any]:
    """`compact-kg validate -q SUBMISSION` as a user runs it, with a warm dataset index.

    The index is kept where a user keeps it, across runs: $COMPACT_KG_CACHE if set, else
    bench/out/cache. When this data folder has no index yet, the first check builds it:
    ``cold_seconds`` (else None: it was already warm). ``seconds`` is the median of
    :data:`_CLI_RUNS` warm commands (``cli_runs``), interpreter start and imports included;
    ``library_seconds`` the same check in this
    process (modules already imported), whose report gives the results compared.
    """
    import os
    import subprocess
    import sys

    submissions = _need("compact_kg.submissions", "validate_submissions")
    index = _need("compact_kg.index", "dataset_context", "index_location")
    cache = Path(os.environ.get("COMPACT_KG_CACHE") or ROOT / "bench" / "out" / "cache")
    data_dir = paths.data_dir.resolve()
    extra: dict[str, Any] = {"cache": str(cache), "cold_seconds": None}
    if not (index.index_location(cache, data_dir) / "manifest").is_file():
        start = time.perf_counter()
        submissions.validate_submissions([submission], paths, cache_dir=cache)
        extra["cold_seconds"] = time.perf_counter() - start
    script = Path(sys.executable).with_name("compact-kg")
    command = ([str(script)] if script.is_file() else
               [sys.executable, "-c", "from compact_kg.cli import main; main()"])
    env = {**os.environ, "COMPACT_KG_HOME": str(paths.root), "COMPACT_KG_CACHE": str(cache)}
    runs = []
    for _ in range(_CLI_RUNS):  # a command takes ~0.5 s: the median of a few, per child
        start = time.perf_counter()
        done = subprocess.run([*command, "validate", "-q", str(submission)], env=env,
                              capture_output=True, text=True, check=False)
        runs.append(time.perf_counter() - start)
        if done.returncode not in (0, 1):
            raise RuntimeError(f"compact-kg validate failed: {done.stderr.strip()}")
    seconds = statistics.median(runs)
    extra["cli_runs"] = runs
    start = time.perf_counter()
    checks = submissions.validate_submissions([submission], paths, cache_dir=cache)
    extra["library_seconds"] = time.perf_counter() - start
    report = checks[0].report
    return {"seconds": seconds, "conforms": bool(report.conforms),
            "results": report_keys(report), "query_rows": query_rows(report), **extra}


def _subjects(path: Path) -> set[str]:
    import pyoxigraph

    return {q.subject.value for q in pyoxigraph.parse(path=str(path),
                                                       format=pyoxigraph.RdfFormat.TURTLE)
            if isinstance(q.subject, pyoxigraph.NamedNode)}


# ---------------------------------------------------------------------------------------
# Publish
# ---------------------------------------------------------------------------------------


def op_publish(spec: dict[str, Any]) -> dict[str, Any]:
    publish = _need("compact_kg.publish", "publish_site")
    out = Path(spec["out"]) / "site"
    start = time.perf_counter()
    publish.publish_site(out, paths=project(spec))
    seconds = time.perf_counter() - start
    pages = sum(1 for _ in out.rglob("*") if _.is_file())
    return {"seconds": seconds, "files_written": pages}
