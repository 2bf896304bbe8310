"""Ways to keep compact-kg fast on large datasets (10^4 to 10^5 case studies).

Each function here is an alternative path to a plain one elsewhere in the library, with the
same results, measured in ``docs/benchmarks.md``:

``cached_store(files, cache_dir)``
    :func:`compact_kg.store.load_store` parses every Turtle file on every call. This keeps an
    on-disk (RocksDB) pyoxigraph store per distinct set of input files, keyed by a hash of their
    names and contents, so a repeated command opens it in a fraction of a second instead of
    reparsing millions of triples. The store is opened read-only. It must not be shared with a
    forked child (see :mod:`compact_kg._deadline`): query it in-process (``timeout=None``) or
    from a worker process that opens it itself.

``validate_parallel(paths, processes=2)``
    :func:`compact_kg.validate.validate_dataset` runs pySHACL once over one rdflib graph of
    the whole dataset, whose cost grows faster than the dataset. This loads the dataset once
    into a pyoxigraph store, splits the data files into chunks and validates each chunk the
    way :func:`compact_kg.validate.validate_in_context` validates a submission: the chunk's
    own triples, plus what lies within ``CONTEXT_HOPS`` links of them (taken from the store),
    plus the ontology; only results about the chunk's own subjects are kept. The chunks run
    in a pool of forked processes. Because the shapes look at most ``CONTEXT_HOPS`` links
    away from a focus node, and every subject of the dataset is a subject of some chunk, the
    union of the chunks' results is the whole-graph result; ``tests/test_scale.py`` checks
    that on data with planted mistakes. The ``queries/*-violation.rq`` checks run once over
    the whole store.

``validate_screened(paths)``
    What :func:`compact_kg.validate.validate_dataset` runs from 50 data files on. An
    Oxigraph store of everything (literals kept as written) is asked, by SPARQL compiled
    from the shapes (:mod:`compact_kg.screen`), which focus nodes may fail a shape; pySHACL
    then validates only the files describing those nodes, as a chunk of
    ``validate_parallel``. Nodes that pass the screen have no results on the plain path
    either, so the report is the same; ``tests/test_validate_screened.py`` checks that on
    every shape fixture. The two halves of the shapes and the violation queries use both cores.

``validate_submission(files, store, paths)``
    :func:`compact_kg.validate.validate_files` reads the whole dataset into rdflib for each
    submission. This takes the context from an already loaded store (for example
    :func:`cached_store`), so one check costs about the same at 10^3 and 10^5 case studies.

``QueryWorker(store).run(query, params)``
    Kept for compatibility: :func:`compact_kg.queries.run_query` now has the same fast path
    (one persistent worker per store, parameter placements proved once); this forks its
    worker up front.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph

from compact_kg.errors import InputError
from compact_kg.paths import ProjectPaths, default_paths
from compact_kg.rdfio import read_turtle, read_turtle_files
from compact_kg.store import dataset_files, load_store

if TYPE_CHECKING:
    from rdflib import Graph

    from compact_kg.validate import ValidationReport, ValidationResult

__all__ = ["DatasetIndex", "QueryWorker", "cached_store", "files_fingerprint",
           "neighbourhood_suffices", "validate_parallel", "validate_screened",
           "validate_submission"]

_CHUNK = 1 << 20
_COMPLETE = "complete"
_FILES_PER_BATCH = 1000


def files_fingerprint(files: Iterable[Path]) -> str:
    """A hash of the files' paths (as given, in order) and their contents."""
    digest = hashlib.blake2b(digest_size=16)
    for path in files:
        name = str(path).encode("utf-8")
        digest.update(len(name).to_bytes(4, "big") + name)
        try:
            with Path(path).open("rb") as handle:
                while chunk := handle.read(_CHUNK):
                    digest.update(chunk)
        except OSError as error:
            raise InputError(f"cannot read the file ({error.strerror or error})", path=path,
                             hint="Check that it exists and is readable") from None
        digest.update(b"\0")
    return digest.hexdigest()


def cached_store(
    files: Sequence[Path],
    cache_dir: str | Path,
    *,
    keep: int = 2,
    progress: Callable[[int, int], None] | None = None,
) -> pyoxigraph.Store:
    """A read-only on-disk store holding ``files``, built once per distinct set of files.

    The store for the files' fingerprint is looked up under ``cache_dir``; when missing it is
    built (the files are first checked by :func:`~compact_kg.store.load_store`'s parser, so a
    syntax error raises the same :class:`InputError`) and the oldest stores beyond ``keep``
    are deleted. ``progress(done, total)`` reports files loaded while building.
    """
    files = [Path(f) for f in files]
    root = Path(cache_dir)
    key = files_fingerprint(files)
    location = root / key
    if not (location / _COMPLETE).is_file():
        root.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=root))
        try:
            _build(files, building, progress)
            (building / _COMPLETE).write_text("\n".join(map(str, files)), encoding="utf-8")
            if location.exists():  # a concurrent build finished first
                shutil.rmtree(building)
            else:
                building.replace(location)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
        _prune(root, keep, location)
    return pyoxigraph.Store.read_only(str(location))


def _build(files: list[Path], location: Path,
           progress: Callable[[int, int], None] | None) -> None:
    store = pyoxigraph.Store(str(location))
    total = len(files)
    for start in range(0, total, _FILES_PER_BATCH):
        # Parse with load_store, so that errors read exactly as on the plain path, a batch
        # at a time into memory; then copy the triples to disk.
        memory = load_store(files[start:start + _FILES_PER_BATCH])
        store.bulk_extend(memory.quads_for_pattern(None, None, None, None))
        if progress is not None:
            progress(min(start + _FILES_PER_BATCH, total), total)
    store.flush()
    store.optimize()
    del store


def _prune(root: Path, keep: int, current: Path) -> None:
    stores = sorted((p for p in root.iterdir() if p.is_dir() and (p / _COMPLETE).is_file()
                     and p != current), key=lambda p: (p / _COMPLETE).stat().st_mtime,
                    reverse=True)
    for old in stores[max(0, keep - 1):]:
        shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------------------------------
# Partitioned validation
# ---------------------------------------------------------------------------------------

#: What forked workers share with the parent: set before the pool starts, read in workers.
_SHARED: dict[str, Any] = {}


def _store_of(files: Sequence[Path]) -> pyoxigraph.Store:
    """All ``files`` in one in-memory store, each file in a named graph named by its index.

    The store only says which files describe a resource: its literals are not used, since
    Oxigraph stores numbers canonically ("3.0"^^xsd:decimal comes back as "3", and
    xsd:positiveInteger as xsd:integer). A bad file raises read_turtle's InputError.
    """

    store = pyoxigraph.Store()
    for index, path in enumerate(files):
        try:
            store.bulk_load(path=str(path), format=pyoxigraph.RdfFormat.TURTLE,
                            to_graph=_file_graph(index))
        except (SyntaxError, OSError, ValueError):
            read_turtle(Path(path))  # raises the same error as the plain path
            raise
    return store


def _file_graph(index: int) -> pyoxigraph.NamedNode:
    return pyoxigraph.NamedNode(f"urn:compact-kg:file:{index}")


class DatasetIndex:
    """Which file of the dataset describes which resource, and those files parsed exactly
    as the plain path parses them (on demand, then kept).

    Build it once with :meth:`load` and reuse it for many :func:`validate_submission` calls.
    """

    def __init__(self, files: Sequence[Path], store: pyoxigraph.Store) -> None:
        self.files = list(files)
        self.store = store
        self._parsed: dict[int, Graph] = {}

    @classmethod
    def load(cls, paths: ProjectPaths | None = None) -> DatasetIndex:
        """Index every data file of ``paths`` (default: this checkout)."""
        files = (paths or default_paths()).data_files()
        return cls(files, _store_of(files))

    def graph(self, index: int) -> Graph:
        if index not in self._parsed:

            self._parsed[index] = read_turtle(self.files[index])
        return self._parsed[index]

    def describing(self, iri: str) -> set[int]:
        """Indexes of the files that have ``iri`` as a subject."""
        quads = self.store.quads_for_pattern(pyoxigraph.NamedNode(iri), None, None, None)
        return {int(q.graph_name.value.rsplit(":", 1)[1]) for q in quads}


def _neighbourhood(files: DatasetIndex, seeds: Iterable[Any], hops: int) -> Graph:
    """Triples about the IRIs in ``seeds`` and what they link to, ``hops`` deep, read from
    the files that describe them (so literals are exactly as written).

    Mirrors ``compact_kg.validate._neighbourhood``, with the dataset's files as the context.
    """
    from rdflib import Graph, Literal, URIRef

    found = Graph()
    seen: set[URIRef] = set()
    frontier = {n for n in seeds if isinstance(n, URIRef)}
    for _ in range(hops):
        following: set[URIRef] = set()
        for node in frontier - seen:
            seen.add(node)
            for index in files.describing(str(node)):
                for triple in files.graph(index).triples((node, None, None)):
                    found.add(triple)
                    if isinstance(triple[2], URIRef) and not isinstance(triple[2], Literal):
                        following.add(triple[2])
        frontier = following
    return found


def _check_chunk(own: Graph, files: DatasetIndex, shapes: Graph,
                 model: Graph) -> list[ValidationResult]:
    """pySHACL on ``own`` + its neighbourhood in the dataset + the model; results about
    ``own``'s subjects only."""
    from compact_kg import validate

    seeds = set(own.subjects()) | set(own.objects())
    merged = validate._merge(own, _neighbourhood(files, seeds, validate.CONTEXT_HOPS), model)
    results, _report = validate._run_shacl(merged, shapes)
    subjects = {str(s) for s in own.subjects()}
    kept = [r for r in results if r.focus in subjects]
    for result in kept:
        result.node = None  # points into a report graph that stays in this process
    return kept


def _run_chunk(index: int) -> list[ValidationResult]:
    """Worker body: validate chunk ``index`` of ``_SHARED['chunks']`` (None: the model)."""
    from compact_kg import validate

    files: DatasetIndex = _SHARED["files"]
    chunk = _SHARED["chunks"][index]
    own = _SHARED["model"] if chunk is None else validate._merge(*map(files.graph, chunk))
    return _check_chunk(own, files, _SHARED["shapes"], _SHARED["model"])


def _chunks(count: int, processes: int, per_chunk: int | None) -> list[list[int]]:
    """File indexes ``0..count-1`` in consecutive chunks."""
    if per_chunk is None:
        # One chunk per process while that stays under 5,000 files (an rdflib graph of a few
        # hundred MB); every extra chunk pays pySHACL's fixed cost and its neighbourhood again
        # (at 10^3 case studies: 2 chunks 9.6 s, 8 chunks 14.2 s).
        per_chunk = max(100, min(5000, -(-count // processes)))
    return [list(range(i, min(i + per_chunk, count))) for i in range(0, count, per_chunk)]


class _StoreLabels:
    """Just enough of an rdflib Graph over a store for ``validate._label``: ``objects()``."""

    def __init__(self, store: pyoxigraph.Store) -> None:
        self._store = store

    def objects(self, subject: Any, predicate: Any) -> Iterator[Any]:
        from rdflib import URIRef

        if not isinstance(subject, URIRef):
            return iter(())
        quads = self._store.quads_for_pattern(pyoxigraph.NamedNode(str(subject)),
                                              pyoxigraph.NamedNode(str(predicate)), None, None)
        from compact_kg.results import term_from_oxigraph

        return (term_from_oxigraph(q.object) for q in quads)


def _summary(store: pyoxigraph.Store, model: Graph) -> dict[str, int]:
    """``compact_kg.validate._summarise`` computed on the store (the data, not the model)."""
    from compact_kg import validate

    summary = {}
    for key, cls, _one, _many in validate._SUMMARY:
        classes = " ".join(f"<{c}>" for c in validate._subclasses([model], cls))
        rows = store.query("SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { VALUES ?c { "
                           + classes + " } GRAPH ?file { ?s a ?c } }")
        summary[key] = int(next(iter(rows))["n"].value)
    return summary


def validate_parallel(
    paths: ProjectPaths | None = None,
    *,
    processes: int = 2,
    files_per_chunk: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ValidationReport:
    """Validate the whole dataset as :func:`compact_kg.validate.validate_dataset` does, with
    the same results, in chunks of files spread over ``processes`` forked workers.

    ``progress(done, total)`` counts chunks. The report has no pySHACL report graph; its
    results are sorted by :meth:`ValidationResult.sort_key`.

    :raises InputError: a file is not valid Turtle (the same message as the plain path).
    :raises QueryError: a violation query is malformed or refused.
    """
    from compact_kg import validate

    paths = paths or default_paths()
    model = validate.load_model(paths)
    shapes = validate.load_shapes(paths)
    files = paths.data_files()
    store = _store_of(files)
    chunks: list[list[int] | None] = [None, *_chunks(len(files), max(1, processes),
                                                     files_per_chunk)]
    _SHARED.update(files=DatasetIndex(files, store), shapes=shapes, model=model, chunks=chunks)
    results: list[ValidationResult] = []
    try:
        if processes <= 1:
            parts: Iterable[list[ValidationResult]] = map(_run_chunk, range(len(chunks)))
            results = _collect(parts, len(chunks), progress)
        else:
            context = multiprocessing.get_context("fork")
            with context.Pool(processes) as pool:
                parts = pool.imap_unordered(_run_chunk, range(len(chunks)))
                results = _collect(parts, len(chunks), progress)
    finally:
        _SHARED.clear()
    # A subject written in two chunks is checked in both, with the same neighbourhood.
    unique = {_identity(r): r for r in results}
    results = sorted(unique.values(), key=lambda r: (*r.sort_key(), r.shape))
    queries = validate.violation_query_files(paths)
    if queries:  # as validate_dataset runs them: on a store of the dataset's default graph
        plain = load_store(dataset_files(paths))
        results.extend(validate.run_violation_queries(
            plain, _StoreLabels(plain), queries))  # type: ignore[arg-type]
    return validate.ValidationReport(results=results, summary=_summary(store, model))


def _collect(parts: Iterable[list[ValidationResult]], total: int,
             progress: Callable[[int, int], None] | None) -> list[ValidationResult]:
    results: list[ValidationResult] = []
    for done, part in enumerate(parts, start=1):
        results.extend(part)
        if progress is not None:
            progress(done, total)
    return results


def _identity(result: ValidationResult) -> tuple[str | None, ...]:
    return (result.severity, result.shape, result.focus, result.path, result.value,
            result.message, result.component)


def validate_submission(
    files: Sequence[Path],
    index: DatasetIndex,
    paths: ProjectPaths | None = None,
) -> ValidationReport:
    """Validate new files with the dataset in ``index`` as context, as
    :func:`compact_kg.validate.validate_files` does for files that are not in the dataset.

    Only the files that describe resources within ``CONTEXT_HOPS`` links of the submission are
    read (once per index), so the cost follows the submission, not the dataset. The
    ``queries/*-violation.rq`` checks run over the submission, that neighbourhood and the
    model: exact for checks about the submitted resources and their links, not for checks
    across the whole dataset.
    """
    from compact_kg import validate

    paths = paths or default_paths()
    given = [Path(f) for f in files]
    for file in given:
        if not file.is_file():
            raise InputError("no such file", path=file, hint="Check the path.")
    model = validate.load_model(paths)
    shapes = validate.load_shapes(paths)
    own = read_turtle_files(given)
    results = _check_chunk(own, index, shapes, model)
    queries = validate.violation_query_files(paths)
    if queries:
        seeds = set(own.subjects()) | set(own.objects())
        merged = validate._merge(own, _neighbourhood(index, seeds, validate.CONTEXT_HOPS),
                                 model)
        local = pyoxigraph.Store()
        local.extend(pyoxigraph.Quad(*map(_to_oxigraph, triple)) for triple in merged)
        subjects = {str(s) for s in own.subjects()}
        results.extend(r for r in validate.run_violation_queries(local, merged, queries)
                       if r.focus in subjects)
    return validate.ValidationReport(results=results,
                                     summary=validate._summarise(own, model),
                                     scope="The data in the given files")


def _to_oxigraph(term: Any) -> Any:
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, URIRef):
        return pyoxigraph.NamedNode(str(term))
    if isinstance(term, BNode):
        return pyoxigraph.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return pyoxigraph.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return pyoxigraph.Literal(str(term), datatype=pyoxigraph.NamedNode(str(term.datatype)))
        return pyoxigraph.Literal(str(term))
    raise TypeError(f"unsupported term {term!r}")


# ---------------------------------------------------------------------------------------
# Saved queries: one long-lived worker instead of a fork per query
# ---------------------------------------------------------------------------------------


class QueryWorker:
    """Runs saved queries on an in-memory store like :func:`compact_kg.queries.run_query`.

    Now a thin wrapper: ``run_query`` itself keeps a persistent worker per store and proves
    each parameter placement once (:class:`compact_kg.queries.QueryRunner`). This forks its
    own worker up front; fork it before starting threads.
    """

    def __init__(self, store: pyoxigraph.Store, *, memory_limit: int | None = None) -> None:
        from compact_kg.queries import QueryRunner

        self._runner = QueryRunner(store, memory_limit=memory_limit).start()

    def bound_text(self, query: Any, params: Any = None) -> str:
        """``bind_text(query, bind_parameters(query, params))``."""
        from compact_kg import queries

        return queries.bind_text(query, queries.bind_parameters(query, params))

    def run(self, query: Any, params: Any = None, timeout: float | None = None) -> Any:
        """Run ``query`` (a SavedQuery or text) with ``params``; a QueryResult."""
        from compact_kg.queries import DEFAULT_TIMEOUT

        return self._runner.run(query, params, DEFAULT_TIMEOUT if timeout is None else timeout)

    def close(self) -> None:
        """Stop the worker."""
        self._runner.close()

    def __enter__(self) -> QueryWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------------------------
# Screened validation: Oxigraph finds the candidates, pySHACL checks them
# ---------------------------------------------------------------------------------------

#: Above this many files to confirm, the confirmation runs in chunks over worker processes.
_SCREEN_FILES_IN_PROCESS = 400


def neighbourhood_suffices(shapes: Graph) -> bool:
    """Whether the shapes only look along outgoing links from a focus node, so that a file
    with its ``CONTEXT_HOPS`` neighbourhood is checked exactly as in the whole graph."""
    from rdflib.namespace import SH

    return not any(True for _ in shapes.triples((None, SH.inversePath, None))) and not any(
        True for _ in shapes.triples((None, SH.targetObjectsOf, None)))


def validate_screened(
    paths: ProjectPaths | None = None, *, processes: int = 2, shapes: Graph | None = None
) -> ValidationReport:
    """Validate the whole dataset as :func:`compact_kg.validate.validate_dataset` does on its
    plain path, with the same results, by screening first (:mod:`compact_kg.screen`).

    An Oxigraph store of the ontology, vocabularies and data (literals as written) is asked
    which focus nodes may fail a shape; pySHACL then validates only the files that describe
    those nodes, each with its neighbourhood, as :func:`validate_parallel` validates a chunk,
    and the results about those files' subjects are kept. A node that passes the screen has no
    result on the plain path either. The ``queries/*-violation.rq`` checks run as on the plain
    path. Many files to confirm are spread over ``processes`` forked workers.

    :raises InputError: a file is not valid Turtle (the same message as the plain path).
    :raises QueryError: a violation query is malformed or refused.
    """
    from compact_kg import validate
    from compact_kg.screen import EncodedDataset, candidates, typed_literals

    paths = paths or default_paths()
    model = validate.load_model(paths)
    shapes = validate.load_shapes(paths) if shapes is None else shapes
    model_files = paths.model_files()
    data_files = paths.data_files()
    queries = validate.violation_query_files(paths)
    context = multiprocessing.get_context("fork")
    with contextlib.ExitStack() as stack:
        violations = None
        if queries and processes > 1:  # forked before the big load, on the other core
            pool = stack.enter_context(context.Pool(1))
            violations = pool.apply_async(_violation_results, (paths, queries))
        dataset = EncodedDataset([*model_files, *data_files])
        if processes > 1:
            typed = typed_literals(dataset)  # once, before the fork: both halves need it
            _SHARED.update(dataset=dataset, shapes=shapes, typed=typed)
            try:
                with context.Pool(1) as pool:
                    other = pool.apply_async(_screen_shard, (1, 2))
                    flagged = candidates(shapes, dataset, shard=(0, 2), typed=typed)
                    flagged |= {pyoxigraph.NamedNode(v) if iri else pyoxigraph.BlankNode(v)
                                for iri, v in other.get()}
            finally:
                _SHARED.clear()
        else:
            flagged = candidates(shapes, dataset)
        query_results = (violations.get() if violations is not None
                         else _violation_results(paths, queries) if queries else [])
    first_data = len(model_files)
    files = DatasetIndex(dataset.files, dataset.store)
    described: set[int] = set()
    for term in flagged:
        described.update(int(q.graph_name.value.rsplit(":", 1)[1])
                         for q in dataset.store.quads_for_pattern(term, None, None, None))
    chunk = sorted(i for i in described if i >= first_data)
    chunks: list[list[int] | None] = [None] if any(i < first_data for i in described) else []
    report_graph = None
    results: list[ValidationResult] = []
    if len(chunk) <= _SCREEN_FILES_IN_PROCESS or processes <= 1:
        if chunk:
            own = validate._merge(*map(files.graph, chunk))
            seeds = set(own.subjects()) | set(own.objects())
            merged = validate._merge(own, _neighbourhood(files, seeds, validate.CONTEXT_HOPS),
                                     model)
            results, report_graph = validate._run_shacl(merged, shapes)
            subjects = {str(s) for s in own.subjects()}
            results = [r for r in results if r.focus in subjects]
    else:
        chunks += _chunks_of(chunk, processes)
    if chunks:
        _SHARED.update(files=files, shapes=shapes, model=model, chunks=chunks)
        try:
            if processes <= 1:
                parts: Iterable[list[ValidationResult]] = map(_run_chunk, range(len(chunks)))
                extra = _collect(parts, len(chunks), None)
            else:
                with multiprocessing.get_context("fork").Pool(processes) as pool:
                    extra = _collect(pool.imap_unordered(_run_chunk, range(len(chunks))),
                                     len(chunks), None)
        finally:
            _SHARED.clear()
        if extra:
            report_graph = None  # results from workers point into no graph here
            for result in results:
                result.node = None
        results = list({_identity(r): r for r in [*results, *extra]}.values())
    results.extend(query_results)
    from compact_kg.literals import encoded_results

    results.extend(encoded_results(dataset, first_data, typed if processes > 1 else None))
    return validate.ValidationReport(results=results,
                                     summary=_screened_summary(dataset, model, first_data),
                                     report_graph=report_graph)


def _screen_shard(k: int, n: int) -> list[tuple[bool, str]]:
    """Worker body: screen shard ``k`` of ``n`` of ``_SHARED['dataset']``."""
    from compact_kg.screen import candidates

    found = candidates(_SHARED["shapes"], _SHARED["dataset"], shard=(k, n),
                       typed=_SHARED["typed"])
    return [(isinstance(t, pyoxigraph.NamedNode), t.value) for t in found]


def _violation_results(paths: ProjectPaths, queries: list[Path]) -> list[ValidationResult]:
    """The ``queries/*-violation.rq`` checks as validate_dataset runs them: on a store of the
    dataset's default graph."""
    from compact_kg import validate

    plain = load_store(dataset_files(paths))
    return validate.run_violation_queries(plain, _StoreLabels(plain),  # type: ignore[arg-type]
                                          queries)


def _chunks_of(indexes: list[int], processes: int) -> list[list[int] | None]:
    per_chunk = max(100, min(5000, -(-len(indexes) // processes)))
    return [indexes[i:i + per_chunk] for i in range(0, len(indexes), per_chunk)]


def _screened_summary(dataset: Any, model: Graph, first_data: int) -> dict[str, int]:
    """``compact_kg.validate._summarise`` on the data files of an EncodedDataset."""
    from compact_kg import validate
    from compact_kg.screen import _graph

    model_graphs = ", ".join(str(_graph(i)) for i in range(first_data)) or "<urn:none>"
    summary = {}
    for key, cls, _one, _many in validate._SUMMARY:
        rows = dataset.store.query(
            "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?c <http://www.w3.org/2000/01/rdf-schema"
            f"#subClassOf>* <{cls}> . GRAPH ?file {{ ?s a ?c }} FILTER (?file NOT IN "
            f"({model_graphs})) }}", use_default_graph_as_union=True)
        summary[key] = int(next(iter(rows))["n"].value)
    return summary
