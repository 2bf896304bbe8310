"""Run the benchmarks: ``python -m bench`` (or ``make bench``).

For each size (number of synthetic case studies) it generates a dataset once (cached under
``bench/data/``), then measures each operation on our library and on the raw library it
wraps, side by side in the same run, each measurement in a fresh child process so that its
peak resident memory (``os.wait4`` rusage) is its own. It writes ``bench/results/latest.json``
and the tables of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import generate as gen

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "benchmarks.md"
SEED = 1
VIOLATIONS = 4

ALL_OPS_ORDER = {op: i for i, op in enumerate(
    ("startup-help", "validate-booklet", "load", "load-cached", "query", "query-worker",
     "validate-whole",
     "validate-parallel", "validate-submission", "validate-submission-indexed", "publish",
     "serve"))}
ALL_OPS = ("startup", "load", "load-cached", "queries", "validate-whole",
           "validate-parallel", "validate-submission", "publish", "serve")


# ---------------------------------------------------------------------------------------
# Children
# ---------------------------------------------------------------------------------------


def run_child(spec: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
    """Run one ``bench.worker`` child; add its peak RSS (MB); cap it at ``timeout`` s."""
    with tempfile.TemporaryDirectory(prefix="ckg-bench-") as tmp:
        spec = {**spec, "result": str(Path(tmp) / "result.json")}
        spec_path = Path(tmp) / "spec.json"
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        proc = subprocess.Popen([sys.executable, "-m", "bench.worker", str(spec_path)],
                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        started = time.perf_counter()
        timed_out = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if timeout is not None and time.perf_counter() - started > timeout:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                timed_out = True
                break
            time.sleep(0.02)
        proc.returncode = os.waitstatus_to_exitcode(status)
        stderr = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
        peak_mb = usage.ru_maxrss / 1024
        if timed_out:
            return {"available": True, "timed_out": True, "seconds": None,
                    "timeout": timeout, "peak_mb": peak_mb}
        result_path = Path(spec["result"])
        if proc.returncode != 0 or not result_path.is_file():
            tail = stderr.strip().splitlines()[-1:] or ["no output"]
            return {"available": True, "error": tail[0][:300], "seconds": None,
                    "peak_mb": peak_mb}
        result = json.loads(result_path.read_text(encoding="utf-8"))
        result["peak_mb"] = peak_mb
        return result


def _median(values: list[float | None]) -> float | None:
    clean = [v for v in values if v is not None]
    return statistics.median(clean) if clean and len(clean) == len(values) else None


def _side(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Summarise repeated child runs of one side."""
    first = runs[0]
    if not first.get("available", True):
        return {"available": False, "reason": first.get("reason", "")}
    out: dict[str, Any] = {
        "available": True,
        "median": _median([r.get("seconds") for r in runs]),
        "runs": [r.get("seconds") for r in runs],
        "peak_mb": max(r.get("peak_mb", 0.0) for r in runs),
    }
    if any(r.get("timed_out") for r in runs):
        out["timed_out"] = True
        out["timeout"] = first.get("timeout")
    errors = [r["error"] for r in runs if r.get("error")]
    if errors:
        out["error"] = errors[0]
    return out


def _ratio(ours: dict[str, Any], base: dict[str, Any]) -> float | None:
    if ours.get("median") and base.get("median"):
        return ours["median"] / base["median"]
    return None


# ---------------------------------------------------------------------------------------
# Datasets
# ---------------------------------------------------------------------------------------


def dataset(size: int, violations: int = 0, *, log: Callable[[str], None] = print,
            base: Path = DATA, areas: int = gen.AREA_COUNT) -> Path:
    """The data folder of a generated dataset of ``size`` case studies, made once, reused.

    It is laid out as a checkout: ``ROOT/data`` (generated), with ``ROOT/ontology`` and
    ``ROOT/queries`` linked to this checkout's, so ``ProjectPaths(ROOT)`` works on it.
    """
    name = f"{size}" if not violations else f"{size}-v{violations}"
    root = base / name
    data = root / "data"
    marker = root / "generated.json"
    want = {"size": size, "seed": SEED, "violations": violations, "areas": areas,
            "generator": _generator_fingerprint()}
    if marker.is_file() and json.loads(marker.read_text()) == want:
        return data
    if root.exists():
        shutil.rmtree(root)
    start = time.perf_counter()
    gen.generate(data, size, SEED, violations=violations, areas=areas)
    link_checkout(root)
    marker.write_text(json.dumps(want), encoding="utf-8")
    log(f"generated {name} in {time.perf_counter() - start:.1f} s")
    return data


def link_checkout(root: Path) -> None:
    """Make ``root`` (holding a generated ``data/``) look like a checkout: link this
    checkout's ``ontology/`` and ``queries/`` beside it."""
    for link in ("ontology", "queries"):
        if not (root / link).exists():
            (root / link).symlink_to(ROOT / link, target_is_directory=True)


def _generator_fingerprint() -> str:
    import hashlib

    text = (ROOT / "bench" / "generate.py").read_bytes()
    vocab = b"".join(p.read_bytes() for p in sorted((ROOT / "ontology").rglob("*.ttl"))
                     if p.name != "shapes.ttl")
    return hashlib.sha256(text + vocab).hexdigest()[:16]


# ---------------------------------------------------------------------------------------
# Benchmarks
# ---------------------------------------------------------------------------------------


def bench_paired(op: str, size: int, data: Path, repeat: int, timeout: float | None,
                 extra: dict[str, Any] | None = None, *, baseline_timeout: float | None = None,
                 ours_only: bool = False) -> dict[str, Any]:
    """Run ``op`` ``repeat`` times on each side, alternating ours and baseline."""
    ours_runs, base_runs = [], []
    for _ in range(repeat):
        ours_runs.append(run_child({"op": op, "side": "ours", "data": str(data),
                                    **(extra or {})}, timeout))
        if not ours_only:
            base_runs.append(run_child({"op": op, "side": "baseline", "data": str(data),
                                        **(extra or {})}, baseline_timeout or timeout))
            if base_runs[-1].get("timed_out"):
                break  # one capped baseline run says enough; do not burn the budget
    ours = _side(ours_runs)
    row: dict[str, Any] = {"op": op, "size": size, "ours": ours}
    for key in ("triples", "files", "conforms", "results", "files_written", "index_seconds",
                "first_check_seconds", "query_rows", "cold_seconds", "library_seconds",
                "cli_runs"):
        if key in ours_runs[0]:
            row.setdefault("detail", {})[f"ours_{key}"] = ours_runs[0][key]
    if not ours_only:
        base = _side(base_runs)
        row["baseline"] = base
        row["ratio"] = _ratio(ours, base)
        for key in ("triples", "conforms", "results"):
            if key in base_runs[0]:
                row.setdefault("detail", {})[f"baseline_{key}"] = base_runs[0][key]
    return row


def bench_queries(size: int, data: Path, repeat: int, timeout: float,
                  names: list[str] | None = None) -> list[dict[str, Any]]:
    """Every saved query (or only those ``names``) on our side and raw pyoxigraph."""
    spec: dict[str, Any] = {"op": "queries", "side": "both", "data": str(data), "repeat": repeat}
    if names:
        spec["names"] = list(names)
    result = run_child(spec, timeout)
    if not result.get("available", True) or "queries" not in result:
        reason = result.get("reason") or result.get("error") or "timed out"
        return [{"op": "query", "size": size, "name": "*",
                 "ours": {"available": False, "reason": reason}}]
    rows = []
    for name, q in sorted(result["queries"].items()):
        if not q.get("available", True):
            rows.append({"op": "query", "size": size, "name": name,
                         "ours": {"available": False, "reason": q["reason"]}})
            continue
        ours = {"available": True, "median": q["ours"], "runs": q["ours_runs"],
                "in_process_median": q["ours_in_process"], "peak_mb": result["peak_mb"]}
        base = {"available": True, "median": q["baseline"], "runs": q["baseline_runs"],
                "peak_mb": result["peak_mb"]}
        detail = {"rows": q["rows"], "ours_rows": q["ours_rows"], "params": q["params"],
                  "terms_ratio": (q["ours_terms"] / q["baseline"]
                                  if q.get("ours_terms") and q["baseline"] else None),
                  "first_seconds": q.get("ours_first")}
        rows.append({"op": "query", "size": size, "name": name, "ours": ours,
                     "baseline": base, "ratio": _ratio(ours, base),
                     "in_process_ratio": (q["ours_in_process"] / q["baseline"]
                                          if q["baseline"] else None),
                     "detail": detail})
        if q.get("worker") is not None:
            pooled = {"available": True, "median": q["worker"], "runs": q["worker_runs"],
                      "peak_mb": result["peak_mb"]}
            rows.append({"op": "query-worker", "size": size, "name": name, "ours": pooled,
                         "baseline": base, "ratio": _ratio(pooled, base), "detail": detail})
    return rows


def bench_startup(repeat: int) -> list[dict[str, Any]]:
    exe = Path(sys.executable).with_name("compact-kg")

    def timed(cmd: list[str]) -> float:
        start = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
        return time.perf_counter() - start

    n = max(repeat, 5)
    rows = []
    if exe.is_file():
        ours = [timed([str(exe), "--help"]) for _ in range(n)]
        base = [timed([sys.executable, "-c", "pass"]) for _ in range(n)]
        o = {"available": True, "median": statistics.median(ours), "runs": ours}
        b = {"available": True, "median": statistics.median(base), "runs": base}
        rows.append({"op": "startup-help", "size": None, "ours": o, "baseline": b,
                     "ratio": _ratio(o, b)})
    else:
        rows.append({"op": "startup-help", "size": None,
                     "ours": {"available": False, "reason": f"{exe} not installed"}})
    booklet = ROOT / "data"
    has_validate = subprocess.run([str(exe), "validate", "--help"], cwd=ROOT,
                                  capture_output=True, check=False).returncode == 0 \
        if exe.is_file() else False
    if has_validate and (ROOT / "ontology" / "shapes.ttl").is_file():
        runs, codes = [], set()
        for _ in range(max(repeat, 3)):
            start = time.perf_counter()
            done = subprocess.run([str(exe), "validate"], cwd=ROOT, capture_output=True,
                                  check=False)
            runs.append(time.perf_counter() - start)
            codes.add(done.returncode)
        rows.append({"op": "validate-booklet", "size": None,
                     "ours": {"available": True, "median": statistics.median(runs),
                              "runs": runs},
                     "detail": {"exit_codes": sorted(codes),
                                "data_files": len(list(booklet.rglob("*.ttl")))}})
    else:
        rows.append({"op": "validate-booklet", "size": None,
                     "ours": {"available": False,
                              "reason": "`compact-kg validate` or ontology/shapes.ttl missing"}})
    return rows


# ---------------------------------------------------------------------------------------
# Targets
# ---------------------------------------------------------------------------------------


def attach_targets(rows: list[dict[str, Any]]) -> None:
    """Set ``target`` (text) and ``met`` (True/False/None) on each row."""
    sub = {(r["op"], r["size"]): r["ours"].get("median") for r in rows
           if r["op"].startswith("validate-submission") and r["ours"].get("median")}
    for r in rows:
        op, size, ours = r["op"], r["size"], r["ours"]
        med, ratio = ours.get("median"), r.get("ratio")
        target, met = "", None
        if op == "load":
            target = "≤ 1.2× raw bulk load"
            met = ratio is not None and ratio <= 1.2
        elif op in ("query", "query-worker"):
            target = "≤ 1.2× raw pyoxigraph" + (" (target at 10⁴, 10⁵)" if size < 10**4 else "")
            met = ratio is not None and ratio <= 1.2 if size >= 10**4 else None
        elif op in ("validate-whole", "validate-parallel") and size == 10**4:
            target = "≥ 10× faster than raw pySHACL"
            base = r.get("baseline", {})
            if base.get("timed_out") and med is not None:
                met = base["timeout"] / med >= 10 or None
            else:
                met = ratio is not None and ratio <= 0.1
        elif op.startswith("validate-submission"):
            target = "< 1 s; < 1.5× from 10³ to 10⁵"
            if med is not None:
                small = sub.get((op, 10**3))
                met = med < 1 and (small is None or size <= 10**3 or med / small < 1.5)
        elif op == "publish" and size == 10**4:
            target = "< 60 s"
            met = med is not None and med < 60
        elif op == "serve" and size == 10**4:
            target = "p95 < 50 ms, qps ≥ Oxigraph server"
            o, b = ours.get("serve") or {}, r.get("baseline", {}).get("serve") or {}
            if "p95_ms" in o and "qps" in b:
                met = (o["p95_ms"] < 50 and o["qps"] >= b["qps"]
                       and o.get("ok") == o.get("requests"))
            elif ours.get("available", True) and o:
                met = False  # every request failed
        elif op == "startup-help":
            target = "< 0.3 s"
            met = med is not None and med < 0.3
        elif op == "validate-booklet":
            target = "< 2 s"
            met = med is not None and med < 2
        elif op in ("load", "load-cached"):
            target = ""
        if r.get("peak_target"):
            pass
        r["target"], r["met"] = target, (met if ours.get("available", True) else None)


# ---------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    versions = {}
    for dist in ("compact-kg", "rdflib", "pyshacl", "pyoxigraph", "oxigraph", "rich"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return {"nproc": os.cpu_count(), "memory_gb": mem_gb, "cpu": cpu,
            "python": platform.python_version(), "platform": platform.platform(),
            "versions": versions}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,1000,10000",
                        help="comma-separated numbers of case studies (default 100,1000,10000;"
                             " 100000 is the national scale: see make bench-national)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (3)")
    parser.add_argument("--ops", default=",".join(ALL_OPS),
                        help=f"which benchmarks (default all: {','.join(ALL_OPS)})")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="cap in seconds for one run of a raw pySHACL baseline (600)")
    parser.add_argument("--serve-requests", type=int, default=400,
                        help="requests per server in the serve benchmark (400)")
    parser.add_argument("--queries", metavar="NAME[,NAME...]",
                        help="with the queries op: measure only these saved queries (e.g. "
                             "labels); with --merge, only their rows are replaced")
    parser.add_argument("--json", type=Path, default=RESULTS / "latest.json")
    parser.add_argument("--doc", type=Path, default=DOC, help="Markdown report to write")
    parser.add_argument("--no-doc", action="store_true", help="write the JSON only")
    parser.add_argument("--merge", action="store_true",
                        help="keep the rows of the existing JSON file that this run does not "
                             "measure again (to build the report in stages)")
    parser.add_argument("--merge-from", type=Path, nargs="+", metavar="JSON",
                        help="run nothing: fold the rows of these result files (e.g. a stage "
                             "run with --json elsewhere) into --json and the report")
    args = parser.parse_args(argv)
    if args.merge_from:
        return merge_results(args.json, args.merge_from, None if args.no_doc else args.doc)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    wanted = [o.strip() for o in args.ops.split(",") if o.strip()]
    unknown = set(wanted) - set(ALL_OPS)
    if unknown:
        parser.error(f"unknown ops: {', '.join(sorted(unknown))}")
    query_names = _query_names(parser, args.queries)
    if query_names and "queries" not in wanted:
        parser.error("--queries chooses among saved queries: add --ops queries")

    def log(message: str) -> None:
        print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    from bench import serve as serve_bench

    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    if "startup" in wanted:
        log("startup")
        rows.extend(bench_startup(args.repeat))
    for size in sizes:
        data = dataset(size, log=log)
        # From 10^4 on, one run per side of the long operations (minutes each); the two sides
        # still run side by side in the same session.
        rep = args.repeat if size < 10**5 else 1
        rep_long = args.repeat if size < 10**4 else 1
        if "load" in wanted:
            log(f"load {size}")
            rows.append(bench_paired("load", size, data, rep, None))
        if "load-cached" in wanted:
            log(f"load-cached {size}")
            rows.append(bench_cached(size, data, rep))
        if "queries" in wanted:
            log(f"queries {size}")
            rows.extend(bench_queries(size, data, args.repeat, 3600, query_names))
        if "validate-whole" in wanted or "validate-parallel" in wanted:
            bad = dataset(size, VIOLATIONS, log=log)
            if "validate-whole" in wanted:
                log(f"validate-whole {size}")
                rows.append(bench_paired("validate_whole", size, bad, rep_long, 3600,
                                         baseline_timeout=args.timeout))
                rows[-1]["op"] = "validate-whole"
            if "validate-parallel" in wanted:
                log(f"validate-parallel {size}")
                row = bench_paired("validate_whole", size, bad, rep_long, 3600,
                                   {"variant": "parallel", "processes": 2}, ours_only=True)
                row["op"] = "validate-parallel"
                whole = next((r for r in rows if r["op"] == "validate-whole"
                              and r["size"] == size), None)
                if whole is not None:
                    _share_baseline(row, whole)
                rows.append(row)
        if "validate-submission" in wanted:
            log(f"validate-submission {size}")
            sub = DATA / "submission.ttl"
            gen.write_submission(sub, SEED)
            whole = next((r for r in rows if r["op"] == "validate-whole"
                          and r["size"] == size), None)
            capped = bool(whole and whole.get("baseline", {}).get("timed_out"))
            # Raw pySHACL on dataset + submission is the whole-dataset run plus one file: when
            # that was already capped at this size, it is not run again.
            row = bench_paired("validate_submission", size, data, rep_long, 3600,
                               {"submission": str(sub)}, baseline_timeout=args.timeout,
                               ours_only=capped)
            if capped and whole is not None:
                row["baseline"] = {**whole["baseline"], "note": "whole-dataset run, capped"}
                row["ratio"] = None
            row["op"] = "validate-submission"
            rows.append(row)
            fast = bench_paired("validate_submission", size, data, rep_long, 3600,
                                {"submission": str(sub), "variant": "indexed"}, ours_only=True)
            fast["op"] = "validate-submission-indexed"
            _share_baseline(fast, row)
            rows.append(fast)
        if "publish" in wanted:
            log(f"publish {size}")
            with tempfile.TemporaryDirectory(prefix="ckg-publish-") as tmp:
                row = bench_paired("publish", size, data, 1 if size >= 10**4 else rep, 3600,
                                   {"out": tmp}, ours_only=True)
            rows.append(row)
        if "serve" in wanted:
            log(f"serve {size}")
            rows.append(serve_bench.bench_serve(size, data, args.serve_requests, log=log))
        _mark_correctness(rows, size)
        _write(args, rows, sizes, wanted, started)
        log(f"size {size} done ({time.perf_counter() - started:.0f} s so far)")
    attach_targets(rows)
    _write(args, rows, sizes, wanted, started)
    log(f"done in {time.perf_counter() - started:.0f} s; wrote {args.json}")
    return 0


def _query_names(parser: argparse.ArgumentParser, option: str | None) -> list[str] | None:
    """The saved-query names of ``--queries``, or None for all; a usage error for an
    unknown name."""
    if option is None:
        return None
    names = [n.strip() for n in option.split(",") if n.strip()]
    known = sorted(p.stem for p in (ROOT / "queries").glob("*.rq"))
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        parser.error(f"--queries: unknown saved query {', '.join(unknown) or '(none given)'}; "
                     f"known: {', '.join(known)}")
    return names


def _share_baseline(row: dict[str, Any], source: dict[str, Any]) -> None:
    """Give ``row`` (an ours-only variant) the baseline measured for ``source``."""
    if "baseline" not in source:
        return
    row["baseline"] = source["baseline"]
    row["ratio"] = _ratio(row["ours"], source["baseline"])
    detail = row.setdefault("detail", {})
    for key in ("baseline_results", "baseline_conforms"):
        detail[key] = source.get("detail", {}).get(key)


def _row_key(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["op"], row["size"], row.get("name"))


def merge_results(target: Path, sources: list[Path], doc: Path | None) -> int:
    """Fold the rows of ``sources`` into ``target`` (a row replaces one of the same op, size
    and query), keep the commands and time of each, and rewrite the report."""
    payload = json.loads(target.read_text(encoding="utf-8"))
    payload.setdefault("commands", [payload.pop("command")] if "command" in payload else [])
    for source in sources:
        extra = json.loads(source.read_text(encoding="utf-8"))
        fresh = {_row_key(r) for r in extra["rows"]}
        payload["rows"] = [r for r in payload["rows"] if _row_key(r) not in fresh]
        payload["rows"].extend(extra["rows"])
        payload["commands"] += [c for c in extra.get("commands", [extra.get("command", "")])
                                if c and c not in payload["commands"]]
        payload["elapsed_seconds"] += extra.get("elapsed_seconds", 0)
        payload["sizes"] = sorted(set(payload["sizes"]) | set(extra.get("sizes", [])))
        payload["ops"] = sorted(set(payload["ops"]) | set(extra.get("ops", [])))
    payload["rows"].sort(key=lambda r: (ALL_OPS_ORDER.get(r["op"], 99), r["size"] or 0,
                                        r.get("name") or ""))
    attach_targets(payload["rows"])
    target.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    if doc is not None:
        from bench import report

        report.write_markdown(payload, doc)
    return 0


def bench_cached(size: int, data: Path, repeat: int) -> dict[str, Any]:
    """Cold build and warm open of the on-disk store cache, against a plain load."""
    with tempfile.TemporaryDirectory(prefix="ckg-cache-") as tmp:
        spec = {"cache_dir": tmp}
        cold = run_child({"op": "load_cached", "side": "ours", "data": str(data), **spec})
        warm = [run_child({"op": "load_cached", "side": "ours", "data": str(data), **spec})
                for _ in range(repeat)]
    ours = _side(warm)
    base = _side([run_child({"op": "load", "side": "baseline", "data": str(data)})
                  for _ in range(repeat)])
    return {"op": "load-cached", "size": size, "ours": ours, "baseline": base,
            "ratio": _ratio(ours, base),
            "detail": {"cold_seconds": cold.get("seconds"), "cold_peak_mb": cold.get("peak_mb"),
                       "ours_triples": warm[0].get("triples")}}


def _mark_correctness(rows: list[dict[str, Any]], size: int) -> None:
    """For validation rows: same verdict and same violations as raw pySHACL?"""
    for r in rows:
        if r["size"] != size or not r["op"].startswith("validate-") or "detail" not in r:
            continue
        d = r["detail"]
        if "ours_results" in d and d.get("baseline_results") is not None:
            d["same_verdict"] = d.get("ours_conforms") == d.get("baseline_conforms")
            d["same_results"] = d["ours_results"] == d["baseline_results"]
        if "ours_results" in d:
            d["ours_result_count"] = len(d["ours_results"])
        if d.get("baseline_results") is not None:
            d["baseline_result_count"] = len(d["baseline_results"])


def _write(args: argparse.Namespace, rows: list[dict[str, Any]], sizes: list[int],
           wanted: list[str], started: float) -> None:
    command = " ".join(["python", "-m", "bench", *(sys.argv[1:])])
    commands, elapsed = [command], time.perf_counter() - started
    if args.merge and args.json.is_file():
        old = json.loads(args.json.read_text(encoding="utf-8"))
        commands = [c for c in old.get("commands", []) if c != command] + [command]
        elapsed += old.get("elapsed_seconds", 0) if command not in old.get("commands", []) \
            else 0
        fresh = {(r["op"], r["size"], r.get("name")) for r in rows}
        kept = [r for r in old.get("rows", []) if (r["op"], r["size"], r.get("name")) not in fresh]
        rows = kept + rows
        sizes = sorted(set(sizes) | set(old.get("sizes", [])))
        wanted = sorted(set(wanted) | set(old.get("ops", [])))
        rows.sort(key=lambda r: (ALL_OPS_ORDER.get(r["op"], 99), r["size"] or 0,
                                 r.get("name") or ""))
    attach_targets(rows)
    payload = {
        "generated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "commands": commands,
        "sizes": sizes, "ops": wanted, "repeat": args.repeat, "timeout": args.timeout,
        "seed": SEED, "violations": VIOLATIONS, "machine": machine(),
        "elapsed_seconds": elapsed, "rows": rows,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    if not args.no_doc:
        from bench import report

        report.write_markdown(payload, args.doc)
