"""Remote SPARQL endpoints: querying them (SPARQL 1.1 Protocol) and loading them (Graph Store).

URLs. Every function accepts an Oxigraph server's base URL, ``http://HOST:PORT``, and
derives the service it needs from it: ``/query`` for queries and ``/store`` for the Graph
Store Protocol. A URL with any other path is used exactly as given, so other servers
work too (e.g. Fuseki's ``http://HOST:3030/ds/sparql`` and ``http://HOST:3030/ds/data``).
Only ``http`` and ``https`` URLs are accepted.
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from compact_kg import __version__
from compact_kg.errors import EndpointError, QueryError, QueryTimeoutError

__all__ = ["query_endpoint_url", "query_remote", "store_endpoint_url", "upload"]

_AGENT = f"compact-kg/{__version__}"
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_WRAPPER_STATUS = {  # SPARQLWrapper's exceptions for HTTP errors, by class name
    "QueryBadFormed": "400 Bad Request (the server rejected the query)",
    "Unauthorized": "401 Unauthorized",
    "EndPointNotFound": "404 Not Found (check the URL)",
    "URITooLong": "414 URI Too Long",
    "EndPointInternalError": "500 Internal Server Error",
}


def query_endpoint_url(url: str) -> str:
    """The SPARQL query URL for ``url`` (a base URL gets ``/query``)."""
    return _service_url(url, "query")


def store_endpoint_url(url: str) -> str:
    """The Graph Store Protocol URL for ``url`` (a base URL gets ``/store``)."""
    return _service_url(url, "store")


def _service_url(url: str, service: str) -> str:
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise EndpointError(f"{url!r} is not an http(s) URL; give e.g. http://127.0.0.1:7878")
    if parts.path in ("", "/"):
        parts = parts._replace(path=f"/{service}")
    return urllib.parse.urlunsplit(parts)


# --- queries ------------------------------------------------------------------------------------

def query_remote(text: str, url: str, timeout: float, form: str, name: str,
                 default_graph: str | None = None) -> tuple[Any, ...]:
    """Send ``text`` to the endpoint; the answer encoded like the embedded worker's.

    ``form`` is ``select``, ``ask``, ``construct`` or ``describe``. ``default_graph``, an
    IRI, is sent as the protocol's ``default-graph-uri``: the query's default graph is then
    that named graph of the server (e.g. the graph ``compact-kg load --graph`` filled).
    """
    from SPARQLWrapper import JSON, N3, POST, SPARQLWrapper

    service = query_endpoint_url(url)
    client = SPARQLWrapper(service, agent=_AGENT)
    client.setQuery(text)
    # SPARQLWrapper guesses the query form with a regular expression, and a variable or word
    # such as ?address reads to it as the update ADD, which it would then send as an update
    # (Oxigraph answers 400). The form is known: ours has parsed the query; say it.
    client.queryType = form.upper()
    client.setMethod(POST)
    client.setTimeout(timeout)
    if default_graph is not None:
        iri = _checked_graph_iri(default_graph, "--default-graph")
        client.addParameter("default-graph-uri", iri)
    graph = form in ("construct", "describe")
    client.setReturnFormat(N3 if graph else JSON)
    if graph:
        client.addCustomHttpHeader("Accept", "application/n-triples")
    try:
        response = client.query().response.read()
    except Exception as error:
        raise _remote_error(error, service, timeout, f"query {name!r}") from None
    return _graph_answer(response, service) if graph else _json_answer(response, service)


def _remote_error(error: Exception, service: str, timeout: float, what: str) -> Exception:
    reason = getattr(error, "reason", None)
    if isinstance(error, TimeoutError | socket.timeout) or isinstance(reason, TimeoutError):
        return QueryTimeoutError(
            f"{what} ran past its {timeout:g} s limit at {service} and was abandoned; "
            "narrow it or raise --timeout"
        )
    if isinstance(error, urllib.error.HTTPError):
        return EndpointError(f"{service} answered HTTP {error.code} {error.reason}")
    status = _WRAPPER_STATUS.get(type(error).__name__)
    if status is not None:
        response = error.args[0].partition("Response:")[2] if error.args else ""
        detail = " ".join(response.strip().strip("b'\"").split())[:300]
        suffix = f": {detail}" if detail else ""
        return EndpointError(f"{service} answered HTTP {status}{suffix}")
    if isinstance(error, urllib.error.URLError):
        return EndpointError(
            f"cannot reach the SPARQL endpoint {service} ({error.reason}); "
            "check the URL and that the server is running"
        )
    first = " ".join(str(error).split())[:300]
    return EndpointError(f"the SPARQL endpoint {service} failed: {type(error).__name__}: {first}")


def _json_answer(body: bytes, service: str) -> tuple[Any, ...]:
    import json

    try:
        document = json.loads(body)
        if "boolean" in document:
            return ("ask", bool(document["boolean"]))
        names = list(document["head"]["vars"])
        rows = [
            tuple(_raw_json(binding.get(name)) for name in names)
            for binding in document["results"]["bindings"]
        ]
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise EndpointError(f"{service} sent an unreadable SPARQL JSON result ({error})") from None
    return ("select", names, rows)


def _raw_json(term: dict[str, str] | None) -> tuple[str, ...] | None:
    if term is None:
        return None
    kind = term["type"]
    if kind == "uri":
        return ("iri", term["value"])
    if kind == "bnode":
        return ("bnode", term["value"])
    if kind in ("literal", "typed-literal"):
        return ("literal", term["value"], term.get("datatype", _XSD_STRING),
                term.get("xml:lang", ""))
    raise KeyError(f"unsupported term type {kind!r}")


def _graph_answer(body: bytes, service: str) -> tuple[Any, ...]:
    import pyoxigraph

    from compact_kg.queries import _raw

    try:
        triples = pyoxigraph.parse(body, format=pyoxigraph.RdfFormat.N_TRIPLES)
        rows = [(_raw(t.subject), _raw(t.predicate), _raw(t.object)) for t in triples]
    except (SyntaxError, TypeError) as error:
        raise EndpointError(f"{service} sent an unreadable N-Triples graph ({error})") from None
    return ("graph", ["subject", "predicate", "object"], rows)


# --- loading --------------------------------------------------------------------------------------

def upload(endpoint_url: str, files: Iterable[Path], graph_iri: str | None = None,
           timeout: float = 300.0) -> int:
    """Replace a graph of the endpoint with the triples of ``files``; the number of triples.

    The files are parsed locally first (syntax errors raise InputError), merged into one
    N-Triples document (blank nodes stay distinct per file) and sent in one Graph Store
    Protocol ``PUT`` to the default graph, or to ``graph_iri``: the graph is replaced
    atomically, so running it twice gives the same graph.
    """
    import pyoxigraph

    from compact_kg.store import load_store

    target = _graph_url(store_endpoint_url(endpoint_url), graph_iri)
    store = load_store(files)
    body = store.dump(format=pyoxigraph.RdfFormat.N_TRIPLES, from_graph=pyoxigraph.DefaultGraph())
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked to be http(s)
        target, data=body, method="PUT",
        headers={"Content-Type": "application/n-triples", "User-Agent": _AGENT},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            response.read()
    except Exception as error:
        raise _remote_error(error, target, timeout, "the upload") from None
    return len(store)


def _graph_url(store_url: str, graph_iri: str | None) -> str:
    if graph_iri is None:
        query = "default"
    else:
        query = urllib.parse.urlencode({"graph": _checked_graph_iri(graph_iri, "--graph")})
    separator = "&" if urllib.parse.urlsplit(store_url).query else "?"
    return f"{store_url}{separator}{query}"


def _checked_graph_iri(iri: str, option: str) -> str:
    """``iri`` if it is an absolute IRI, else QueryError naming ``option``."""
    from compact_kg.errors import ParameterError
    from compact_kg.queries import Parameter, parse_value

    try:
        parse_value(Parameter("graph", "iri", None, "the graph"), iri)
    except ParameterError as error:
        raise QueryError(f"{option}: {error}") from None
    return iri
