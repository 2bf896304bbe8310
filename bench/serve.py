"""The serve benchmark: 8 concurrent clients against our server and Oxigraph's server.

Both servers listen on 127.0.0.1 only, on a free port; the clients are threads using
urllib; every request loop is bounded (a fixed number of requests, each with a timeout);
both servers are stopped at the end, whatever happens.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench import ops
from bench.run import ROOT, run_child

CLIENTS = 8
REQUEST_TIMEOUT = 10.0
#: A load test stops sending after this many seconds; requests not sent count as failed.
LOAD_BUDGET = 120.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, proc: subprocess.Popen[bytes] | None,
                  limit: float = 1800.0) -> float:
    """Poll ``url`` until it answers; return how long it took. Raise if the server
    (``proc``, when given) died."""
    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                response.read()
                return time.perf_counter() - start
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not answer {url} within {limit:.0f} s")


@contextlib.contextmanager
def running(cmd: list[str], ready_url: str, usage: dict[str, Any],
            env: dict[str, str] | None = None) -> Iterator[float]:
    """Start a server, wait for it, yield its start-up time, stop it and record peak RSS.

    The server's output goes to a temporary file, never to a pipe: a server that logs every
    request would block once an unread pipe's buffer (64 KB) is full.
    """
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=log,
                                env={**os.environ, **(env or {})})
        try:
            yield wait_until_up(ready_url, proc)
        finally:
            usage["peak_mb"] = stop(proc) / 1024
            log.seek(0, os.SEEK_END)
            log.seek(max(0, log.tell() - 300))
            usage["stderr_tail"] = log.read().decode("utf-8", "replace")


def stop(proc: subprocess.Popen[bytes], grace: float = 10.0) -> int:
    """Terminate ``proc`` (kill it after ``grace`` s), reap it; return its peak RSS in KB
    (0 when it had already been reaped, e.g. by ``poll()`` after it died)."""
    if proc.returncode is not None:
        return 0
    proc.terminate()
    end = time.monotonic() + grace
    while time.monotonic() < end:
        try:
            pid, _, rusage = os.wait4(proc.pid, os.WNOHANG)
        except ChildProcessError:
            return 0
        if pid:
            proc.returncode = 0
            return rusage.ru_maxrss
        time.sleep(0.05)
    proc.kill()
    _, _, rusage = os.wait4(proc.pid, 0)
    proc.returncode = -9
    return rusage.ru_maxrss


def load_clients(urls: list[tuple[str, str]], clients: int = CLIENTS, *,
                 budget: float = LOAD_BUDGET, timeout: float = REQUEST_TIMEOUT,
                 headers: dict[str, str] | None = None) -> dict[str, Any]:
    """Fetch every ``(kind, url)`` once with ``clients`` threads; latency stats and qps.

    Stops sending after ``budget`` seconds; each request waits at most ``timeout`` s.
    ``headers`` are added to every request (``Cache-Control: no-cache`` asks our server
    to answer afresh rather than from its response cache)."""
    work: queue.SimpleQueue[tuple[str, str]] = queue.SimpleQueue()
    for item in urls:
        work.put(item)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    stop_at = time.perf_counter() + budget

    def client() -> None:
        while time.perf_counter() < stop_at:
            try:
                kind, url = work.get_nowait()
            except queue.Empty:
                return
            request = urllib.request.Request(url, headers={
                "Accept": "application/sparql-results+json, text/html;q=0.9, */*;q=0.1",
                **(headers or {})})
            start = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=timeout) as resp:
                    resp.read()
                    ok = 200 <= resp.status < 300
            except OSError as error:
                ok = False
                with lock:
                    errors.append(f"{kind}: {error}"[:200])
            elapsed = time.perf_counter() - start
            if ok:
                with lock:
                    latencies.append(elapsed)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=budget + timeout + 5)
    wall = time.perf_counter() - start
    unsent = work.qsize()
    if unsent:
        errors.append(f"{unsent} requests not sent: the {budget:.0f} s budget ran out")
    latencies.sort()
    if not latencies:
        return {"requests": len(urls), "ok": 0, "errors": len(errors),
                "first_errors": errors[:3]}
    return {
        "requests": len(urls), "ok": len(latencies), "errors": len(errors),
        "first_errors": errors[:3], "seconds": wall, "qps": len(latencies) / wall,
        "p50_ms": 1000 * statistics.median(latencies),
        "p95_ms": 1000 * latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))],
        "max_ms": 1000 * latencies[-1],
    }


def saved_query_texts(data: Path) -> list[tuple[str, str]]:
    """(name, bound SPARQL text) of each saved query that runs with sample parameters."""
    try:
        catalogue = ops._catalogue()
    except ops.NotAvailable:
        return []
    from compact_kg import queries as q

    samples = ops.dataset_samples(data)
    out = []
    for query in catalogue:
        try:
            params = ops._sample_params(query, samples)
        except ops.NotAvailable:
            continue
        out.append((query.name, q.bind_text(query, q.bind_parameters(query, params)),
                    params))
    return out


def resource_iris(data: Path, count: int) -> list[str]:
    """IRIs of case studies, areas and mechanisms of the dataset, for resource pages."""
    base = "https://w3id.org/compact-kg/id/"
    files = [p for p in ops.data_files(data) if "case-studies" in p.parts]
    step = max(1, len(files) // max(1, count))
    iris = []
    for path in files[::step][:count]:
        slug = path.stem
        iris.append(f"{base}case-study/{slug}")
        iris.append(f"{base}area/{slug.rsplit('-', 2)[0]}")
    return iris[:count]


_OURS = """
import sys
from pathlib import Path
from compact_kg.paths import ProjectPaths
from compact_kg.serve import serve_forever
serve_forever(host="127.0.0.1", port=int(sys.argv[1]), timeout=30.0,
              paths=ProjectPaths(Path(sys.argv[2])))
"""


def _ours_server_cmd(port: int, root: Path) -> list[str] | None:
    """Our server (compact_kg.serve.serve_forever, what `compact-kg serve` runs) on the
    checkout at ``root``; None when the library has no server."""
    import importlib.util

    if importlib.util.find_spec("compact_kg.serve") is None:
        return None
    return [sys.executable, "-c", _OURS, str(port), str(root)]


def _warm_up(urls: list[tuple[str, str]], limits: dict[str, float]) -> None:
    """Each distinct query once, alone, before the concurrent load: first calls pay one-off
    set-up (rdflib builds parts of its SPARQL grammar on first use), which is not what the
    load test measures."""
    load_clients(list(dict.fromkeys(urls)), 1, **limits)


def bench_serve(size: int, data: Path, requests: int,
                log: Callable[[str], None] = print, *, budget: float = LOAD_BUDGET,
                timeout: float = REQUEST_TIMEOUT) -> dict[str, Any]:
    """Our server (resource pages + saved queries) and Oxigraph's (same saved queries).

    Each load test stops after ``budget`` s; each request waits at most ``timeout`` s."""
    limits = {"budget": budget, "timeout": timeout}
    queries_ = saved_query_texts(data)
    row: dict[str, Any] = {"op": "serve", "size": size}
    if not queries_:
        row["ours"] = {"available": False, "reason": "no saved queries on this branch"}
        return row
    with tempfile.TemporaryDirectory(prefix="ckg-oxserve-") as tmp:
        store_dir = Path(tmp) / "store"
        built = run_child({"op": "disk_store", "side": "baseline", "data": str(data),
                           "location": str(store_dir)})
        if built.get("error"):
            row["ours"] = {"available": False, "reason": built["error"]}
            return row
        # Baseline: Oxigraph's server answering the same saved queries.
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        ox = Path(sys.executable).with_name("oxigraph")
        usage: dict[str, Any] = {}
        q_urls = [("query", f"{base_url}/query?" + urllib.parse.urlencode({"query": text}))
                  for _, text, _ in queries_]
        urls = [q_urls[i % len(q_urls)] for i in range(requests)]
        with running([str(ox), "serve-read-only", "--location", str(store_dir), "--bind",
                      f"127.0.0.1:{port}"], f"{base_url}/query?query=ASK%7B%7D", usage) as up:
            log(f"  oxigraph server up in {up:.1f} s")
            _warm_up(urls, limits)
            load_clients(urls[: CLIENTS * 2], **limits)  # warm-up
            stats = load_clients(urls, **limits)
        row["baseline"] = {"available": True, "median": stats.get("p50_ms", 0) / 1000,
                           "serve": stats, "startup_seconds": up,
                           "peak_mb": usage.get("peak_mb")}
        # Ours.
        port = free_port()
        cmd = _ours_server_cmd(port, Path(data).parent)
        if cmd is None:
            row["ours"] = {"available": False, "reason": "`compact-kg serve` is not available"}
            return row
        ours_url = f"http://127.0.0.1:{port}"
        usage = {}
        try:
            pages = [("page", ours_url + "/" + iri.split("https://w3id.org/compact-kg/", 1)
                      [1]) for iri in resource_iris(data, requests)]
            # Up: its first answer (a resource page); then the whole site, once the landing
            # page (which lists the dumps) answers.
            with running(cmd, pages[0][1], usage) as first:
                up = first + wait_until_up(f"{ours_url}/", None)
                log(f"  our server answers in {first:.1f} s, whole site in {up:.1f} s")
                same = [(k, u.replace(f"{base_url}/query", f"{ours_url}/sparql"))
                        for k, u in urls]
                # Alternate a resource page and a saved query.
                mixed = [pages[i // 2 % len(pages)] if i % 2 == 0 else same[i // 2 % len(same)]
                         for i in range(requests)]
                _warm_up(same, limits)
                load_clients(mixed[: CLIENTS * 2], **limits)
                stats_mixed = load_clients(mixed, **limits)
                # Every query evaluated afresh (the server's response cache bypassed), then
                # the same requests answered from the cache where they are in it.
                stats_same = load_clients(same, **limits, headers={"Cache-Control": "no-cache"})
                stats_cached = load_clients(same, **limits)
        except RuntimeError as error:
            row["ours"] = {"available": False, "reason": str(error),
                           "stderr": usage.get("stderr_tail")}
            return row
        row["ours"] = {"available": True, "median": stats_same.get("p50_ms", 0) / 1000,
                       "serve": stats_same, "serve_cached": stats_cached,
                       "serve_mixed": stats_mixed,
                       "startup_seconds": up, "first_answer_seconds": first,
                       "peak_mb": usage.get("peak_mb")}
        row["ratio"] = (stats_same["p50_ms"] / stats["p50_ms"]
                        if stats_same.get("p50_ms") and stats.get("p50_ms") else None)
    return row


if __name__ == "__main__":  # a quick manual run: python -m bench.serve DATA_DIR
    print(json.dumps(bench_serve(0, Path(sys.argv[1]), 100), indent=1))
