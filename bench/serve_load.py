"""p95 latency at 32 concurrent clients: our server beside a peer doing the same job.

``python -m bench.serve_load --size 1000`` (10³ synthetic case studies by default)
measures, side by side in one session, on 127.0.0.1 only:

* **pages and RDF**: resource pages and their Turtle and JSON-LD files (explicit
  extensions, so that both sides serve the same bytes at the same paths) from
  ``compact-kg serve``, and the same files from Python's ``http.server``
  (``ThreadingHTTPServer`` and ``SimpleHTTPRequestHandler``, a thread per connection, as
  ``python -m http.server`` runs them, but with our listen backlog of 128: socketserver's
  default of 5 drops connections at 32 clients and each costs a 1 s SYN retransmission)
  serving the site that ``compact-kg publish`` writes for the same data;
* **SPARQL**: small SELECT queries from our ``/sparql`` (each evaluated afresh,
  ``Cache-Control: no-cache``, and then from its response cache) and from
  ``oxigraph serve-read-only`` on a RocksDB store of the same files;

each once as is and once while an abuser holds 200 connections open (half silent, half
sending a request line a byte at a time, slowloris), reopening any that a server closes.
The ratio is our p95 over the peer's p95 in the same condition. Every client is a thread
making a fixed number of requests, each with a timeout; every server and the abuser are
stopped at the end, whatever happens. Results go to ``bench/results/serve-load.json``; the
Markdown table printed is the one in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.run import DATA, RESULTS, dataset, machine, run_child
from bench.serve import (
    REQUEST_TIMEOUT,
    _ours_server_cmd,
    free_port,
    load_clients,
    resource_iris,
    running,
    wait_until_up,
)

CLIENTS = 32
IDLE = 200
#: The slowloris half of the idle connections sends a byte this often (seconds).
DRIBBLE_EVERY = 0.5
AREA = "https://w3id.org/compact-kg/def/Area"

_STATIC_PEER = """
import functools, sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
class Server(ThreadingHTTPServer):
    request_queue_size = 128  # as ours
handler = functools.partial(SimpleHTTPRequestHandler, directory=sys.argv[2])
Server(("127.0.0.1", int(sys.argv[1])), handler).serve_forever()
"""


@contextlib.contextmanager
def abuser(port: int, count: int = IDLE) -> Iterator[dict[str, int]]:
    """Hold ``count`` connections to 127.0.0.1:``port`` open while the block runs: half send
    nothing, half send ``GET / HT`` and then a byte every ``DRIBBLE_EVERY`` s; a connection
    the server closes is opened again. Yields counters (opened, closed by the server)."""
    stats = {"opened": 0, "closed_by_server": 0}
    stop = threading.Event()
    sockets: list[socket.socket | None] = [None] * count

    def open_one(i: int) -> None:
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=2)
            sock.setblocking(False)
            if i % 2:
                sock.send(b"GET / HT")
        except OSError:
            sockets[i] = None
            return
        sockets[i] = sock
        stats["opened"] += 1

    def closed(sock: socket.socket) -> bool:
        try:
            return sock.recv(1 << 12) == b""
        except BlockingIOError:
            return False
        except OSError:
            return True

    def run() -> None:
        for i in range(count):
            open_one(i)
        while not stop.wait(DRIBBLE_EVERY):
            for i, sock in enumerate(sockets):
                if stop.is_set():
                    return
                gone = sock is None or closed(sock)
                if not gone and i % 2:
                    try:
                        sock.send(b"T")  # type: ignore[union-attr]
                    except OSError:
                        gone = True
                if gone:
                    if sock is not None:
                        sock.close()
                        stats["closed_by_server"] += 1
                    open_one(i)

    thread = threading.Thread(target=run, name="abuser", daemon=True)
    thread.start()
    try:
        time.sleep(1.0)  # all of them connected before the clients start
        yield stats
    finally:
        stop.set()
        thread.join(30)
        for sock in sockets:
            if sock is not None:
                sock.close()


def measure(name: str, urls: list[tuple[str, str]], port: int, *,
            headers: dict[str, str] | None = None) -> dict[str, Any]:
    """The same requests at 32 clients, without and then with the abuser."""
    load_clients(urls[: CLIENTS * 2], CLIENTS, headers=headers)  # warm-up
    plain = load_clients(urls, CLIENTS, headers=headers)
    with abuser(port) as stats:
        abused = load_clients(urls, CLIENTS, headers=headers)
    abused["abuser"] = dict(stats)
    print(f"  {name}: p95 {plain.get('p95_ms', 0):.1f} ms, with {IDLE} idle "
          f"{abused.get('p95_ms', 0):.1f} ms ({abused['errors']} errors)", file=sys.stderr)
    return {"plain": plain, "idle": abused}


def _queries(base: str, path: str, count: int) -> list[tuple[str, str]]:
    texts = [f"SELECT ?area WHERE {{ ?area a <{AREA}> }} ORDER BY ?area LIMIT {n}"
             for n in (1, 5, 10, 20)]
    return [("sparql", f"{base}{path}?" + urllib.parse.urlencode({"query": texts[i % 4]}))
            for i in range(count)]


def bench_serve_load(size: int, requests: int) -> dict[str, Any]:
    from compact_kg.paths import ProjectPaths
    from compact_kg.publish import publish_site

    data = dataset(size, log=lambda m: print(m, file=sys.stderr))
    root = data.parent
    row: dict[str, Any] = {"size": size, "clients": CLIENTS, "requests": requests,
                           "idle": IDLE}
    paths = [iri.split("https://w3id.org/compact-kg/", 1)[1]
             for iri in resource_iris(data, max(1, requests // 3))]
    files = [p + ext for p in paths for ext in (".html", ".ttl", ".jsonld")]
    files = (files * (requests // max(1, len(files)) + 1))[:requests]
    with tempfile.TemporaryDirectory(prefix="ckg-serve-load-") as tmp:
        site = publish_site(Path(tmp) / "site", paths=ProjectPaths(root)).out_dir
        store_dir = Path(tmp) / "store"
        built = run_child({"op": "disk_store", "side": "baseline", "data": str(data),
                           "location": str(store_dir)})
        if built.get("error"):
            raise RuntimeError(built["error"])
        usage: dict[str, Any] = {}
        # Peer for pages and RDF: Python's http.server on the published files.
        port = free_port()
        base = f"http://127.0.0.1:{port}/"
        with running([sys.executable, "-c", _STATIC_PEER, str(port), str(site)],
                     base + "index.html", usage):
            row["static_peer"] = measure("http.server, pages and RDF",
                                         [("file", base + f) for f in files], port)
        # Peer for SPARQL: Oxigraph's server.
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        ox = Path(sys.executable).with_name("oxigraph")
        with running([str(ox), "serve-read-only", "--location", str(store_dir), "--bind",
                      f"127.0.0.1:{port}"], f"{base}/query?query=ASK%7B%7D", usage):
            row["sparql_peer"] = measure("oxigraph, SPARQL",
                                         _queries(base, "/query", requests), port)
        # Ours, with its default connection limits (as `compact-kg serve` runs).
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        cmd = _ours_server_cmd(port, root)
        if cmd is None:
            raise RuntimeError("compact_kg.serve is not available")
        with running(cmd, f"{base}/{files[0]}", usage):
            wait_until_up(f"{base}/", None)  # the site-wide files written
            row["static_ours"] = measure("ours, pages and RDF",
                                         [("file", f"{base}/{f}") for f in files], port)
            queries = _queries(base, "/sparql", requests)
            row["sparql_ours"] = measure("ours, SPARQL (no-cache)", queries, port,
                                         headers={"Cache-Control": "no-cache"})
            row["sparql_ours_cached"] = measure("ours, SPARQL (response cache)", queries,
                                                port)
    return row


def _ratio(ours: dict[str, Any], peer: dict[str, Any]) -> str:
    if ours.get("p95_ms") and peer.get("p95_ms"):
        return f"{ours['p95_ms'] / peer['p95_ms']:.2f}×"
    return "–"


def table(row: dict[str, Any]) -> str:
    """The Markdown table of a run."""
    lines = ["| part | server | condition | answered | p50 | p95 | max | qps | "
             "p95 ratio to the peer |", "|---|---|---|---|---|---|---|---|---|"]
    sides = [("pages and RDF", "static_ours", "static_peer", "ours", "Python's `http.server`"),
             ("SPARQL, evaluated afresh", "sparql_ours", "sparql_peer", "ours (no-cache)",
              "`oxigraph serve-read-only`"),
             ("SPARQL, repeated", "sparql_ours_cached", "sparql_peer", "ours (response cache)",
              None)]
    for part, ours_key, peer_key, ours_label, peer_label in sides:
        for condition, label in (("plain", "alone"), ("idle", f"{row['idle']} idle/slow open")):
            entries = [(ours_label, row[ours_key][condition], row[peer_key][condition])]
            if peer_label:
                entries.append((peer_label, row[peer_key][condition], None))
            for server, stats, peer in entries:
                ratio = _ratio(stats, peer) if peer is not None else ""
                lines.append(
                    f"| {part} | {server} | {label} | {stats['ok']}/{stats['requests']} | "
                    f"{stats.get('p50_ms', 0):.1f} ms | {stats.get('p95_ms', 0):.1f} ms | "
                    f"{stats.get('max_ms', 0):.1f} ms | {stats.get('qps', 0):.0f} | {ratio} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.serve_load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1000,
                        help="synthetic case studies (1000; generated once under "
                             f"{DATA.relative_to(DATA.parents[1])})")
    parser.add_argument("--requests", type=int, default=1600,
                        help="requests per server and condition, over 32 clients (1600)")
    parser.add_argument("--json", type=Path, default=RESULTS / "serve-load.json")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    row = bench_serve_load(args.size, args.requests)
    row.update(machine=machine(), seconds=time.perf_counter() - started,
               generated=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
               request_timeout=REQUEST_TIMEOUT,
               command="python -m bench.serve_load " + " ".join(argv or sys.argv[1:]))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(row, indent=1) + "\n", encoding="utf-8")
    print(table(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
