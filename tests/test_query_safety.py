"""Refused query forms: nothing leaves the machine, no update runs, nothing runs forever."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from pathlib import Path

import pyoxigraph
import pytest

from compact_kg._deadline import DeadlinePassed, run_with_deadline
from compact_kg.errors import QueryError, QueryTimeoutError
from compact_kg.queries import parse_query_text, run_embedded, runner_for


class Listener:
    """A loopback TCP listener that counts the connections it receives."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.settimeout(0.1)
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.socket.accept()
            except OSError:
                continue
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.socket.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def refused_queries(port: int) -> dict[str, str]:
    here = f"http://127.0.0.1:{port}/sparql"
    return {
        "service": f"SELECT * WHERE {{ SERVICE <{here}> {{ ?s ?p ?o }} }}",
        "silent service": f"SELECT * WHERE {{ SERVICE SILENT <{here}> {{ ?s ?p ?o }} }}",
        "service in exists": f"ASK {{ FILTER EXISTS {{ SERVICE <{here}> {{ ?s ?p ?o }} }} }}",
        "escaped service": f"SELECT * WHERE {{ \\u0053ERVICE <{here}> {{ ?s ?p ?o }} }}",
        "from": "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
        "from remote": f"SELECT * FROM <{here}> WHERE {{ ?s ?p ?o }}",
        "from named": f"SELECT * FROM NAMED <{here}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        "load": f"LOAD <{here}>",
        "insert": "INSERT DATA { <http://a> <http://b> <http://c> }",
        "delete where": "DELETE WHERE { ?s ?p ?o }",
        "clear": "CLEAR ALL",
        "drop": "DROP DEFAULT",
        "create": "CREATE GRAPH <http://g>",
    }


def test_the_listener_would_see_an_unchecked_service_call(listener: Listener):
    """The control: pyoxigraph on its own does call out for SERVICE."""
    store = pyoxigraph.Store()
    query = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{listener.port}/sparql> {{ ?s ?p ?o }} }}"
    # In this process, not a worker child: a worker has no network (tested below).

    def call() -> None:
        with contextlib.suppress(Exception):  # the listener hangs up: an error
            list(store.query(query))

    caller = threading.Thread(target=call, daemon=True)
    caller.start()
    caller.join(5)
    time.sleep(0.2)
    assert listener.connections >= 1


@pytest.mark.parametrize(
    "form",
    ["service", "silent service", "service in exists", "escaped service", "from", "from remote",
     "from named", "load", "insert", "delete where", "clear", "drop", "create"],
)
def test_refused_forms_never_connect(listener: Listener, store, form: str):
    text = refused_queries(listener.port)[form]
    with pytest.raises(QueryError, match=r"refused|syntax error"):
        run_embedded(text, store)
    time.sleep(0.05)
    assert listener.connections == 0


def test_refusal_messages_are_clear():
    with pytest.raises(QueryError, match=r"refused: SERVICE <http://x/> would query another"):
        parse_query_text("SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } }")
    with pytest.raises(QueryError, match=r"refused: FROM NAMED <http://g>"):
        parse_query_text("SELECT * FROM NAMED <http://g> WHERE { ?s ?p ?o }")
    with pytest.raises(QueryError, match=r"refused: this is a SPARQL update \(LOAD\)"):
        parse_query_text("LOAD <http://x/>")
    with pytest.raises(QueryError, match=r"update \(DELETE WHERE, INSERT DATA\)"):
        parse_query_text(
            "INSERT DATA { <http://a> <http://b> <http://c> } ; DELETE WHERE { ?s ?p ?o }"
        )


def _children() -> set[int]:
    pids: set[int] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        children = (task / "children").read_text().split()
        pids.update(int(pid) for pid in children)
    return pids


@pytest.fixture(scope="module")
def big_store() -> pyoxigraph.Store:
    store = pyoxigraph.Store()
    for index in range(3000):
        store.add(pyoxigraph.Quad(
            pyoxigraph.NamedNode(f"http://example.org/s{index}"),
            pyoxigraph.NamedNode(f"http://example.org/p{index % 7}"),
            pyoxigraph.Literal(f"value {index}"),
        ))
    return store


CARTESIAN = ("SELECT ?a ?b ?c ?d ?e WHERE "
             "{ ?a ?p1 ?o1 . ?b ?p2 ?o2 . ?c ?p3 ?o3 . ?d ?p4 ?o4 . ?e ?p5 ?o5 }")


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
@pytest.mark.parametrize(
    "text", [CARTESIAN, CARTESIAN.replace("?a ?b ?c ?d ?e", "(COUNT(*) AS ?n)")]
)
def test_pathological_query_is_stopped_and_its_worker_is_gone(big_store, text: str):
    before = _children()
    started = time.monotonic()
    with pytest.raises(QueryTimeoutError, match=r"ran past its 2 s limit and was stopped"):
        run_embedded(parse_query_text(text, name="cartesian"), big_store, timeout=2)
    elapsed = time.monotonic() - started
    # Stopped at its deadline, not run to the end (which would take hours); the bound is
    # loose because CI machines are noisy.
    assert 1.9 <= elapsed < 30
    # Its worker was killed and reaped; no new child is left behind. (Workers of other
    # stores may have been stopped meanwhile, so compare new children only.)
    assert not _children() - before


def test_worker_errors_and_deaths_are_reported():
    with pytest.raises(DeadlinePassed):
        run_with_deadline(lambda: time.sleep(10), timeout=0.2)
    assert run_with_deadline(lambda: [("iri", "x")] * 3, timeout=5) == [("iri", "x")] * 3
    with pytest.raises(Exception, match="died"):
        run_with_deadline(lambda: os.kill(os.getpid(), 9), timeout=5)


def test_queries_on_one_store_reuse_one_worker(store):
    # No fork per query: after the first call, further calls run in the same worker.
    query = parse_query_text("SELECT ?s WHERE { ?s ?p ?o } LIMIT 3")
    first = run_embedded(query, store)
    worker = runner_for(store).worker_pids[0]
    assert worker in _children()  # the worker stays after the query
    for _ in range(20):
        assert run_embedded(query, store) == first
    assert runner_for(store).worker_pids[0] == worker
    assert worker in _children()


# --- the operating system's guarantee: the worker has no network at all --------------------

def _connect_from_child(port: int) -> str:
    """Run in a worker child: try to reach the listener; say what happened."""
    from compact_kg._deadline import network_cut

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return "connected"
    except OSError as error:
        return f"refused:{network_cut()}:{error.errno}"


def test_a_worker_child_has_no_route_even_to_loopback(listener: Listener):
    answer = run_with_deadline(lambda: _connect_from_child(listener.port), timeout=10)
    assert answer.startswith("refused:True:"), answer
    assert listener.connections == 0


def test_a_service_call_that_passes_the_text_checks_still_reaches_nothing(
    listener: Listener, store
):
    """Whatever a parser disagreement lets through, the engine's process cannot call out.

    The query goes to the store's worker as raw text, skipping every check of the text, as a
    query that fooled the guard would; pyoxigraph then runs the SERVICE clause itself (the
    control test above shows that it calls out when it can).
    """
    here = f"http://127.0.0.1:{listener.port}/sparql"
    text = f"SELECT * WHERE {{ SERVICE <{here}> {{ ?s ?p ?o }} }}"
    runner = runner_for(store)
    with pytest.raises(Exception):  # noqa: B017 - any failure will do; no connection
        runner._pool.call((text, "tsv", "nt", True), timeout=20)
    time.sleep(0.3)  # let the listener's accept loop see a late connection, were there one
    assert listener.connections == 0


# --- the operating system's guarantee: the worker has no files either ----------------------

def _touch_files_from_child(secret: str, target: str) -> list[str]:
    """Run in a worker child: try to read, list and write; say what happened to each."""
    from compact_kg._deadline import files_confined

    outcomes = [f"confined:{files_confined()}"]
    attempts = {
        "read": lambda: Path(secret).read_text(),
        "list": lambda: os.listdir(Path(secret).parent),
        "write": lambda: Path(target).write_text("x"),
        "proc": lambda: Path("/proc/self/environ").read_bytes(),
    }
    for name, attempt in attempts.items():
        try:
            attempt()
            outcomes.append(f"{name}:done")
        except OSError as error:
            outcomes.append(f"{name}:{error.errno}")
    return outcomes


def test_a_worker_child_can_open_no_file(tmp_path: Path):
    secret = tmp_path / "secret.txt"
    secret.write_text("not for queries")
    target = tmp_path / "written.txt"
    outcomes = run_with_deadline(lambda: _touch_files_from_child(str(secret), str(target)),
                                 timeout=10)
    assert outcomes[0] == "confined:True", outcomes
    assert not [o for o in outcomes[1:] if o.endswith(":done")], outcomes
    assert not target.exists()


def test_the_store_worker_is_isolated_and_still_answers(store):
    # Isolation does not stop the work: the store's worker answers after giving up files.
    runner = runner_for(store)
    result = run_embedded("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", store)
    assert int(result.rows[0][0]) > 0
    answer = runner._pool.call(("ASK { FILTER(true) }", "tsv", "nt", True), timeout=10)
    assert answer[0] == "ask"


def test_without_isolation_only_saved_queries_run(monkeypatch, store, tmp_path: Path):
    """Where the kernel offers neither namespaces nor Landlock, user texts are refused, in
    the worker itself, and the saved queries still run."""
    from compact_kg import _deadline
    from compact_kg.queries import QueryRunner, find_query

    monkeypatch.setattr(_deadline, "cut_network", lambda: False)
    monkeypatch.setattr(_deadline, "confine_files", lambda: False)
    queries_dir = Path(__file__).resolve().parents[1] / "queries"
    with QueryRunner(store) as runner:  # forked after the patch: a worker with no isolation
        saved = find_query("labels", queries_dir)
        assert saved.trusted
        assert runner.run(saved, {"type": "https://w3id.org/compact-kg/def/Area"}).rows
        user_file = tmp_path / "mine.rq"
        user_file.write_text("SELECT * WHERE { ?s ?p ?o } LIMIT 1\n")
        mine = find_query(str(user_file), queries_dir)
        assert not mine.trusted
        with pytest.raises(QueryError, match=r"mine\.rq: refused: this machine cannot cut the "
                                             r"query worker off from the network"):
            runner.run(mine)
        with pytest.raises(QueryError, match="only the saved queries of queries/ run here"):
            runner.run("SELECT * WHERE { ?s ?p ?o } LIMIT 1")
