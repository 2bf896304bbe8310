"""Whole-graph dumps in four RDF syntaxes, gzipped copies, checksums and the VoID/DCAT description.

Layout under the site folder::

    dumps/compact-kg-{ontology,data}.{ttl,nt,jsonld,rdf}[.gz]
    dumps/SHA256SUMS            sha256sum format, one line per dump file
    void.ttl                    VoID + DCAT description (also served at /.well-known/void)
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import hashlib
import itertools
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, OWL, RDF, RDFS, SKOS, VOID, XSD
from rdflib.term import Node

from compact_kg import __version__
from compact_kg.graphs import new_graph

__all__ = ["FORMATS", "Dump", "OxTerms", "OxTripleStream", "OxTriples", "compact_jsonld",
           "jsonld_context", "ox_quads", "serialize", "serialize_triples", "void_description",
           "write_dumps", "write_part_dumps"]

SPDX = Namespace("http://spdx.org/rdf/terms#")
SCHEMA = Namespace("https://schema.org/")
IANA = "https://www.iana.org/assignments/media-types/"


@dataclass(frozen=True)
class RdfFormat:
    """One RDF syntax we write: file extension, media type and rdflib serializer name."""

    extension: str
    media_type: str
    rdflib_name: str
    oxigraph: ox.RdfFormat


FORMATS: tuple[RdfFormat, ...] = (
    RdfFormat("ttl", "text/turtle", "turtle", ox.RdfFormat.TURTLE),
    RdfFormat("nt", "application/n-triples", "nt", ox.RdfFormat.N_TRIPLES),
    RdfFormat("jsonld", "application/ld+json", "json-ld", ox.RdfFormat.JSON_LD),
    RdfFormat("rdf", "application/rdf+xml", "xml", ox.RdfFormat.RDF_XML),
)


@dataclass(frozen=True)
class Dump:
    """One dump file written to disk."""

    path: Path
    part: str  # "ontology" or "data"
    media_type: str
    size: int
    sha256: str
    gzipped: bool


def jsonld_context(graph: Graph) -> dict[str, str]:
    """An inline JSON-LD context (never a remote one) of the graph's prefixes that it uses."""
    used = {str(term) for triple in graph for term in triple if isinstance(term, URIRef)}
    used |= {str(o.datatype) for o in graph.objects() if isinstance(o, Literal) and o.datatype}
    context = {}
    for prefix, namespace in sorted(graph.namespaces()):
        ns = str(namespace)
        if prefix and any(iri.startswith(ns) and iri != ns for iri in used):
            context[prefix] = ns
    return context


def serialize(graph: Graph, fmt: RdfFormat) -> bytes:
    """Serialise ``graph`` in ``fmt`` as UTF-8 bytes."""
    if fmt.rdflib_name == "json-ld":
        text = graph.serialize(format="json-ld", context=jsonld_context(graph), indent=1)
    else:
        text = graph.serialize(format=fmt.rdflib_name)
    return text.encode("utf-8") if isinstance(text, str) else text


class OxTerms:
    """rdflib terms to pyoxigraph terms, with the prefix (of ``namespaces``) of each IRI.

    IRIs are converted once and cached, so one instance shared by every
    resource of a site saves most of the conversion work; blank nodes are never cached
    (each :class:`OxTriples` numbers its own)."""

    def __init__(self, namespaces: dict[str, str]) -> None:
        self.namespaces = namespaces
        self._by_namespace = {ns: prefix for prefix, ns in namespaces.items()}
        self._iris: dict[Node, tuple[Any, str | None]] = {}

    def __len__(self) -> int:
        """How many IRIs are cached."""
        return len(self._iris)

    def iri(self, node: URIRef) -> tuple[Any, str | None]:
        """The pyoxigraph NamedNode of ``node`` and its prefix (None if it has none)."""
        found = self._iris.get(node)
        if found is None:
            cut = max(node.rfind("/"), node.rfind("#")) + 1
            found = self._iris[node] = (ox.NamedNode(node), self._by_namespace.get(node[:cut]))
        return found

    def literal(self, node: Literal) -> tuple[Any, str | None, str | None]:
        """The pyoxigraph Literal, the prefix of its datatype and its language tag if pyoxigraph
        writes it in another case. Not cached: literals rarely repeat, and hashing an rdflib
        Literal costs more than converting it."""
        prefix = tag = None
        if node.language:
            value = ox.Literal(node, language=node.language)
            if node.language != node.language.lower():
                tag = node.language
        elif node.datatype is not None:
            datatype, prefix = self.iri(node.datatype)
            value = ox.Literal(node, datatype=datatype)
        else:
            value = ox.Literal(node)
        return value, prefix, tag


def _ox_triples(triples: Iterable[tuple[Node, Node, Node]], terms: OxTerms,
                used: set[str], languages: set[str]) -> Iterator[Any]:
    """pyoxigraph triples for ``triples``, blank nodes numbered in order of appearance;
    records the prefixes used and the language tags pyoxigraph writes in lower case."""
    bnodes: dict[Node, Any] = {}
    iri, literal = terms.iri, terms.literal
    for s, p, o in triples:
        if isinstance(s, URIRef):
            s2, prefix = iri(s)
            if prefix is not None:
                used.add(prefix)
        else:
            s2 = bnodes.get(s)
            if s2 is None:
                s2 = bnodes[s] = ox.BlankNode(f"b{len(bnodes)}")
        p2, prefix = iri(p)  # type: ignore[arg-type]
        if prefix is not None:
            used.add(prefix)
        if isinstance(o, URIRef):
            o2, prefix = iri(o)
        elif isinstance(o, Literal):
            o2, prefix, tag = literal(o)
            if tag is not None:
                languages.add(tag)
        else:
            prefix = None
            o2 = bnodes.get(o)
            if o2 is None:
                o2 = bnodes[o] = ox.BlankNode(f"b{len(bnodes)}")
        if prefix is not None:
            used.add(prefix)
        yield ox.Triple(s2, p2, o2)


def ox_quads(triples: Iterable[tuple[Node, Node, Node]],
             namespaces: dict[str, str]) -> Iterator[Any]:
    """rdflib triples as pyoxigraph quads of the default graph, one at a time (for
    ``Store.bulk_extend``); each blank node becomes one pyoxigraph blank node."""
    for triple in _ox_triples(triples, OxTerms(namespaces), set(), set()):
        yield ox.Quad(*triple)


class OxTriples:
    """rdflib triples as pyoxigraph triples for :func:`serialize_triples`, with the prefixes
    (of ``namespaces``) whose namespace they use, and blank nodes labelled ``b0``, ``b1``...
    in order of appearance, so that the same triples in the same order always give the same
    bytes (rdflib's blank node labels are random). ``terms`` shares a conversion cache."""

    def __init__(self, triples: Iterable[tuple[Node, Node, Node]],
                 namespaces: dict[str, str], terms: OxTerms | None = None) -> None:
        used: set[str] = set()
        languages: set[str] = set()
        self.triples: Iterable[Any] = list(_ox_triples(triples, terms or OxTerms(namespaces),
                                                       used, languages))
        self.prefixes = {prefix: namespaces[prefix] for prefix in namespaces if prefix in used}
        self.languages = sorted(languages)


class OxTripleStream(OxTriples):
    """:class:`OxTriples` for a whole graph: the pyoxigraph triples are made again each time
    :attr:`triples` is read, one at a time, instead of held in a list (which takes more
    memory than the graph itself); a first pass finds the prefixes and language tags."""

    def __init__(self, triples: list[tuple[Node, Node, Node]],
                 namespaces: dict[str, str]) -> None:
        self._source = triples
        self._terms = OxTerms(namespaces)
        used: set[str] = set()
        languages: set[str] = set()
        iri = self._terms.iri
        for triple in triples:
            for node in triple:
                if isinstance(node, Literal):
                    if node.language and node.language != node.language.lower():
                        languages.add(node.language)
                    node = node.datatype  # its datatype has a prefix
                if isinstance(node, URIRef):
                    prefix = iri(node)[1]
                    if prefix is not None:
                        used.add(prefix)
        self.prefixes = {prefix: namespaces[prefix] for prefix in namespaces if prefix in used}
        self.languages = sorted(languages)

    @property  # type: ignore[override]
    def triples(self) -> Iterator[Any]:
        return _ox_triples(self._source, self._terms, set(), set())


def serialize_triples(triples: OxTriples, fmt: RdfFormat, *, compact: bool = True) -> bytes:
    """Serialise with pyoxigraph: the same graph as :func:`serialize`, many times faster.

    With ``compact``, JSON-LD gets an inline ``@context`` of the prefixes the triples use
    (see :func:`compact_jsonld`); otherwise it is pyoxigraph's expanded JSON-LD, written as
    a stream (the whole-graph dumps, too large to hold as Python objects)."""
    prefixes = triples.prefixes if fmt.oxigraph is not ox.RdfFormat.N_TRIPLES else None
    data = ox.serialize(triples.triples, format=fmt.oxigraph, prefixes=prefixes)
    if compact and fmt.oxigraph is ox.RdfFormat.JSON_LD:
        return compact_jsonld(data, triples.prefixes, triples.languages)
    for tag in triples.languages:
        data = _restore_tag(data, fmt.extension, tag.encode("ascii"))
    return data


_RDF_TYPE = str(RDF.type)


def compact_jsonld(data: bytes, prefixes: dict[str, str], languages: list[str]) -> bytes:
    """Expanded JSON-LD (as pyoxigraph writes it) made friendlier, as the same graph: an
    inline ``@context`` of ``prefixes`` (never a remote one), compact IRIs (``cs:x``) for
    keys, ``@id`` and datatype values, ``@type`` for ``rdf:type``, and language tags in the
    case of ``languages``.

    A term is written as a compact IRI only if it is ``prefix:local`` with a non-empty
    local part free of ``/``, ``#`` and ``:``, so that it expands back to the same IRI."""
    nodes = json.loads(data)
    by_namespace = {ns: prefix for prefix, ns in prefixes.items()}
    tags = {tag.lower(): tag for tag in languages}
    cache: dict[str, str] = {}

    def short(iri: str) -> str:
        found = cache.get(iri)
        if found is None:
            cut = max(iri.rfind("/"), iri.rfind("#")) + 1
            prefix = by_namespace.get(iri[:cut])
            local = iri[cut:]
            found = cache[iri] = (f"{prefix}:{local}" if prefix is not None and local
                                  and ":" not in local else iri)
        return found

    def value(item: dict[str, Any]) -> dict[str, Any]:
        if "@id" in item:
            return {"@id": short(item["@id"])}
        if "@type" in item:
            return {"@value": item["@value"], "@type": short(item["@type"])}
        if "@language" in item:
            language = item["@language"]
            return {"@value": item["@value"], "@language": tags.get(language, language)}
        return item

    out = []
    for node in nodes:
        compacted: dict[str, Any] = {}
        for key, values in node.items():
            if key == "@id":
                compacted[key] = short(values)
            elif key == _RDF_TYPE and all(list(v) == ["@id"] for v in values):
                compacted["@type"] = [short(v["@id"]) for v in values]
            else:
                compacted[short(key)] = [value(v) for v in values]
        out.append(compacted)
    # One node a line: readable, and written by json's C encoder (indent= is not).
    context = json.dumps(dict(sorted(prefixes.items())), ensure_ascii=False)
    graph = ",\n".join([json.dumps(node, ensure_ascii=False) for node in out])
    return f'{{"@context": {context},\n"@graph": [\n{graph}\n]}}\n'.encode()


def _restore_tag(data: bytes, extension: str, tag: bytes) -> bytes:
    """Put back the case of a language tag that pyoxigraph wrote in lower case (``en-gb``
    for ``en-GB``; equal in RDF, but not to rdflib's isomorphism check), only where the
    syntax makes it a language tag: pyoxigraph escapes every quote inside a value (``\\"`` in
    Turtle and JSON, ``&quot;`` in XML), and JSON-LD keys are IRIs or keywords."""
    lower = tag.lower()
    if extension == "rdf":
        return data.replace(b' xml:lang="' + lower + b'"', b' xml:lang="' + tag + b'"')
    if extension == "jsonld":
        return data.replace(b'"@language":"' + lower + b'"', b'"@language":"' + tag + b'"')

    def fix(match: re.Match[bytes]) -> bytes:
        before = match.start() - 1
        while before >= 0 and data[before] == 0x5C:  # backslashes before the quote
            before -= 1
        run = match.start() - 1 - before
        return match.group(0) if run % 2 else b'"@' + tag  # an odd run escapes the quote

    return _tag_pattern(lower).sub(fix, data)


@functools.lru_cache(maxsize=64)
def _tag_pattern(lower: bytes) -> re.Pattern[bytes]:
    return re.compile(b'"@' + re.escape(lower) + rb"(?![A-Za-z0-9-])")


def _write(path: Path, data: bytes) -> None:
    # Write beside, then rename, so that a failed run never leaves a truncated dump.
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".part")
    temporary.write_bytes(data)
    temporary.replace(path)


def write_dumps(parts: dict[str, Graph], dumps_dir: Path) -> list[Dump]:
    """Write every part in every format, plain and gzipped, and a SHA256SUMS file."""
    written: list[Dump] = []
    for part, graph in parts.items():
        for fmt in FORMATS:
            data = serialize(graph, fmt)
            name = f"compact-kg-{part}.{fmt.extension}"
            for gz in (False, True):
                payload = gzip.compress(data, compresslevel=6, mtime=0) if gz else data
                path = dumps_dir / (name + (".gz" if gz else ""))
                _write(path, payload)
                written.append(Dump(path, part, fmt.media_type, len(payload),
                                    hashlib.sha256(payload).hexdigest(), gz))
    sums = "".join(f"{d.sha256}  {d.path.name}\n" for d in written)
    _write(dumps_dir / "SHA256SUMS", sums.encode("ascii"))
    return written


class _HashedFile:
    """A binary file being written, with the SHA-256 and size of what went into it."""

    def __init__(self, path: Path) -> None:
        self.file = path.open("wb")
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        self.size += len(data)
        return self.file.write(data)

    def flush(self) -> None:
        self.file.flush()


#: N-Triples dumps are serialised this many triples at a time (the syntax is one triple a
#: line, so the pieces join into the same file), to bound the memory of a large graph.
NT_CHUNK = 200_000


def _dump_pieces(triples: OxTriples, fmt: RdfFormat) -> Iterator[bytes]:
    if fmt.oxigraph is not ox.RdfFormat.N_TRIPLES:
        yield serialize_triples(triples, fmt, compact=False)
        return
    stream = iter(triples.triples)
    while piece := list(itertools.islice(stream, NT_CHUNK)):
        data = ox.serialize(piece, format=ox.RdfFormat.N_TRIPLES)
        for tag in triples.languages:
            data = _restore_tag(data, fmt.extension, tag.encode("ascii"))
        yield data


def write_part_dumps(parts: dict[str, OxTriples], dumps_dir: Path) -> list[Dump]:
    """:func:`write_dumps` for triples already converted by :class:`OxTriples`, written and
    gzipped as they are serialised (never the whole gzipped file in memory)."""
    written: list[Dump] = []
    dumps_dir.mkdir(parents=True, exist_ok=True)
    for part, triples in parts.items():
        for fmt in FORMATS:
            path = dumps_dir / f"compact-kg-{part}.{fmt.extension}"
            gz_path = path.with_name(path.name + ".gz")
            parts_written = [path.with_name(path.name + ".part"),
                             gz_path.with_name(gz_path.name + ".part")]
            plain, packed = _HashedFile(parts_written[0]), _HashedFile(parts_written[1])
            try:
                with gzip.GzipFile(filename="", mode="wb", compresslevel=6,
                                   fileobj=packed, mtime=0) as gz:  # type: ignore[arg-type]
                    for data in _dump_pieces(triples, fmt):
                        plain.write(data)
                        gz.write(data)
                        del data
            finally:
                plain.file.close()
                packed.file.close()
            # Written beside, then renamed: a failed run never leaves a truncated dump.
            parts_written[0].replace(path)
            parts_written[1].replace(gz_path)
            for target, done, gzipped in ((path, plain, False), (gz_path, packed, True)):
                written.append(Dump(target, part, fmt.media_type, done.size,
                                    done.sha256.hexdigest(), gzipped))
    sums = "".join(f"{d.sha256}  {d.path.name}\n" for d in written)
    _write(dumps_dir / "SHA256SUMS", sums.encode("ascii"))
    return written


def _first(graph: Graph, subject: URIRef, predicate: URIRef) -> object | None:
    return next(graph.objects(subject, predicate), None)


def void_description(*, data: Graph, model: Graph, base: str, dumps: list[Dump],
                     site_url: str, sparql_path: str = "sparql", whole: Any = None) -> Graph:
    """The VoID + DCAT description of the dataset: what ``data/dataset.ttl`` says (if
    anything), plus counts, partitions, distributions, endpoint and example resources.

    ``whole`` is the union of data and model when the caller has it already (a graph or a
    :class:`compact_kg.graphs.TripleIndex`); ``data`` then needs only the triples about the
    dataset."""
    dataset = URIRef(base + "id/dataset/compact-kg")
    ckg = Namespace(base + "def/")
    numbers = iter(range(1_000_000_000))

    def fresh() -> BNode:  # numbered, so that the same input gives the same void.ttl
        return BNode(f"void{next(numbers):08d}")

    void = new_graph(base)
    # What the curators wrote about the dataset, if they did.
    for triple in data.triples((dataset, None, None)):
        void.add(triple)
        if isinstance(triple[2], BNode):
            for nested in data.triples((triple[2], None, None)):
                void.add(nested)
    ontology = URIRef(base + "def/")
    defaults = {
        DCTERMS.title: Literal("compact-kg: Local Compacts in England", lang="en-GB"),
        DCTERMS.description: Literal(
            "A knowledge graph of how English councils and the voluntary and community "
            "sector work together through Local Compacts, with the source of every claim.",
            lang="en-GB"),
        DCTERMS.license: _first(model, ontology, DCTERMS.license)
        or URIRef("https://opensource.org/licenses/MIT"),
        DCTERMS.publisher: _first(model, ontology, DCTERMS.publisher)
        or Literal("compact-kg contributors"),
        DCTERMS.issued: _first(model, ontology, DCTERMS.created)
        or Literal(dt.date.today().isoformat(), datatype=XSD.date),
        DCTERMS.modified: _first(model, ontology, DCTERMS.modified)
        or Literal(dt.date.today().isoformat(), datatype=XSD.date),
        OWL.versionInfo: Literal(__version__),
        URIRef(str(DCAT) + "version"): Literal(__version__),  # DCAT 3
    }
    void.add((dataset, RDF.type, VOID.Dataset))
    void.add((dataset, RDF.type, DCAT.Dataset))
    for predicate, value in defaults.items():
        if _first(void, dataset, predicate) is None:
            void.add((dataset, predicate, value))  # type: ignore[arg-type]

    if whole is None:
        whole = data + model
    void.add((dataset, VOID.triples, Literal(len(whole), datatype=XSD.integer)))
    subjects = {s for s in whole.subjects() if isinstance(s, URIRef) and str(s).startswith(base)}
    void.add((dataset, VOID.entities, Literal(len(subjects), datatype=XSD.integer)))
    void.add((dataset, VOID.distinctSubjects,
              Literal(len(set(whole.subjects())), datatype=XSD.integer)))
    void.add((dataset, VOID.distinctObjects,
              Literal(len(set(whole.objects())), datatype=XSD.integer)))
    void.add((dataset, VOID.uriSpace, Literal(base)))
    classes = Counter(o for s, o in whole.subject_objects(RDF.type) if isinstance(o, URIRef))
    properties = Counter(p for p in whole.predicates())
    void.add((dataset, VOID.classes, Literal(len(classes), datatype=XSD.integer)))
    void.add((dataset, VOID.properties, Literal(len(properties), datatype=XSD.integer)))
    for cls, count in sorted(classes.items()):
        part = fresh()
        void.add((dataset, VOID.classPartition, part))
        void.add((part, VOID["class"], cls))
        void.add((part, VOID.entities, Literal(count, datatype=XSD.integer)))
    for prop, count in sorted(properties.items()):
        part = fresh()
        void.add((dataset, VOID.propertyPartition, part))
        void.add((part, VOID.property, prop))
        void.add((part, VOID.triples, Literal(count, datatype=XSD.integer)))
    void.add((dataset, VOID.sparqlEndpoint, URIRef(site_url + sparql_path)))
    for case in sorted(whole.subjects(RDF.type, ckg.CaseStudy))[:3]:  # type: ignore[type-var]
        void.add((dataset, VOID.exampleResource, case))
    vocabularies = {ontology} if (ontology, None, None) in model else set()
    for term in (*classes, *properties):
        for scheme_ns in (RDF, RDFS, OWL, SKOS, DCTERMS, DCAT, VOID):
            if str(term).startswith(str(scheme_ns)):
                vocabularies.add(URIRef(str(scheme_ns)))
        for prefix_ns in ("http://www.w3.org/ns/org#", "http://www.w3.org/ns/prov#",
                          "http://www.w3.org/2006/time#", "http://www.w3.org/ns/shacl#"):
            if str(term).startswith(prefix_ns):
                vocabularies.add(URIRef(prefix_ns))
    for vocabulary in sorted(vocabularies):
        void.add((dataset, VOID.vocabulary, vocabulary))
    for dump in dumps:
        url = URIRef(site_url + "dumps/" + dump.path.name)
        dist = fresh()
        void.add((dataset, DCAT.distribution, dist))
        void.add((dataset, VOID.dataDump, url))
        void.add((dist, RDF.type, DCAT.Distribution))
        void.add((dist, DCTERMS.title, Literal(f"{dump.part} as {dump.path.name}")))
        void.add((dist, DCAT.downloadURL, url))
        void.add((dist, DCAT.accessURL, url))
        void.add((dist, DCAT.mediaType, URIRef(IANA + dump.media_type)))
        if dump.gzipped:
            void.add((dist, DCAT.compressFormat, URIRef(IANA + "application/gzip")))
        void.add((dist, DCAT.byteSize, Literal(dump.size, datatype=XSD.nonNegativeInteger)))
        checksum = fresh()
        void.add((dist, SPDX.checksum, checksum))
        void.add((checksum, RDF.type, SPDX.Checksum))
        void.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        void.add((checksum, SPDX.checksumValue, Literal(dump.sha256, datatype=XSD.hexBinary)))
    return void


def schema_org_dataset(void: Graph, base: str, site_url: str) -> str:
    """The schema.org Dataset description for the landing page, as JSON text (not escaped)."""
    dataset = URIRef(base + "id/dataset/compact-kg")

    def text(predicate: URIRef) -> str | None:
        value = _first(void, dataset, predicate)
        return str(value) if value is not None else None

    publisher = _first(void, dataset, DCTERMS.publisher)
    publisher_name = str(publisher)
    if isinstance(publisher, URIRef):
        publisher_name = str(_first(void, publisher, RDFS.label) or publisher)
    doc = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": str(dataset),
        "name": text(DCTERMS.title),
        "description": text(DCTERMS.description),
        "license": text(DCTERMS.license),
        "version": __version__,
        "url": site_url,
        "datePublished": text(DCTERMS.issued),
        "dateModified": text(DCTERMS.modified),
        "publisher": {"@type": "Organization", "name": publisher_name},
        "distribution": [
            {"@type": "DataDownload", "contentUrl": str(url),
             "encodingFormat": str(_first(void, dist, DCAT.mediaType)).removeprefix(IANA)}
            for dist in void.objects(dataset, DCAT.distribution)
            if (url := _first(void, dist, DCAT.downloadURL)) is not None
            and _first(void, dist, DCAT.compressFormat) is None
        ],
    }
    return json.dumps({k: v for k, v in doc.items() if v is not None}, indent=1,
                      ensure_ascii=False)
