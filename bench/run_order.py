"""Does a query's time depend on what ran just before it? One saved query, timed in blocks.

``python -m bench.run_order --size 100000 --query measurement-without-source-violation``
loads one generated dataset (see :func:`bench.run.dataset`) into a pyoxigraph store and times
the query, bound as ``compact-kg query`` binds it, several ways on that one store:

* each side alone, ``--repeat`` times in a row: raw ``store.query`` read to the end, our
  ``run_query`` in the store's persistent worker, and our ``run_query`` in this process;
* two sides alternating, ``--repeat`` pairs: raw then in-process, and worker then raw.

The main benchmark (``bench.ops._one_query``) alternates the sides run by run; this shows
whether a ratio there comes from our code or from the order the runs were made in. It prints
a Markdown table of medians (the figures behind finding 4 of ``docs/benchmarks.md``).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from bench import ops, run


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _median_ms(runs: list[float]) -> str:
    return f"{statistics.median(runs) * 1000:.1f} ms"


def _runs_ms(runs: list[float]) -> str:
    return ", ".join(f"{value * 1000:.0f}" for value in runs)


def order_table(data: Path, name: str, repeat: int) -> str:
    """The Markdown table for saved query ``name`` on the generated ``data`` folder."""
    from compact_kg.queries import bind_parameters, bind_text, find_query, run_query

    query = find_query(name, Path(run.ROOT) / "queries")
    store = ops.raw_store(ops.dataset_files(data))
    params = ops._sample_params(query, ops.dataset_samples(data))
    text = bind_text(query, bind_parameters(query, params))

    def raw() -> object:
        return ops._materialise(store.query(text))

    def worker() -> object:
        return len(run_query(query, store=store, params=params))

    def in_process() -> object:
        return len(run_query(query, store=store, params=params, timeout=None))

    worker()  # forks the store's worker and proves the text, as the main benchmark does
    blocks: list[tuple[str, list[float]]] = []
    for label, action in (("raw, in a row", raw), ("ours in the worker, in a row", worker),
                          ("ours in this process, in a row", in_process)):
        blocks.append((label, [_timed(action) for _ in range(repeat)]))
    for (first_name, first), (second_name, second) in (
            (("ours in this process", in_process), ("raw", raw)),
            (("ours in the worker", worker), ("raw", raw))):
        first_runs: list[float] = []
        second_runs: list[float] = []
        for _ in range(repeat):
            first_runs.append(_timed(first))
            second_runs.append(_timed(second))
        blocks.append((f"{first_name}, alternating with {second_name}", first_runs))
        blocks.append((f"{second_name}, alternating with {first_name}", second_runs))
    lines = [f"`{query.name}`, {len(store):,} triples; {repeat} runs per block", "",
             "| how | median | runs (ms) |", "|---|---|---|"]
    lines += [f"| {label} | {_median_ms(runs)} | {_runs_ms(runs)} |" for label, runs in blocks]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000, help="case studies (1000)")
    parser.add_argument("--query", default="measurement-without-source-violation",
                        help="saved query name (measurement-without-source-violation)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per block (5)")
    args = parser.parse_args(argv)
    data = run.dataset(args.size, log=lambda _message: None)
    print(f"{args.size} case studies: " + order_table(data, args.query, args.repeat))


if __name__ == "__main__":
    main()
