"""Publish the graph as linked open data: a static site of pages, per-resource RDF, dumps,
a VoID/DCAT description and content-negotiation config.

Layout of the output folder (``OUT``), for a base ``B`` (default ``https://w3id.org/compact-kg/``)::

    index.html                 landing page, with schema.org Dataset JSON-LD
    case-studies.html areas.html mechanisms.html themes.html    index pages (with SVG)
    queries.html query.html    saved queries; the query page (runs on `compact-kg serve`)
    docs/ontology.html docs/vocabularies.html docs/vocabularies/SCHEME.html docs/shapes.html
    id/area/surrey.html        one page per IRI of our namespace: B + "id/area/surrey"
    id/area/surrey.ttl .jsonld .rdf .nt     the resource's concise bounded description
    def/index.html ...         B + "def/" (an IRI ending in "/" gets "index")
    dumps/compact-kg-{ontology,data}.{ttl,nt,jsonld,rdf}[.gz]  and  dumps/SHA256SUMS
    void.ttl                   VoID + DCAT (also at .well-known/void)
    .htaccess nginx.conf       content negotiation for Apache and nginx

With ``base_uri`` every IRI of our namespace is rewritten to that base in the graph itself,
before anything is written, so that all files agree.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, URIRef
from rdflib.namespace import DCTERMS

from compact_kg.dumps import (
    FORMATS,
    Dump,
    OxTerms,
    OxTriples,
    OxTripleStream,
    schema_org_dataset,
    serialize,
    serialize_triples,
    void_description,
    write_part_dumps,
)
from compact_kg.errors import InputError
from compact_kg.graphs import IndexedSources, TripleIndex, load_index, new_graph, prefixes
from compact_kg.namespace import BASE
from compact_kg.paths import ProjectPaths, default_paths
from compact_kg.progress import ProgressCallback, _ignore
from compact_kg.site import (
    INCOMING_LIMIT,
    Site,
    read_saved_queries,
    script_json,
    write_file,
)

__all__ = ["HTACCESS", "NGINX_CONF", "RESOURCE_EXTENSIONS", "PublishSummary", "publish_site",
           "render_resource", "resource_paths", "write_site_files"]


@dataclass(frozen=True)
class PublishSummary:
    """What :func:`publish_site` wrote."""

    out_dir: Path
    base_uri: str
    triples: int
    resources: int
    files: int
    dumps: list[Path] = field(default_factory=list)
    seconds: float = 0.0


HTACCESS = """\
# compact-kg: content negotiation for Apache (mod_rewrite, mod_mime, mod_headers).
# A request for a resource path (no extension) gets the representation the Accept header
# asks for; browsers (and anything else) get the HTML page.
Options -MultiViews
AddType text/turtle .ttl
AddType application/ld+json .jsonld
AddType application/rdf+xml .rdf
AddType application/n-triples .nt
AddType text/plain SHA256SUMS
AddEncoding gzip .gz
<IfModule mod_headers.c>
  Header append Vary Accept
</IfModule>
RewriteEngine On
RewriteRule ^\\.well-known/void$ void.ttl [L,T=text/turtle]
RewriteRule ^(.*)/$ $1/index
RewriteCond %{HTTP_ACCEPT} text/turtle
RewriteCond %{REQUEST_FILENAME}.ttl -f
RewriteRule ^(.+)$ $1.ttl [L]
RewriteCond %{HTTP_ACCEPT} application/ld\\+json
RewriteCond %{REQUEST_FILENAME}.jsonld -f
RewriteRule ^(.+)$ $1.jsonld [L]
RewriteCond %{HTTP_ACCEPT} application/rdf\\+xml
RewriteCond %{REQUEST_FILENAME}.rdf -f
RewriteRule ^(.+)$ $1.rdf [L]
RewriteCond %{HTTP_ACCEPT} application/n-triples
RewriteCond %{REQUEST_FILENAME}.nt -f
RewriteRule ^(.+)$ $1.nt [L]
RewriteCond %{REQUEST_FILENAME}.html -f
RewriteRule ^(.+)$ $1.html [L]
"""

NGINX_CONF = """\
# compact-kg: content negotiation for nginx. Put the map in the http block and the
# location in the server block whose root is the published folder.
map $http_accept $ckg_ext {
    default                       ".html";
    "~*text/html"                 ".html";
    "~*text/turtle"               ".ttl";
    "~*application/ld\\+json"      ".jsonld";
    "~*application/rdf\\+xml"      ".rdf";
    "~*application/n-triples"     ".nt";
}
server {
    # root /srv/compact-kg;
    types {
        text/html html; text/turtle ttl; application/ld+json jsonld;
        application/rdf+xml rdf; application/n-triples nt; application/gzip gz;
    }
    location = /.well-known/void { default_type text/turtle; try_files /void.ttl =404; }
    location ~ /$ { add_header Vary Accept; try_files ${uri}index$ckg_ext ${uri}index.html =404; }
    location / { add_header Vary Accept; try_files $uri $uri$ckg_ext $uri.html =404; }
}
"""


def _ignore_poll() -> None:
    """No workers to report on."""


def _check_out_dir(out_dir: Path, paths: ProjectPaths) -> None:
    resolved = out_dir.resolve()
    root = paths.root.resolve()
    if resolved == root or resolved in root.parents:
        raise InputError(f"refusing to publish into {out_dir}: it holds the checkout",
                         hint="Choose an empty or new folder, e.g. --out site")
    for keep in (paths.ontology_dir, paths.data_dir, paths.queries_dir, root / "src"):
        if resolved == keep.resolve() or keep.resolve() in resolved.parents:
            raise InputError(f"refusing to publish into {out_dir}: it is inside {keep.name}/",
                             hint="Choose a folder outside the sources, e.g. --out site")


def publish_site(out_dir: Path, *, base_uri: str | None = None,
                 paths: ProjectPaths | None = None, processes: int | None = None,
                 progress: ProgressCallback | None = None,
                 incoming_limit: int = INCOMING_LIMIT) -> PublishSummary:
    """Write the whole site for the checkout at ``paths`` into ``out_dir`` (replaced).

    The resource pages (five files per resource) are shared between ``processes`` forked
    workers (default: one per core, at most two); ``progress(done, total)`` is called as they
    finish. The output does not depend on the number of processes. A resource page lists
    at most ``incoming_limit`` of the resources that link to it through one property, and
    links to the query page with the query that lists them all.
    """
    started = time.perf_counter()
    paths = paths or default_paths()
    out_dir = Path(out_dir)
    _check_out_dir(out_dir, paths)
    sources = load_index(paths, base_uri)
    base = sources.base
    graph = sources.index
    namespaces = prefixes(base)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)

    queries = read_saved_queries(paths.queries_dir, rebase=(BASE, base))
    site = Site(graph, base, out_dir, queries, sources.model, incoming_limit)
    resources = sorted((subject, path) for path, subject in resource_paths(site).items())
    # The workers start on the resource pages now; this process writes everything else
    # meanwhile (dumps, VoID, index and documentation pages), then waits for them.
    with _Renderer(site, resources, namespaces, processes, progress or _ignore) as renderer:
        files, dumps = write_site_files(site, sources, renderer.poll)
    files |= {f"{out_dir}/{path}.{ext}" for _, path in resources for ext in RESOURCE_EXTENSIONS}
    return PublishSummary(out_dir=out_dir, base_uri=base, triples=len(graph),
                          resources=len(site.pages), files=len(files),
                          dumps=[d.path for d in dumps],
                          seconds=time.perf_counter() - started)


def resource_paths(site: Site) -> dict[str, URIRef]:
    """Site path (without extension) -> the resource whose files are at that path.

    Two IRIs can share a path ("a b" and "a_b"): the last in IRI order wins, as it would
    if the pages were written one after the other in that order."""
    winners: dict[str, URIRef] = {}
    for subject, path in sorted(site.pages.items()):
        winners.pop(path, None)
        winners[path] = subject
    return winners


def write_site_files(site: Site, sources: IndexedSources,
                     poll: Callable[[], None] = _ignore_poll) -> tuple[set[str], list[Dump]]:
    """Every file of the site but the resources' own, into ``site.out``: dumps and their
    SHA256SUMS, VoID (also at .well-known/void), server configuration, index, documentation
    and landing pages. ``poll`` between steps reports the workers' progress. Returns the
    paths written and the dumps. Empties ``sources.parts`` (read once, for the dumps)."""
    base, graph, out_dir = site.base, sources.index, site.out
    namespaces = prefixes(base)
    dumps = write_part_dumps({part: OxTripleStream(triples, namespaces)
                              for part, triples in sources.parts.items()}, out_dir / "dumps")
    poll()
    dataset = URIRef(base + "id/dataset/compact-kg")
    about = new_graph(base)  # what the data (not the model) says about the dataset
    for triple in sources.parts["data"]:
        if triple[0] == dataset:
            about.add(triple)  # type: ignore[arg-type]
            if isinstance(triple[2], BNode):
                for nested in graph.triples((triple[2], None, None)):
                    about.add(nested)  # type: ignore[arg-type]
    sources.parts.clear()  # the part lists are not needed any more
    void = void_description(data=about, model=sources.model, base=base, dumps=dumps,
                            site_url=base, whole=graph)
    (out_dir / "void.ttl").write_bytes(serialize(void, FORMATS[0]))
    well_known = out_dir / ".well-known"
    well_known.mkdir()
    (well_known / "void").write_bytes((out_dir / "void.ttl").read_bytes())
    (out_dir / ".htaccess").write_text(HTACCESS, encoding="utf-8")
    (out_dir / "nginx.conf").write_text(NGINX_CONF, encoding="utf-8")
    files = {str(path) for path in (
        *(d.path for d in dumps), out_dir / "dumps" / "SHA256SUMS", out_dir / "void.ttl",
        well_known / "void", out_dir / ".htaccess", out_dir / "nginx.conf")}
    for page in (site.case_studies_page, site.areas_page, site.mechanisms_page,
                 site.themes_page, site.ontology_page, site.vocabulary_pages,
                 site.shapes_page, site.queries_page, site.query_page):
        poll()
        page()
    _landing_page(site, void, graph, base, dumps)
    return files | {str(path) for path in site.written}, dumps


#: The extensions of a resource's files: its HTML page and its data in four syntaxes.
RESOURCE_EXTENSIONS: tuple[str, ...] = ("html", *(fmt.extension for fmt in FORMATS))
_JSONLD = next(f for f in FORMATS if f.extension == "jsonld")
#: What a forked worker renders: set by the parent just before the pool forks.
_JOB: dict[str, Any] = {}


def render_resource(site: Site, subject: URIRef, path: str, terms: OxTerms,
                    extensions: Collection[str] = RESOURCE_EXTENSIONS) -> dict[str, bytes]:
    """The bytes of the representations (by extension, of :data:`RESOURCE_EXTENSIONS`) of
    the resource whose files are at ``path``: its concise bounded description in four
    syntaxes (serialised by pyoxigraph) and its HTML page (which embeds the JSON-LD).

    What ``publish`` writes and ``serve`` answers, so both give the same bytes."""
    triples = OxTriples(site.graph.cbd(subject), terms.namespaces, terms)  # type: ignore[union-attr]
    out: dict[str, bytes] = {}
    for fmt in FORMATS:
        page = fmt is _JSONLD and "html" in extensions  # the page embeds the JSON-LD
        if fmt.extension not in extensions and not page:
            continue
        data = serialize_triples(triples, fmt)
        if fmt.extension in extensions:
            out[fmt.extension] = data
        if page:
            out["html"] = site.resource_html(subject, path, data.decode("utf-8")).encode()
    return out


def _render_one(site: Site, subject: URIRef, path: str, terms: OxTerms,
                folders: set[str]) -> None:
    """Write the five files of one resource (:func:`render_resource`)."""
    folder = path.rpartition("/")[0]
    if folder not in folders:
        (site.out / folder).mkdir(parents=True, exist_ok=True)
        folders.add(folder)
    target = f"{site.out}/{path}"  # plain strings: pathlib costs more than it helps here
    for extension, data in render_resource(site, subject, path, terms).items():
        write_file(f"{target}.{extension}", data)


def _render_chunk(chunk: int) -> int:
    site, resources, namespaces, chunks = (_JOB["site"], _JOB["resources"],
                                           _JOB["namespaces"], _JOB["chunks"])
    mine = resources[chunk::chunks]
    terms = _JOB.get("terms")
    if terms is None:  # one conversion cache per process
        terms = _JOB["terms"] = OxTerms(namespaces)
    folders = _JOB.setdefault("folders", set())
    for subject, path in mine:
        _render_one(site, subject, path, terms, folders)
    return len(mine)


class _Renderer:
    """The resource pages, in a pool of forked workers when there are many (else in this
    process, on leaving the ``with`` block). :meth:`poll` reports finished work without
    waiting; leaving the block waits for the rest."""

    def __init__(self, site: Site, resources: list[tuple[URIRef, str]],
                 namespaces: dict[str, str], processes: int | None,
                 progress: ProgressCallback) -> None:
        self.total = len(resources)
        self.done = 0
        self.progress = progress
        processes = processes or min(2, os.cpu_count() or 1)
        site.env.get_template("resource.html")  # compiled once, before the fork
        self.chunks = max(1, min(64, self.total // 50))
        _JOB.update(site=site, resources=resources, namespaces=namespaces, chunks=self.chunks)
        self.pool: Any = None
        self.results: Any = None
        if processes > 1 and self.total >= 100 and "fork" in mp.get_all_start_methods():
            self.pool = mp.get_context("fork").Pool(processes)
            self.results = self.pool.imap_unordered(_render_chunk, range(self.chunks))

    def __enter__(self) -> _Renderer:
        return self

    def poll(self) -> None:
        if self.results is None:
            return
        while True:
            try:
                count = self.results.next(timeout=0)
            except (StopIteration, mp.TimeoutError):
                return
            self.done += count
            self.progress(self.done, self.total)

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        try:
            if error is None:
                if self.results is None:
                    for chunk in range(self.chunks):
                        self.done += _render_chunk(chunk)
                        self.progress(self.done, self.total)
                else:
                    for count in self.results:
                        self.done += count
                        self.progress(self.done, self.total)
        finally:
            if self.pool is not None:
                if error is None:
                    self.pool.close()
                else:
                    self.pool.terminate()
                self.pool.join()
            _JOB.clear()


def _landing_page(site: Site, void: Graph, graph: TripleIndex, base: str,
                  dumps: list[Dump]) -> None:
    dataset = URIRef(base + "id/dataset/compact-kg")
    ckg = site.ckg

    def first(predicate: URIRef) -> str:
        value = next(void.objects(dataset, predicate), None)
        return str(value) if value is not None else ""

    licence = next(void.objects(dataset, DCTERMS.license), None)
    examples = sorted(site.instances(ckg.CaseStudy), key=str)[:3]
    site.write(
        "index.html", "index.html", title=first(DCTERMS.title) or "compact-kg",
        description=first(DCTERMS.description), dataset_iri=str(dataset),
        licence=site.label(licence) if licence is not None else "",
        licence_href=str(licence) if isinstance(licence, URIRef) else None,
        triples=len(graph), pages=len(site.pages), base=base,
        counts={"case_studies": len(site.instances(ckg.CaseStudy)),
                "areas": len(site.instances(ckg.Area)),
                "mechanisms": len(site.instances(ckg.Mechanism))},
        examples=[site.value(e, "index.html") for e in examples],
        dumps=[(d.path.name, d.media_type + (" (gzip)" if d.gzipped else ""), d.size)
               for d in dumps],
        schema_org=script_json(schema_org_dataset(void, base, base)))
