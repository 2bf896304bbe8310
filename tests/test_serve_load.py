"""`compact-kg serve` under load and abuse, on 127.0.0.1 only (issue 11, part 5).

32 clients at once, each making a bounded number of requests that mix pages, RDF
representations and small SPARQL queries, get no error (p50/p95 printed, `pytest -rA`
shows them); 200 idle or slowly-sending connections do not keep a normal client from its
page and its query answer, and are closed by the server at its read timeout; a full server
whose every connection is being answered says 503 at once. Every loop here is bounded and
every socket has a timeout; the servers stop at the end of the module, whatever happens.
Timings are printed, not asserted (speed is for bench/serve_load.py).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import statistics
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from compact_kg.serve import ConnectionLimits, RunningServer, start_server
from tests._publish_support import make_checkout

pytestmark = [pytest.mark.server, pytest.mark.slow]

CLIENTS = 32
REQUESTS_PER_CLIENT = 12
IDLE = 200
QUERY_TIMEOUT = 5.0
#: Short, so that the test sees the server close idle connections without waiting long.
LIMITS = ConnectionLimits(max_connections=100, read_timeout=2.0, keep_alive=2.0)
#: A client gives up on a request after this long: the server's own limits (query deadline,
#: read timeout) and a generous margin for a shared 2-core machine.
CLIENT_TIMEOUT = QUERY_TIMEOUT + LIMITS.read_timeout + 20

AREA = "https://w3id.org/compact-kg/def/Area"


def _query(limit: int) -> str:
    return f"SELECT ?area WHERE {{ ?area a <{AREA}> }} ORDER BY ?area LIMIT {limit}"


@dataclass(frozen=True)
class Ask:
    """One request of the mix, and what a right answer looks like."""

    kind: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    media: str = "text/html"
    rows: int | None = None  # for a SELECT: how many


MIX = [
    Ask("page", "/"),
    Ask("page", "/index.html"),
    Ask("page", "/id/area/surrey", {"Accept": "text/html"}),
    Ask("page", "/case-studies.html"),
    Ask("rdf", "/id/area/surrey", {"Accept": "text/turtle"}, media="text/turtle"),
    Ask("rdf", "/id/area/surrey.jsonld", media="application/ld+json"),
    Ask("rdf", "/.well-known/void", media="text/turtle"),
    *(Ask("sparql", "/sparql?" + urllib.parse.urlencode({"query": _query(n)}),
          {"Accept": "application/sparql-results+json"},
          media="application/sparql-results+json", rows=n) for n in (1, 2, 3)),
    # evaluated afresh by a query worker, not answered from the response cache
    Ask("sparql", "/sparql?" + urllib.parse.urlencode({"query": _query(4)}),
        {"Accept": "application/sparql-results+json", "Cache-Control": "no-cache"},
        media="application/sparql-results+json", rows=4),
    Ask("sparql", "/sparql", {"Content-Type": "application/sparql-query",
                              "Accept": "application/sparql-results+json"},
        _query(5).encode(), media="application/sparql-results+json", rows=5),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    paths = make_checkout(tmp_path_factory.mktemp("serve-load"))
    running = start_server(host="127.0.0.1", port=0, timeout=QUERY_TIMEOUT, paths=paths,
                           limits=LIMITS)
    try:
        assert running.wait_until_built(120)
        yield running
    finally:
        running.close()


def _address(server: RunningServer) -> tuple[str, int]:
    host, port = server.server.server_address[:2]
    return str(host), int(port)


def _check(ask: Ask, status: int, content_type: str, body: bytes) -> str | None:
    """What is wrong with an answer (None: nothing)."""
    if status != 200:
        return f"{ask.kind} {ask.path}: status {status}: {body[:100]!r}"
    if content_type.split(";")[0] != ask.media:
        return f"{ask.kind} {ask.path}: {content_type}, not {ask.media}"
    if ask.rows is not None and len(json.loads(body)["results"]["bindings"]) != ask.rows:
        return f"{ask.kind} {ask.path}: not {ask.rows} rows"
    if not body:
        return f"{ask.kind} {ask.path}: empty body"
    return None


class _Client:
    """One client: on a kept-alive connection (http.client), or a new one per request."""

    def __init__(self, address: tuple[str, int], keep_alive: bool) -> None:
        self.address, self.keep_alive = address, keep_alive
        self.connection: http.client.HTTPConnection | None = None

    def fetch(self, ask: Ask) -> tuple[int, str, bytes]:
        if self.connection is None:
            self.connection = http.client.HTTPConnection(*self.address,
                                                         timeout=CLIENT_TIMEOUT)
        headers = dict(ask.headers)
        if not self.keep_alive:
            headers["Connection"] = "close"
        method = "POST" if ask.body is not None else "GET"
        try:
            self.connection.request(method, ask.path, body=ask.body, headers=headers)
            response = self.connection.getresponse()
            body = response.read()
        except BaseException:
            self.close()
            raise
        if not self.keep_alive or response.will_close:
            self.close()
        return response.status, response.getheader("Content-Type") or "", body

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _p95(latencies: list[float]) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def test_32_concurrent_clients_get_every_answer(server: RunningServer,
                                                record_property: pytest.RecordProperty,
                                                ) -> None:
    address = _address(server)
    for ask in MIX:  # once alone: first uses pay one-off set-up, not what is measured here
        client = _Client(address, keep_alive=False)
        assert _check(ask, *client.fetch(ask)) is None
    barrier = threading.Barrier(CLIENTS, timeout=60)
    latencies: dict[str, list[float]] = {"page": [], "rdf": [], "sparql": []}
    errors: list[str] = []
    lock = threading.Lock()

    def run(number: int) -> None:
        client = _Client(address, keep_alive=number % 2 == 0)
        barrier.wait()
        try:
            for i in range(REQUESTS_PER_CLIENT):
                ask = MIX[(number + i) % len(MIX)]
                started = time.perf_counter()
                try:
                    problem = _check(ask, *client.fetch(ask))
                except (OSError, http.client.HTTPException) as error:
                    problem = f"{ask.kind} {ask.path}: {error!r}"
                elapsed = time.perf_counter() - started
                with lock:
                    latencies[ask.kind].append(elapsed)
                    if problem:
                        errors.append(problem)
        finally:
            client.close()

    threads = [threading.Thread(target=run, args=(n,), daemon=True) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(REQUESTS_PER_CLIENT * CLIENT_TIMEOUT + 60)
    assert not any(thread.is_alive() for thread in threads)
    every = [t for values in latencies.values() for t in values]
    assert len(every) == CLIENTS * REQUESTS_PER_CLIENT
    summary = {kind: {"requests": len(values), "p50_ms": round(1000 * statistics.median(values),
                                                                  1),
                      "p95_ms": round(1000 * _p95(values), 1)}
               for kind, values in [("all", every), *latencies.items()]}
    print(f"\n{CLIENTS} clients x {REQUESTS_PER_CLIENT} requests, {len(errors)} errors: "
          + "; ".join(f"{kind} p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms (n={s['requests']})"
                      for kind, s in summary.items()))
    record_property("latency", json.dumps(summary))
    assert errors == []
    assert max(every) < CLIENT_TIMEOUT  # every answer came within the server's own limits


def _dribble(sockets: list[socket.socket], stop: threading.Event, closed: list[int]) -> None:
    """Slowloris: each socket sends half a request line, then a byte every 0.2 s; counts the
    sockets the server has closed (a send fails, or the end of the stream is seen)."""
    for sock in sockets:
        sock.sendall(b"GET /index.html HT")
    alive = list(sockets)
    while alive and not stop.wait(0.2):
        for sock in list(alive):
            try:
                sock.sendall(b"T")
                sock.setblocking(False)
                try:
                    gone = sock.recv(1) == b""
                except BlockingIOError:
                    gone = False
                finally:
                    sock.setblocking(True)
            except OSError:
                gone = True
            if gone:
                alive.remove(sock)
                closed.append(1)


def test_a_normal_client_is_answered_during_200_idle_and_slow_connections(
        server: RunningServer, record_property: pytest.RecordProperty) -> None:
    address = _address(server)
    idle: list[socket.socket] = []
    slow: list[socket.socket] = []
    stop = threading.Event()
    slow_closed: list[int] = []
    dribbler = None
    try:
        for number in range(IDLE):  # opened, and never a byte sent (or half a request line)
            sock = socket.create_connection(address, timeout=10)
            (slow if number % 2 else idle).append(sock)
        dribbler = threading.Thread(target=_dribble, args=(slow, stop, slow_closed),
                                    daemon=True)
        dribbler.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(server.server.connections) < 50:
            time.sleep(0.05)  # the accept loop has taken them in
        assert len(server.server.connections) <= LIMITS.max_connections
        # A normal client: a page, a resource's data and a query answer.
        answered = []
        for ask in (MIX[1], MIX[4], MIX[-1]):
            started = time.perf_counter()
            client = _Client(address, keep_alive=False)
            assert _check(ask, *client.fetch(ask)) is None
            answered.append(round(1000 * (time.perf_counter() - started), 1))
        print(f"\nwith {IDLE} idle and slow connections open: answered in {answered} ms")
        record_property("answered_ms", json.dumps(answered))
        assert len(server.server.connections) <= LIMITS.max_connections
        # The server closes what it took in at its read timeout (or sooner, for newcomers).
        for sock in idle:
            sock.settimeout(LIMITS.read_timeout + 10)
            with contextlib.suppress(ConnectionResetError):  # closed, either way
                assert sock.recv(1) == b""
        dribbler.join(LIMITS.read_timeout + 10)
        assert not dribbler.is_alive() and len(slow_closed) == len(slow)
    finally:
        stop.set()
        if dribbler is not None:
            dribbler.join(5)
        for sock in idle + slow:
            sock.close()


def _read_response(stream: Any) -> tuple[int, dict[str, str], bytes]:
    """One response read from a buffered stream of a raw socket: status, headers, body."""
    status = int(stream.readline().split()[1])
    headers = {}
    while (line := stream.readline().decode("latin-1").strip()):
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    return status, headers, stream.read(int(headers.get("content-length", 0)))


def test_an_idle_kept_alive_connection_is_closed_after_the_keep_alive_time(
        server: RunningServer) -> None:
    with socket.create_connection(_address(server), timeout=LIMITS.keep_alive + 10) as sock, \
            sock.makefile("rb") as stream:
        sock.sendall(b"GET /id/area/surrey.ttl HTTP/1.1\r\nHost: x\r\n\r\n")
        status, headers, body = _read_response(stream)
        assert status == 200 and body and headers.get("connection") != "close"
        started = time.monotonic()
        assert stream.read(1) == b""  # closed by the server, not by our timeout
        print(f"\nidle connection closed after {time.monotonic() - started:.2f} s "
              f"(keep-alive {LIMITS.keep_alive} s)")


def test_pipelined_requests_on_one_connection_are_answered_in_order(
        server: RunningServer) -> None:
    with socket.create_connection(_address(server), timeout=CLIENT_TIMEOUT) as sock, \
            sock.makefile("rb") as stream:
        sock.sendall(b"GET /id/area/surrey.ttl HTTP/1.1\r\nHost: x\r\n\r\n"
                     b"GET /id/area/surrey.jsonld HTTP/1.1\r\nHost: x\r\n\r\n")
        answers = [_read_response(stream) for _ in range(2)]
    assert [(status, headers["content-type"]) for status, headers, _ in answers] == [
        (200, "text/turtle; charset=utf-8"), (200, "application/ld+json")]


def test_a_full_server_answers_503_at_once(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Two places, both taken by queries being evaluated: a third client is told to come
    back (503, Retry-After) at once; afterwards the server answers again."""
    cartesian = ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . "
                 "?j ?k ?l }")
    paths = make_checkout(tmp_path_factory.mktemp("serve-full"))
    running = start_server(host="127.0.0.1", port=0, timeout=3.0, paths=paths, workers=2,
                           limits=ConnectionLimits(max_connections=2, read_timeout=2.0,
                                                   keep_alive=2.0))
    url = running.url + "sparql?" + urllib.parse.urlencode({"query": cartesian})
    statuses: list[int] = []

    def busy() -> None:
        try:
            with urllib.request.urlopen(url, timeout=CLIENT_TIMEOUT) as response:
                statuses.append(response.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)

    threads = [threading.Thread(target=busy, daemon=True) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 10
        connections = running.server.connections
        while time.monotonic() < deadline and not (
                len(connections) == 2
                and all(not c.waiting for c in connections._open.values())):
            time.sleep(0.02)
        started = time.perf_counter()
        try:
            urllib.request.urlopen(running.url + "index.html", timeout=CLIENT_TIMEOUT)
            refused = None
        except urllib.error.HTTPError as error:
            refused = error
        took = time.perf_counter() - started
        assert refused is not None and refused.code == 503
        assert refused.headers["Retry-After"] == "1"
        assert b"try again" in refused.read()
        print(f"\n503 from a full server after {1000 * took:.1f} ms")
        for thread in threads:
            thread.join(CLIENT_TIMEOUT)
        assert statuses == [503, 503]  # the two queries, stopped at their deadline
        with urllib.request.urlopen(running.url + "id/area/surrey.ttl",
                                    timeout=CLIENT_TIMEOUT) as response:
            assert response.status == 200
    finally:
        running.close()
