"""Serve the site on the loopback interface, with content negotiation and a read-only
SPARQL 1.1 Protocol endpoint.

``compact-kg serve`` answers with the same bytes at the same paths as the site that
:func:`compact_kg.publish.publish_site` writes, but does not write that site first. At
start-up it reads the sources once (:func:`compact_kg.graphs.load_index`), loads the SPARQL
store from the triples read, forks the query workers and starts answering. Then:

* ``/id/area/surrey`` (any resource path without an extension) answers with HTML, Turtle,
  JSON-LD, RDF/XML or N-Triples by the ``Accept`` header (q-values and wildcards honoured),
  and ``406 Not Acceptable`` when none of those is acceptable; ``/id/area/surrey.ttl`` and
  the like answer with that one. A resource's representation is rendered when it is asked
  for, by the code that ``publish`` writes it with
  (:func:`compact_kg.publish.render_resource`), and kept in a bounded cache.
* The site-wide files (landing, index and documentation pages, dumps and their
  SHA256SUMS, VoID, server configuration) are written into a temporary folder by a
  process forked at start-up (:func:`compact_kg.publish.write_site_files`), which works
  while the store loads and the server answers; a request for one of them waits until
  they are there (the landing page and the VoID list the dumps' sizes and checksums, so
  they come after the dumps, the longest part).
* ``/sparql`` answers ``GET ?query=`` and ``POST`` (form or ``application/sparql-query``) with
  SPARQL results in JSON, XML, CSV or TSV (by ``Accept`` or ``format=``), or RDF for
  CONSTRUCT/DESCRIBE. Updates are refused (403), and so are ``SERVICE``, ``FROM`` and
  ``FROM NAMED`` (400). Queries run through the saved-query engine
  (:mod:`compact_kg.queries`) in persistent forked workers (one per CPU, forked before the
  server's threads start), a query past its deadline stopped (503); bodies are
  pyoxigraph's own serialisations. Responses carry an ``ETag`` and are kept in a bounded
  cache (the dataset does not change while serving); ``Cache-Control: no-cache`` in a
  request bypasses it.
* ``/.well-known/void`` is the VoID description.

Every response except an HTML page carries ``Access-Control-Allow-Origin: *`` (the endpoint,
the RDF representations, the dumps, the VoID, and the plain-text errors, so that a script on
another origin, such as YASGUI, can read the answer and its status); ``OPTIONS`` answers a
CORS preflight. No credentials are ever allowed: the data are public and read-only. HTML
pages go without: browsers navigate to them and load their images and styles, none of which
CORS governs, and a script wanting a resource's data asks for its RDF at the same path; the
submission pages (``/submit``) are for people filling in forms, and go without too.

Connections are bounded (:class:`ConnectionLimits`): at most ``max_connections`` are open,
each has ``read_timeout`` seconds to send a whole request and ``keep_alive`` seconds of idle
time between requests. A connection past its time is closed by the server's accept loop;
when every place is taken, a new connection closes the one that has waited longest for its
request, or, when every connection is being answered, gets an immediate ``503`` with
``Retry-After``. So idle or slow clients (slowloris) cannot hold the server.

Only loopback addresses may be bound: this is a preview and demo server, not a public one.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import ipaddress
import mimetypes
import os
import posixpath
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

import pyoxigraph

from compact_kg.errors import InputError, QueryError, QueryTimeoutError
from compact_kg.paths import ProjectPaths

if TYPE_CHECKING:
    from rdflib import URIRef

    from compact_kg.desk import Desk
    from compact_kg.dumps import OxTerms
    from compact_kg.graphs import IndexedSources
    from compact_kg.queries import QueryRunner
    from compact_kg.site import Site

__all__ = ["ConnectionLimits", "OnDemandSite", "ResultCache", "RunningServer", "check_query",
           "negotiate", "run_sparql", "serve_forever", "start_server"]

MAX_BODY = 1_000_000
DEFAULT_CACHE_BYTES = 64 << 20
"""Bytes of query responses a server keeps by default."""
DEFAULT_PAGE_CACHE_BYTES = 64 << 20
"""Bytes of rendered resource representations a server keeps by default."""
#: The IRI conversion cache of the resource renderer is started afresh past this size.
_MAX_CACHED_IRIS = 500_000

# Representations of a resource, in the server's order of preference.
REPRESENTATIONS: dict[str, str] = {
    "text/html": ".html",
    "text/turtle": ".ttl",
    "application/ld+json": ".jsonld",
    "application/rdf+xml": ".rdf",
    "application/n-triples": ".nt",
}
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8", ".ttl": "text/turtle; charset=utf-8",
    ".jsonld": "application/ld+json", ".rdf": "application/rdf+xml",
    ".nt": "application/n-triples", ".gz": "application/gzip", ".svg": "image/svg+xml",
    ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
    ".conf": "text/plain; charset=utf-8", "": "text/plain; charset=utf-8",
}
# SPARQL results: short name -> (media type, format name for the serialiser)
RESULT_FORMATS = {
    "json": ("application/sparql-results+json", "json"),
    "xml": ("application/sparql-results+xml", "xml"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "tsv": ("text/tab-separated-values; charset=utf-8", "tsv"),
}
GRAPH_FORMATS = {
    "turtle": ("text/turtle", "turtle"),
    "ntriples": ("application/n-triples", "nt"),
    "rdfxml": ("application/rdf+xml", "xml"),
}
_ALIASES = {"application/json": "application/sparql-results+json",
            "application/xml": "application/sparql-results+xml",
            "text/xml": "application/sparql-results+xml"}


# ---------------------------------------------------------------------------------------
# Content negotiation
# ---------------------------------------------------------------------------------------


def _accept_ranges(header: str) -> Iterator[tuple[str, float]]:
    for part in header.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        if not media:
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        yield _ALIASES.get(media.lower(), media.lower()), q


def negotiate(accept: str | None, available: list[str]) -> str | None:
    """The media type of ``available`` best matching an Accept header (None: 406).

    The most specific matching range gives a type its quality (``type/sub`` over ``type/*``
    over ``*/*``); the highest quality wins, ties going to the earlier entry of
    ``available``. A missing or empty header accepts the first.
    """
    if not accept or not accept.strip():
        return available[0] if available else None
    ranges = list(_accept_ranges(accept))
    best, best_q = None, 0.0
    for media in available:
        main = media.split("/")[0]
        quality, specificity = 0.0, -1
        for pattern, q in ranges:
            rank = 3 if pattern == media else 2 if pattern == f"{main}/*" else \
                1 if pattern == "*/*" else -1
            if rank > specificity:
                quality, specificity = q, rank
        if specificity >= 0 and quality > best_q:
            best, best_q = media, quality
    return best


# ---------------------------------------------------------------------------------------
# SPARQL: checking and running queries
# ---------------------------------------------------------------------------------------


def _walk(node: Any) -> Iterator[Any]:
    from pyparsing import ParseResults

    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list | tuple | ParseResults):
        for value in node:
            yield from _walk(value)


def check_query(text: str) -> str:
    """Parse a query and refuse what this endpoint does not run; returns the query form
    (``SelectQuery``, ``AskQuery``, ``ConstructQuery`` or ``DescribeQuery``).

    Raises :class:`QueryError` with ``status`` 403 for updates and 400 for syntax errors,
    ``SERVICE``, ``FROM`` and ``FROM NAMED``. An accepted text is remembered, so it is
    parsed once per process.
    """
    return _check_query_cached(text)


@functools.lru_cache(maxsize=512)
def _check_query_cached(text: str) -> str:
    from pyparsing import ParseException

    from compact_kg.queries import parse_query_tree, parse_update_tree
    from compact_kg.sparqltext import canonical_query

    try:  # the text the guard and the engine both read (compact_kg.sparqltext)
        text = canonical_query(text, "query").text
    except QueryError as error:
        raise _refusal(400, str(error)) from None
    try:
        parsed = parse_query_tree(text)
    except (ParseException, ValueError) as error:
        try:
            parse_update_tree(text)
        except (ParseException, ValueError, RecursionError):
            if not isinstance(error, ParseException):
                raise _refusal(400, f"the query does not parse: {error}") from error
            raise _refusal(400, f"the query does not parse: {error.msg} at line "
                                f"{error.lineno}, column {error.col}") from error
        raise _refusal(403, "updates are not allowed: this endpoint is read-only") from error
    except RecursionError as error:
        raise _refusal(400, "the query is nested too deeply") from error
    query = parsed[1]
    if "datasetClause" in query:
        raise _refusal(400, "FROM and FROM NAMED are not allowed: the endpoint queries its "
                            "own graph only")
    for node in _walk(parsed):
        if getattr(node, "name", None) == "ServiceGraphPattern":
            raise _refusal(400, "SERVICE is not allowed: the endpoint makes no outside "
                                "requests")
    return str(query.name)


def _refusal(status: int, message: str) -> QueryError:
    error = QueryError(message)
    error.status = status  # type: ignore[attr-defined]
    return error


def run_sparql(query: str, fmt: str, *, graph_result: bool, store: pyoxigraph.Store,
               timeout: float, runner: QueryRunner | None = None,
               values: dict[str, str] | None = None) -> bytes:
    """Run a read-only query on ``store`` and serialise its result in ``fmt``.

    The one place queries run: it goes through the saved-query engine
    (:mod:`compact_kg.queries`), which refuses updates, SERVICE and FROM on the parse tree,
    binds ``values`` to the parameters its ``#+ param:`` lines declare (their defaults for
    the rest; a wrong value is ParameterError), and runs the query in a persistent forked
    worker (``runner``, by default the store's) killed at ``timeout`` seconds
    (QueryTimeoutError). The body is pyoxigraph's own serialisation of the result.
    """
    from compact_kg.queries import parse_query_text, runner_for

    saved = parse_query_text(query, name="request")
    runner = runner or runner_for(store)
    if graph_result:
        result = runner.run(saved, values or None, timeout, graph_fmt=fmt)
    else:
        result = runner.run(saved, values or None, timeout, fmt=fmt)
    body = result.serialized(fmt)
    if body is None:  # the query's form differs from the one checked (cannot happen)
        raise QueryError("the query's result does not match its form")
    return body


class ResultCache:
    """Response bodies of queries by (query text, format), least recently used dropped first.

    The served dataset is read-only while the server runs, so a body stays right until the
    server stops. At most ``max_bytes`` in all; bodies over an eighth of that are not kept.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[str, str], tuple[bytes, str]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> tuple[bytes, str] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: tuple[str, str], body: bytes) -> str:
        """Remember ``body``; returns its ETag."""
        etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
        if len(body) > self.max_bytes // 8:
            return etag
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= len(old[0])
            self._entries[key] = (body, etag)
            self._size += len(body)
            while self._size > self.max_bytes:
                _, (dropped, _) = self._entries.popitem(last=False)
                self._size -= len(dropped)
        return etag


# ---------------------------------------------------------------------------------------
# The site, rendered on demand
# ---------------------------------------------------------------------------------------


class OnDemandSite:
    """The published site without publishing it: a resource's representations rendered
    when asked for (kept in a bounded cache), the site-wide files written once into
    ``site.out`` by a forked process (:meth:`fork_builder`).

    Both come from the code ``publish`` writes them with, so the bytes are the same.
    """

    def __init__(self, site: Site, sources: IndexedSources, cache_bytes: int) -> None:
        from compact_kg.dumps import OxTerms
        from compact_kg.graphs import prefixes
        from compact_kg.publish import resource_paths

        self.site = site
        self.root = site.out
        self.resources: dict[str, URIRef] = resource_paths(site)
        self._namespaces = prefixes(site.base)
        self._terms: OxTerms = OxTerms(self._namespaces)
        self._sources: IndexedSources | None = sources
        self._cache = ResultCache(cache_bytes) if cache_bytes > 0 else None
        self._built = threading.Event()
        self._failure: str | None = None
        self._builder = 0  # its process id until it is reaped
        self._pipe = -1
        self._reaping = threading.Lock()
        site.env.get_template("resource.html")  # compiled once, before any thread

    def representation(self, path: str, extension: str) -> bytes:
        """The bytes of the file ``path.extension`` of a resource (``path`` a key of
        :attr:`resources`, ``extension`` one of ``RESOURCE_EXTENSIONS``)."""
        from compact_kg.dumps import OxTerms
        from compact_kg.publish import render_resource

        key = (path, extension)
        hit = self._cache.get(key) if self._cache is not None else None
        if hit is not None:
            return hit[0]
        terms = self._terms
        if len(terms) > _MAX_CACHED_IRIS:  # bounded memory; the same output
            terms = self._terms = OxTerms(self._namespaces)
        body = render_resource(self.site, self.resources[path], path, terms, (extension,))[
            extension]
        if self._cache is not None:
            self._cache.put(key, body)
        return body

    def fork_builder(self) -> None:
        """Fork the process that writes the site-wide files
        (:func:`compact_kg.publish.write_site_files`); call it before any thread starts,
        then :meth:`watch_builder` in a thread.

        A process rather than a thread: it works on the other core, without holding this
        process's GIL while requests are answered, and the memory it takes for the dumps
        (whole-graph serialisations) is given back when it exits."""
        from compact_kg.publish import write_site_files

        sources, self._sources = self._sources, None
        if sources is None:
            raise RuntimeError("the builder of the site's files is forked once")
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child (its files are checked by the tests)
            os.close(read_end)
            status = 0
            try:
                write_site_files(self.site, sources)
            except BaseException as error:  # reported by the parent to every request
                os.write(write_end, str(error).encode("utf-8", "replace")[:2000])
                status = 1
            finally:
                os._exit(status)
        os.close(write_end)
        self._builder, self._pipe = pid, read_end
        sources.parts.clear()  # only the builder needs them

    def watch_builder(self) -> None:
        """Wait for the builder to exit (run in a thread): then requests for the site-wide
        files are answered, or told why they cannot be."""
        with os.fdopen(self._pipe, "rb") as pipe:  # at its end, the builder has exited
            message = pipe.read().decode("utf-8", "replace")
        with self._reaping:
            _, status = os.waitpid(self._builder, 0)
            self._builder = 0
        if status != 0:
            self._failure = ("the site's files could not be written: "
                             + (message or f"the process writing them ended ({status})"))
        self._built.set()

    def stop(self) -> None:
        """Stop the builder if it still runs (:meth:`watch_builder` reaps it)."""
        with self._reaping:
            if self._builder:
                os.kill(self._builder, signal.SIGTERM)

    def abandon(self) -> None:
        """Stop and reap the builder when no thread watches it (start-up failed)."""
        with self._reaping:
            if self._builder:
                os.kill(self._builder, signal.SIGTERM)
                os.waitpid(self._builder, 0)
                self._builder = 0
                os.close(self._pipe)

    def wait_built(self, timeout: float | None = None) -> tuple[bool, str | None]:
        """Wait until the builder has exited: whether it has, and its failure."""
        return self._built.wait(timeout), self._failure


# ---------------------------------------------------------------------------------------
# Connections: how many, and how long each may wait
# ---------------------------------------------------------------------------------------

#: A request body, and a response, must move at least this many bytes a second: each gets
#: ``read_timeout`` plus one second per this many bytes.
MIN_TRANSFER_RATE = 64 << 10
#: How often (seconds) the accept loop closes the connections past their time.
_REAP_EVERY = 0.25
#: How long (seconds) a refused connection is kept half-open for its client to read the 503:
#: closing a socket with unread data in it would reset it, losing the answer.
_LINGER = 2.0


@dataclass(frozen=True)
class ConnectionLimits:
    """How many connections a server keeps open and how long it waits for each client.

    ``max_connections``: connections open at once. When all are taken, a new connection
    closes the one that has waited longest for its request (never one being answered);
    when every one is being answered it gets ``503 Service Unavailable`` with
    ``Retry-After`` at once. ``read_timeout``: seconds a client has to send its request
    line and headers, from connecting (or, on a kept-alive connection, from the first byte
    of its next request); a body gets one more second per ``MIN_TRANSFER_RATE`` bytes, and so
    does a response for the client to take. ``keep_alive``: seconds an idle connection is
    kept open for a next request.
    """

    max_connections: int = 100
    read_timeout: float = 5.0
    keep_alive: float = 5.0

    def __post_init__(self) -> None:
        if self.max_connections < 1 or self.read_timeout <= 0 or self.keep_alive <= 0:
            raise ValueError(f"connection limits must be positive: {self}")


@dataclass
class _Connection:
    waiting: bool  # for (the rest of) a request, so it may be closed; False while answered
    since: float  # when it began to wait
    deadline: float  # when it is closed if still waiting


class _Connections:
    """The open connections of a server, by socket; thread-safe.

    A connection is closed by ``shutdown`` from the accept loop (its handler thread, blocked
    in a read, then sees the end of the stream and closes the socket): always under the
    lock and while it is still registered, and a handler unregisters before it closes, so
    the socket shut down is never another one that took the same descriptor.
    """

    def __init__(self, limits: ConnectionLimits) -> None:
        self.limits = limits
        self._open: dict[socket.socket, _Connection] = {}
        self._lock = threading.Lock()
        self._next_reap = 0.0
        # Refused connections, answered and shut for writing (only the accept loop uses it).
        self._lingering: deque[tuple[float, socket.socket]] = deque()

    def __len__(self) -> int:
        return len(self._open)

    def admit(self, sock: socket.socket) -> bool:
        """Register a new connection, closing the longest-waiting one if every place is
        taken; False when none can be closed (every connection is being answered)."""
        now = time.monotonic()
        with self._lock:
            if len(self._open) >= self.limits.max_connections:
                waiting = [(c.since, id(s), s) for s, c in self._open.items() if c.waiting]
                if not waiting:
                    return False
                self._drop(min(waiting)[2])
            self._open[sock] = _Connection(True, now, now + self.limits.read_timeout)
        return True

    def wait(self, sock: socket.socket, seconds: float, *, restart: bool = True) -> None:
        """The connection waits for its client, for at most ``seconds`` from now
        (``restart=False``: its place in the queue of the longest-waiting kept)."""
        now = time.monotonic()
        with self._lock:
            connection = self._open.get(sock)
            if connection is not None:
                connection.waiting, connection.deadline = True, now + seconds
                if restart:
                    connection.since = now

    def busy(self, sock: socket.socket) -> None:
        """The connection's request is in: it is being answered."""
        with self._lock:
            connection = self._open.get(sock)
            if connection is not None:
                connection.waiting = False

    def release(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.pop(sock, None)

    def reap(self) -> None:
        """Close the connections whose client is past its time (a few times a second)."""
        now = time.monotonic()
        if now < self._next_reap:
            return
        self._next_reap = now + _REAP_EVERY
        with self._lock:
            for sock in [s for s, c in self._open.items() if c.waiting and c.deadline <= now]:
                self._drop(sock)
        for _ in range(len(self._lingering)):
            until, sock = self._lingering.popleft()
            if until > now and not _drained(sock):
                self._lingering.append((until, sock))
            else:
                sock.close()

    def linger(self, sock: socket.socket) -> None:
        """Keep a refused connection (answered, shut for writing) until its client has
        read the answer or for ``_LINGER`` seconds; at most ``max_connections`` of them."""
        self._lingering.append((time.monotonic() + _LINGER, sock))
        while len(self._lingering) > self.limits.max_connections:
            self._lingering.popleft()[1].close()

    def close_all(self) -> None:
        with self._lock:
            for sock in list(self._open):
                self._drop(sock)
        while self._lingering:
            self._lingering.popleft()[1].close()

    def _drop(self, sock: socket.socket) -> None:
        del self._open[sock]
        with contextlib.suppress(OSError):  # the client has gone already
            sock.shutdown(socket.SHUT_RDWR)


def _refuse(sock: socket.socket) -> None:
    """Answer a connection there is no place for with 503, without waiting for it, and
    shut it for writing (:meth:`_Connections.linger` closes it)."""
    body = b"the server is answering as many clients as it can; try again in a moment\n"
    head = (f"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\nContent-Length: {len(body)}\r\n"
            "Access-Control-Allow-Origin: *\r\nConnection: close\r\n\r\n")
    with contextlib.suppress(OSError):
        sock.setblocking(False)
        sock.send(head.encode("ascii") + body)  # a few hundred bytes: the buffer takes them
        sock.shutdown(socket.SHUT_WR)


def _drained(sock: socket.socket) -> bool:
    """Read (and drop) what a refused client sent; True once it has closed its side."""
    try:
        while sock.recv(1 << 16):
            pass
    except BlockingIOError:
        return False
    except OSError:
        pass
    return True


# ---------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------

#: What a CORS preflight is told, besides the origin: the methods of the path, these
#: request headers, and for how long (seconds) a browser may keep the answer.
_PREFLIGHT_HEADERS = "Content-Type, Accept"
_PREFLIGHT_MAX_AGE = "86400"


class _Handler(BaseHTTPRequestHandler):
    server_version = "compact-kg"
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    # -- the connection: a request at a time, each within its time -------------------------

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.limits.read_timeout)

    def handle(self) -> None:
        self.close_connection = True
        self.handle_one_request()
        while not self.close_connection and self._next_request_arrives():
            self.handle_one_request()

    def _next_request_arrives(self) -> bool:
        """Wait up to the keep-alive time for a next request to start; then it has the
        read timeout to arrive."""
        limits, connections = self.server.limits, self.server.connections
        connections.wait(self.connection, limits.keep_alive)
        self.connection.settimeout(limits.keep_alive)
        try:
            if not self.rfile.peek(1):  # the client closed it, or the server did
                return False
        except OSError:  # a timeout among them
            return False
        connections.wait(self.connection, limits.read_timeout, restart=False)
        self.connection.settimeout(limits.read_timeout)
        return True

    def parse_request(self) -> bool:
        parsed = super().parse_request()
        if parsed:
            self.server.connections.busy(self.connection)
        return parsed

    # -- responses -------------------------------------------------------------------------

    def _send(self, status: int, body: bytes, content_type: str,
              headers: dict[str, str] | None = None, *, cors: bool = True) -> None:
        # A body has its size's worth of time to go (sendall's timeout is for all of it).
        self.connection.settimeout(self.server.limits.read_timeout
                                   + len(body) / MIN_TRANSFER_RATE)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        if content_type.startswith("text/html"):
            self.send_header("Content-Security-Policy",
                             "default-src 'self'; script-src 'self' 'unsafe-inline'; "
                             "style-src 'self' 'unsafe-inline'; img-src 'self' data:")
        elif cors:  # data, not a page: any origin may read it (module docstring)
            self.send_header("Access-Control-Allow-Origin", "*")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        self._send(status, (message + "\n").encode("utf-8"), "text/plain; charset=utf-8",
                   headers)

    # -- routing ---------------------------------------------------------------------------

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if self.server.desk is not None and self.server.desk.handles(url.path):
            self._desk(url.path, b"")
        elif url.path == "/sparql":
            self._sparql(parse_qs(url.query, keep_blank_values=True))
        else:
            self._static(unquote(url.path))

    def do_OPTIONS(self) -> None:
        """The methods of a path; with the CORS headers, the answer to a preflight."""
        methods = "GET, POST, OPTIONS" if urlsplit(self.path).path == "/sparql" \
            else "GET, HEAD, OPTIONS"
        self.send_response(204)
        for key, value in (("Allow", methods), ("Access-Control-Allow-Origin", "*"),
                           ("Access-Control-Allow-Methods", methods),
                           ("Access-Control-Allow-Headers", _PREFLIGHT_HEADERS),
                           ("Access-Control-Max-Age", _PREFLIGHT_MAX_AGE)):
            self.send_header(key, value)
        self.end_headers()

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        if self.server.desk is not None and self.server.desk.handles(url.path):
            self._desk_post(url.path)
            return
        if url.path != "/sparql":
            self._error(405, "only /sparql accepts POST", {"Allow": "GET, HEAD, OPTIONS"})
            return
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True  # the body that follows cannot be skipped
            self._error(411, "send the query with a Content-Length, not in chunks")
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self.close_connection = True
            self._error(413, f"the request body must be at most {MAX_BODY} bytes")
            return
        body = self._read_body(length)
        if body is None:
            return
        kind = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        params = parse_qs(url.query, keep_blank_values=True)
        if kind == "application/x-www-form-urlencoded":
            params.update(parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True))
        elif kind == "application/sparql-query":
            params["query"] = [body.decode("utf-8", "replace")]
        elif kind == "application/sparql-update":
            self._error(403, "updates are not allowed: this endpoint is read-only")
            return
        else:
            self._error(415, "send application/sparql-query or a form with query=")
            return
        self._sparql(params)

    def _desk_post(self, path: str) -> None:
        from compact_kg.desk import MAX_UPLOAD_BYTES

        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        limit = MAX_UPLOAD_BYTES + 64_000  # the file and the form around it
        if length < 0 or length > limit:
            remaining = length if 0 < length <= 4 * limit else 0
            self._allow_body(remaining)
            while remaining > 0:  # read it away, so that a browser shows the answer
                chunk = self.rfile.read(min(1 << 16, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
            self.close_connection = True
            self._error(413, f"an upload may be at most {MAX_UPLOAD_BYTES // 1_000_000} MB; "
                        "a case study fits in far less")
            return
        body = self._read_body(length)
        if body is not None:
            self._desk(path, body)

    def _desk(self, path: str, body: bytes) -> None:
        """A page of the submission desk (``serve --submissions``): for people filling in
        forms, not for scripts, so without CORS headers."""
        answer = self.server.desk.handle(self.command, path,
                                         self.headers.get("Content-Type") or "", body)
        self._send(answer.status, answer.body, answer.content_type, answer.headers,
                   cors=False)

    def _allow_body(self, length: int) -> None:
        """Give a body of ``length`` bytes its time to arrive (ConnectionLimits)."""
        seconds = self.server.limits.read_timeout + length / MIN_TRANSFER_RATE
        self.server.connections.wait(self.connection, seconds, restart=False)
        self.connection.settimeout(seconds)

    def _read_body(self, length: int) -> bytes | None:
        """The request body, read within its time; None (and the connection to be closed)
        when the client stopped sending or took too long."""
        self._allow_body(length)
        body = self.rfile.read(length)
        if len(body) < length:
            self.close_connection = True
            return None
        self.server.connections.busy(self.connection)
        return body

    def do_PUT(self) -> None:
        self._error(405, "the site is read-only", {"Allow": "GET, HEAD, POST, OPTIONS"})

    do_DELETE = do_PATCH = do_PUT

    # -- static files and resources --------------------------------------------------------

    def _static(self, path: str) -> None:
        from compact_kg.publish import RESOURCE_EXTENSIONS

        site = self.server.site
        if path == "/.well-known/void":
            path = "/void.ttl"
        clean = posixpath.normpath(path)
        if ".." in clean.split("/") or "\x00" in clean:
            self._error(400, "bad path")
            return
        relative = clean.lstrip("/")
        if path.endswith("/"):
            relative = (relative + "/index").lstrip("/") if relative else "index"
        # A resource's file, rendered now ...
        stem, dot, extension = relative.rpartition(".")
        if dot and extension in RESOURCE_EXTENSIONS and stem in site.resources:
            self._send(200, site.representation(stem, extension),
                       CONTENT_TYPES["." + extension])
            return
        # ... or a resource path, by the Accept header ...
        if relative in site.resources:
            self._negotiated(relative, list(REPRESENTATIONS),
                             lambda chosen: site.representation(relative, chosen[1:]))
            return
        # ... or one of the site-wide files, once they are written.
        done, failure = site.wait_built(self.server.build_wait)
        if not done:
            self._error(503, "the site's files are still being written; try again shortly",
                        {"Retry-After": "10"})
            return
        if failure is not None:
            self._error(500, failure)
            return
        root = site.root
        target = root / relative
        if relative and target.is_file():
            self._file(target)
            return
        available = [media for media, ext in REPRESENTATIONS.items()
                     if (root / (relative + ext)).is_file()]
        if not available:
            self._error(404, f"nothing at {path}")
            return
        self._negotiated(relative, available,
                         lambda chosen: (root / (relative + chosen)).read_bytes())

    def _negotiated(self, relative: str, available: list[str],
                    read: Callable[[str], bytes]) -> None:
        """Answer with the representation of ``available`` that the Accept header prefers
        (``read(extension)`` gives its bytes), or 406."""
        chosen = negotiate(self.headers.get("Accept"), available)
        if chosen is None:
            self._error(406, "none of the available representations is acceptable: "
                             + ", ".join(available), {"Vary": "Accept"})
            return
        extension = REPRESENTATIONS[chosen]
        self._send(200, read(extension), CONTENT_TYPES[extension],
                   {"Vary": "Accept", "Content-Location": "/" + relative + extension})

    def _file(self, file: Path, headers: dict[str, str] | None = None) -> None:
        kind = CONTENT_TYPES.get(file.suffix) or mimetypes.guess_type(file.name)[0] \
            or "application/octet-stream"
        self._send(200, file.read_bytes(), kind, headers)

    # -- SPARQL ----------------------------------------------------------------------------

    def _sparql(self, params: dict[str, list[str]]) -> None:
        if "update" in params:
            self._error(403, "updates are not allowed: this endpoint is read-only")
            return
        queries = params.get("query") or []
        if len(queries) != 1 or not queries[0].strip():
            self._error(400, "give exactly one query (query= parameter or request body)")
            return
        for key in ("default-graph-uri", "named-graph-uri"):
            if params.get(key):
                self._error(400, f"{key} is not supported: the endpoint has one graph")
                return
        values: dict[str, str] = {}
        for pair in params.get("param", []):  # param=NAME=VALUE: a saved query's parameter
            name, sep, value = pair.partition("=")
            if not sep or not name or name in values:
                self._error(400, "write each parameter once, as param=NAME=VALUE")
                return
            values[name] = value
        try:
            form = check_query(queries[0])
        except QueryError as error:
            self._error(getattr(error, "status", 400), str(error))
            return
        graph_result = form in {"ConstructQuery", "DescribeQuery"}
        table = GRAPH_FORMATS if graph_result else RESULT_FORMATS
        wanted = (params.get("format") or [""])[0].lower()
        if wanted:
            name = next((key for key, (media, _) in table.items()
                         if wanted in {key, media.split(";")[0]}), None)
        else:
            media = negotiate(self.headers.get("Accept"),
                              [m.split(";")[0] for m, _ in table.values()])
            name = next((key for key, (m, _) in table.items() if m.split(";")[0] == media),
                        None)
        if name is None:
            self._error(406, "cannot answer in that format; choose one of "
                             + ", ".join(table))
            return
        media_type, fmt = table[name]
        cache = self.server.cache
        key = (queries[0] + "".join(f"\0{n}={v}" for n, v in sorted(values.items())), fmt)
        fresh = "no-cache" in (self.headers.get("Cache-Control") or "").lower()
        hit = cache.get(key) if cache is not None and not fresh else None
        if hit is not None:
            body, etag = hit
        else:
            try:
                body = run_sparql(queries[0], fmt, graph_result=graph_result,
                                  store=self.server.store, timeout=self.server.timeout,
                                  runner=self.server.runner, values=values)
            except QueryTimeoutError as error:
                self._error(503, str(error))
                return
            except QueryError as error:
                self._error(getattr(error, "status", 400), str(error))
                return
            etag = cache.put(key, body) if cache is not None else None
        headers = {"Vary": "Accept"}
        if etag is not None:
            headers.update({"ETag": etag, "Cache-Control": "public, max-age=60"})
            if etag in (self.headers.get("If-None-Match") or ""):
                self.send_response(304)
                for header, value in headers.items():
                    self.send_header(header, value)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        self._send(200, body, media_type, headers)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 drops connections when a few clients connect at
    # once, and each dropped SYN costs the client a 1 s retransmission.
    request_queue_size = 128

    #: How long a request for a site-wide file waits for them to be written (seconds).
    build_wait = 3600.0

    def __init__(self, address: tuple[str, int], site: OnDemandSite, store: pyoxigraph.Store,
                 timeout: float, verbose: bool, runner: QueryRunner,
                 cache: ResultCache | None, limits: ConnectionLimits) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.site = site
        self.store = store
        self.timeout = timeout
        self.verbose = verbose
        self.runner = runner
        self.cache = cache
        self.desk: Desk | None = None
        self.limits = limits
        self.connections = _Connections(limits)
        super().__init__(address, _Handler)

    # Each connection has a thread of its own (ThreadingMixIn), at most max_connections of
    # them: the accept loop admits, refuses and closes connections; the handlers mark theirs.

    def process_request(self, request: Any, client_address: Any) -> None:
        if self.connections.admit(request):
            super().process_request(request, client_address)
        else:
            _refuse(request)
            self.connections.linger(request)

    def shutdown_request(self, request: Any) -> None:
        self.connections.release(request)  # before the socket is closed (_Connections)
        super().shutdown_request(request)

    def service_actions(self) -> None:
        self.connections.reap()

    def server_close(self) -> None:
        super().server_close()
        self.connections.close_all()

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):  # a client gone, or cut off at its time
            return
        super().handle_error(request, client_address)


@dataclass
class RunningServer:
    """A server running in a background thread; :meth:`close` stops it and removes the
    temporary folder of the site-wide files."""

    url: str
    site_dir: Path
    server: _Server
    thread: threading.Thread
    workdir: Path
    builder: threading.Thread | None = None

    def wait_until_built(self, timeout: float | None = None) -> bool:
        """Wait until the site-wide files are written; True when they are."""
        done, failure = self.server.site.wait_built(timeout)
        return done and failure is None

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
        self.server.runner.close()
        if self.builder is not None:  # the builder writes into the folder about to go
            self.server.site.stop()
            self.builder.join()
        shutil.rmtree(self.workdir, ignore_errors=True)
        gc.unfreeze()  # what start_server froze may be collected again


def _check_host(host: str) -> None:
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise InputError(f"refusing to bind {host}: only loopback addresses are allowed",
                         hint="Use --host 127.0.0.1 and put a real web server in front "
                              "for anything public.")


def start_server(*, host: str = "127.0.0.1", port: int = 0, timeout: float = 10.0,
                 base_uri: str | None = None, paths: ProjectPaths | None = None,
                 verbose: bool = False, workers: int | None = None,
                 cache_bytes: int = DEFAULT_CACHE_BYTES,
                 page_cache_bytes: int = DEFAULT_PAGE_CACHE_BYTES,
                 submissions: Path | None = None,
                 limits: ConnectionLimits | None = None) -> RunningServer:
    """Read the checkout at ``paths`` and serve its site in a background thread.

    The sources are read once; a forked process writes the site-wide files into a
    temporary folder meanwhile; the SPARQL store is loaded from the triples read; the
    query workers (``workers`` forked processes, default one per CPU) are forked here,
    before any thread starts. Resource representations are rendered when asked for, up to
    ``page_cache_bytes`` of them kept. Up to ``cache_bytes`` of query responses are kept
    (0: none); a query with ``Cache-Control: no-cache`` is always answered afresh.
    With ``submissions`` (a review-queue folder), the submission pages of
    :mod:`compact_kg.desk` are served at ``/submit``.
    Connections are bounded by ``limits`` (default :class:`ConnectionLimits()`).
    """
    from compact_kg.dumps import ox_quads
    from compact_kg.graphs import load_index, prefixes
    from compact_kg.namespace import BASE
    from compact_kg.paths import default_paths
    from compact_kg.queries import QueryRunner
    from compact_kg.site import INCOMING_LIMIT, Site, read_saved_queries

    _check_host(host)
    paths = paths or default_paths()
    sources = load_index(paths, base_uri)
    workdir = Path(tempfile.mkdtemp(prefix="compact-kg-serve-"))
    runner: QueryRunner | None = None
    on_demand: OnDemandSite | None = None
    try:
        out = workdir / "site"
        out.mkdir()
        queries = read_saved_queries(paths.queries_dir, rebase=(BASE, sources.base))
        site = Site(sources.index, sources.base, out, queries, sources.model, INCOMING_LIMIT)
        on_demand = OnDemandSite(site, sources, page_cache_bytes)
        # The graph read stays for the server's lifetime: frozen, its objects are left out
        # of every later garbage collection (each would walk millions of them), here and
        # in the forked processes, which share this memory copy-on-write and would
        # otherwise touch, and so copy, all of it. Reference counting still frees them.
        gc.freeze()
        # The site-wide files are written by a child process meanwhile.
        on_demand.fork_builder()
        store = pyoxigraph.Store()
        store.bulk_extend(ox_quads(sources.index, prefixes(sources.base)))
        runner = QueryRunner(store, workers=workers or os.cpu_count() or 1).start()
        cache = ResultCache(cache_bytes) if cache_bytes > 0 else None
        server = _Server((host, port), on_demand, store, timeout, verbose, runner, cache,
                         limits or ConnectionLimits())
        if submissions is not None:
            from compact_kg.desk import Desk

            server.desk = Desk(paths, submissions)
    except BaseException:
        if runner is not None:
            runner.close()
        if on_demand is not None:
            on_demand.abandon()
        gc.unfreeze()
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    thread = threading.Thread(target=server.serve_forever, name="compact-kg-serve",
                              daemon=True)
    thread.start()
    builder = threading.Thread(target=on_demand.watch_builder, name="compact-kg-site-files",
                               daemon=True)
    builder.start()
    bound_host, bound_port = server.server_address[:2]
    shown = f"[{bound_host}]" if ":" in str(bound_host) else bound_host
    return RunningServer(f"http://{shown}:{bound_port}/", out, server, thread, workdir,
                         builder)


def serve_forever(*, host: str = "127.0.0.1", port: int = 8000, timeout: float = 10.0,
                  base_uri: str | None = None, paths: ProjectPaths | None = None,
                  announce: Callable[[str], None] | None = None, workers: int | None = None,
                  cache_bytes: int = DEFAULT_CACHE_BYTES,
                  submissions: Path | None = None,
                  limits: ConnectionLimits | None = None) -> None:
    """Run the server until interrupted (the ``compact-kg serve`` command); Ctrl-C or
    SIGTERM stops it cleanly (its temporary folder removed) and returns."""
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        running = start_server(host=host, port=port, timeout=timeout, base_uri=base_uri,
                               paths=paths, verbose=True, workers=workers,
                               cache_bytes=cache_bytes, submissions=submissions,
                               limits=limits)
        if announce:
            announce(running.url)
        try:
            running.thread.join()
        finally:
            running.close()
    except KeyboardInterrupt:
        pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
