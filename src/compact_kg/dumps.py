"""Whole-graph dumps in four RDF syntaxes, gzipped copies, checksums and the VoID/DCAT description.

Layout under the site folder::

    dumps/compact-kg-{ontology,data}.{ttl,nt,jsonld,rdf}[.gz]
    dumps/SHA256SUMS            sha256sum format, one line per dump file
    void.ttl                    VoID + DCAT description (also served at /.well-known/void)
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, OWL, RDF, RDFS, SKOS, VOID, XSD

from compact_kg import __version__
from compact_kg.graphs import new_graph

__all__ = ["FORMATS", "Dump", "jsonld_context", "serialize", "void_description", "write_dumps"]

SPDX = Namespace("http://spdx.org/rdf/terms#")
SCHEMA = Namespace("https://schema.org/")
IANA = "https://www.iana.org/assignments/media-types/"


@dataclass(frozen=True)
class RdfFormat:
    """One RDF syntax we write: file extension, media type and rdflib serializer name."""

    extension: str
    media_type: str
    rdflib_name: str


FORMATS: tuple[RdfFormat, ...] = (
    RdfFormat("ttl", "text/turtle", "turtle"),
    RdfFormat("nt", "application/n-triples", "nt"),
    RdfFormat("jsonld", "application/ld+json", "json-ld"),
    RdfFormat("rdf", "application/rdf+xml", "xml"),
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
                payload = gzip.compress(data, mtime=0) if gz else data
                path = dumps_dir / (name + (".gz" if gz else ""))
                _write(path, payload)
                written.append(Dump(path, part, fmt.media_type, len(payload),
                                    hashlib.sha256(payload).hexdigest(), gz))
    sums = "".join(f"{d.sha256}  {d.path.name}\n" for d in written)
    _write(dumps_dir / "SHA256SUMS", sums.encode("ascii"))
    return written


def _first(graph: Graph, subject: URIRef, predicate: URIRef) -> object | None:
    return next(graph.objects(subject, predicate), None)


def void_description(*, data: Graph, model: Graph, base: str, dumps: list[Dump],
                     site_url: str, sparql_path: str = "sparql") -> Graph:
    """The VoID + DCAT description of the dataset: what ``data/dataset.ttl`` says (if
    anything), plus counts, partitions, distributions, endpoint and example resources."""
    dataset = URIRef(base + "id/dataset/compact-kg")
    ckg = Namespace(base + "def/")
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
        part = BNode()
        void.add((dataset, VOID.classPartition, part))
        void.add((part, VOID["class"], cls))
        void.add((part, VOID.entities, Literal(count, datatype=XSD.integer)))
    for prop, count in sorted(properties.items()):
        part = BNode()
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
        dist = BNode()
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
        checksum = BNode()
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
