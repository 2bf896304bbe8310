"""Which embedded store? rdflib's in-memory graph against pyoxigraph, on the same data.

``python -m bench.store_choice --size 1000`` loads one generated dataset (see
:func:`bench.run.dataset`) into an rdflib ``Graph`` and into a ``pyoxigraph.Store``, then runs
every saved query, bound as ``compact-kg query`` binds it, on both, reading every row. Each
rdflib query runs in a forked child stopped after ``--cap`` seconds, since rdflib's SPARQL
engine cannot be interrupted (its times include that fork, a few milliseconds). It prints
a Markdown table: the figures behind the store chosen in ``docs/benchmarks.md`` ("How each
operation stays fast", "The store").
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from bench import ops, run


def _time(action: Any, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000, help="case studies (1000)")
    parser.add_argument("--cap", type=float, default=60.0,
                        help="seconds before an rdflib query is stopped (60)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per query (3)")
    args = parser.parse_args(argv)

    import pyoxigraph
    from rdflib import Graph

    from compact_kg._deadline import DeadlinePassed, run_with_deadline
    from compact_kg.queries import bind_parameters, bind_text

    data = run.dataset(args.size, log=lambda _message: None)
    files = ops.dataset_files(data)

    start = time.perf_counter()
    graph = Graph()
    for path in files:
        graph.parse(path, format="turtle")
    rdflib_load = time.perf_counter() - start
    start = time.perf_counter()
    store = pyoxigraph.Store()
    for path in files:
        store.bulk_load(path=str(path), format=pyoxigraph.RdfFormat.TURTLE)
    oxigraph_load = time.perf_counter() - start

    print(f"{args.size} case studies, {len(graph):,} triples; median of {args.repeat} runs; "
          f"rdflib capped at {args.cap:g} s per query\n")
    print("| operation | rdflib | pyoxigraph | rdflib / pyoxigraph |")
    print("|---|---|---|---|")
    print(f"| load (parse every file) | {rdflib_load:.2f} s | {oxigraph_load:.2f} s | "
          f"{rdflib_load / oxigraph_load:.1f}× |")
    samples = ops.dataset_samples(data)
    totals = [0.0, 0.0]
    capped = 0
    for query in ops._catalogue():
        text = bind_text(query, bind_parameters(query, ops._sample_params(query, samples)))
        ours = _time(lambda text=text: ops._materialise(store.query(text)), args.repeat)

        def rdflib_query(text: str = text) -> int:
            return sum(1 for _ in graph.query(text))

        try:
            theirs = _time(lambda: run_with_deadline(rdflib_query, args.cap), 1)
            shown = f"{theirs * 1000:.1f} ms"
            ratio = f"{theirs / ours:.0f}×"
        except DeadlinePassed:
            theirs, shown, ratio = args.cap, f"> {args.cap:g} s", f"> {args.cap / ours:.0f}×"
            capped += 1
        totals[0] += theirs
        totals[1] += ours
        print(f"| `{query.name}` | {shown} | {ours * 1000:.1f} ms | {ratio} |")
    more = f" (at least; {capped} capped)" if capped else ""
    print(f"| all saved queries | {totals[0]:.1f} s{more} | {totals[1]:.2f} s | "
          f"{totals[0] / totals[1]:.0f}×{more} |")


if __name__ == "__main__":
    main()
