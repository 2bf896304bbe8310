"""The HTML side of the published site: one page per resource, index and documentation pages.

File layout (relative to the site folder, for base ``B``)::

    B + "id/area/surrey"  ->  id/area/surrey.html  .ttl  .jsonld  .rdf  .nt
    B + "def/"            ->  def/index.html ...     (an IRI ending in "/" gets "index")
    B + "x#y"             ->  x/y.html ...           (a hash IRI gets a sub-path)

Every link between pages is relative, so the site works from any folder and from file://.
Pages are rendered with jinja2 templates (``templates/*.html``) with autoescaping on; the
only unescaped inserts are SVG we draw ourselves (text escaped in :mod:`compact_kg.svg`) and
JSON for ``<script>`` blocks, escaped by :func:`script_json`.
"""

from __future__ import annotations

import functools
import heapq
import json
import os
import posixpath
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SH, SKOS
from rdflib.term import Node

from compact_kg import __version__
from compact_kg.graphs import TripleIndex
from compact_kg.svg import Axis, TimePoint, matrix_svg, parse_date, timeline_svg

__all__ = ["INCOMING_LIMIT", "SavedQuery", "Site", "page_path", "read_saved_queries", "script_json",
           "write_file"]

_TEMPLATES = Path(__file__).parent / "templates"
_SAFE = re.compile(r"[^A-Za-z0-9._~\-/]")
LABEL_PREDICATES = (RDFS.label, SKOS.prefLabel, DCTERMS.title)
DESCRIPTION_PREDICATES = (DCTERMS.description, SKOS.definition, RDFS.comment, SH.message)
LANG_PREFERENCE = ("en-gb", "en", None)

#: How many resources linking to a resource through one property its page lists; the rest
#: are a query away (a class, a theme or a region is the object of thousands of triples).
INCOMING_LIMIT = 100
_ROW_ORDER = {p: i for i, p in enumerate((RDF.type, *LABEL_PREDICATES, *DESCRIPTION_PREDICATES))}
_ALTERNATES = (("ttl", "text/turtle"), ("jsonld", "application/ld+json"),
               ("rdf", "application/rdf+xml"), ("nt", "application/n-triples"))
_MARKS = ("\x00title\x00", "\x00head\x00", "\x00main\x00")  # cut points of a page frame

# Index pages and the saved query that produces the same list.
INDEX_QUERIES = {
    "case-studies": "case-studies-by-theme",
    "areas": "areas-by-type-and-region",
    "mechanisms": "mechanisms-by-area",
    "themes": "case-studies-by-theme",
}


def page_path(iri: str, base: str) -> str | None:
    """The site path (without extension) of an IRI of our namespace, or None."""
    if not iri.startswith(base) or iri == base:
        return None
    local = iri[len(base):]
    if local.endswith("/"):
        local += "index"
    local = local.replace("#", "/")
    segments = [_SAFE.sub("_", part) or "_" for part in local.split("/")]
    segments = ["_" if part in {".", ".."} else part for part in segments]
    return "/".join(segments)


@functools.lru_cache(maxsize=4096)
def _parts(folder: str) -> tuple[str, ...]:
    return tuple(part for part in folder.split("/") if part)


def _relpath(target: str, folder: str) -> str:
    """``posixpath.relpath(target, folder or ".")`` for the plain relative paths of the site
    (no ``.``, ``..``, leading or doubled ``/``), without its calls to ``abspath``: it runs
    for every link of every page."""
    if target.startswith(("/", ".")) or "/." in target or "//" in target or "." in _parts(
            folder) or ".." in _parts(folder):
        return posixpath.relpath(target, folder or ".")
    start = _parts(folder)
    path = target.split("/")
    common = 0
    for a, b in zip(start, path, strict=False):
        if a != b:
            break
        common += 1
    rel = [".."] * (len(start) - common) + path[common:]
    return "/".join(rel) if rel else "."


def write_file(path: str, data: bytes) -> None:
    """Create or replace the file ``path`` with ``data`` in three system calls (open, write,
    close): a site has five files per resource, and Python's buffered files add more."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def script_json(text: str) -> Markup:
    """JSON made safe inside <script>: '<', '>' and '&' become \\u escapes (valid JSON)."""
    safe = (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    return Markup(safe)  # noqa: S704 - every character that could end the script is escaped


@dataclass(frozen=True)
class SavedQuery:
    """A queries/*.rq file and its ``#+ key: value`` header."""

    name: str
    text: str
    meta: dict[str, list[str]]

    @property
    def title(self) -> str:
        return (self.meta.get("title") or [self.name])[0]

    @property
    def description(self) -> str:
        return " ".join(self.meta.get("description") or [])

    def others(self) -> list[tuple[str, str]]:
        return [(key, "; ".join(values)) for key, values in self.meta.items()
                if key not in {"title", "description"}]


_HEADER = re.compile(r"^#\+\s*([A-Za-z][\w-]*)\s*:\s?(.*)$")


def read_saved_queries(queries_dir: Path, rebase: tuple[str, str] | None = None,
                       ) -> list[SavedQuery]:
    """Every queries/*.rq file with its header lines (``#+ key: value``, repeatable).

    With ``rebase=(old, new)`` every occurrence of the ``old`` namespace in the text is
    replaced by ``new``, so the queries run against a rebased graph."""
    found = []
    for path in sorted(queries_dir.glob("*.rq")) if queries_dir.is_dir() else []:
        text = path.read_text(encoding="utf-8")
        if rebase is not None and rebase[0] != rebase[1]:
            text = text.replace(*rebase)
        meta: dict[str, list[str]] = defaultdict(list)
        last = None
        for line in text.splitlines():
            match = _HEADER.match(line)
            if match:
                last = match.group(1).lower()
                if match.group(2).strip():
                    meta[last].append(match.group(2).strip())
            elif line.startswith("#+") and last is not None and line[2:].strip():
                meta[last].append(line[2:].strip())  # continuation / YAML-like list item
            elif line.strip() and not line.startswith("#"):
                break
        found.append(SavedQuery(path.stem, text, dict(meta)))
    return found


@dataclass
class Value:
    """One object of a triple, ready for the template."""

    text: str
    href: str | None = None
    iri: str | None = None
    note: str | None = None  # datatype or language of a literal
    rows: list[Row] = field(default_factory=list)  # a blank node's own properties


@dataclass
class Row:
    """One predicate of a properties table with its values."""

    label: str
    href: str | None
    iri: str
    values: list[Value]


def _pick(values: list[Node]) -> Node | None:
    literals = [v for v in values if isinstance(v, Literal)]
    for lang in LANG_PREFERENCE:
        for value in literals:
            if (value.language or None) == lang or (
                    lang is not None and (value.language or "").lower() == lang):
                return value
    return literals[0] if literals else (values[0] if values else None)


class Site:
    """Renders the graph into HTML pages in ``out``; knows labels, paths and links."""

    def __init__(self, graph: Graph | TripleIndex, base: str, out: Path, queries: list[SavedQuery],
                 model: Graph, incoming_limit: int = INCOMING_LIMIT) -> None:
        self.graph = graph
        self.incoming_limit = incoming_limit
        self.model = model
        self.base = base
        self.out = out
        self.queries = queries
        self.ckg = Namespace(base + "def/")
        self.prefixes = sorted(((str(ns), p) for p, ns in graph.namespaces() if p),
                               key=lambda item: -len(item[0]))
        self.pages: dict[URIRef, str] = {}
        for subject in set(graph.subjects()):
            if isinstance(subject, URIRef):
                path = page_path(str(subject), base)
                if path is not None:
                    self.pages[subject] = path
        self.env = Environment(loader=FileSystemLoader(_TEMPLATES),
                               autoescape=select_autoescape(default=True, default_for_string=True),
                               trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
        self._labels: dict[Node, str] = {}
        self._instances: dict[Node, list[URIRef]] = {}
        self._themes: dict[Node, set[Node]] = {}
        self.written: list[Path] = []
        self._fragments: dict[Node, tuple[str | None, str, str]] = {}
        self._folder_links: dict[tuple[str, str], str] = {}
        self._shells: dict[str, tuple[str, str, str, str]] = {}

    # -- names and links -------------------------------------------------------------------

    def qname(self, iri: str) -> str:
        for namespace, prefix in self.prefixes:
            if iri.startswith(namespace) and len(iri) > len(namespace):
                return f"{prefix}:{iri[len(namespace):]}"
        return iri

    def label(self, node: Node) -> str:
        if node in self._labels:
            return self._labels[node]
        text = None
        for predicate in LABEL_PREDICATES:
            chosen = _pick(list(self.graph.objects(node, predicate)))  # type: ignore[arg-type]
            if chosen is not None:
                text = str(chosen)
                break
        if text is None:
            text = self.qname(str(node)) if isinstance(node, URIRef) else str(node)
        self._labels[node] = text
        return text

    def description(self, node: Node) -> str | None:
        for predicate in DESCRIPTION_PREDICATES:
            chosen = _pick(list(self.graph.objects(node, predicate)))  # type: ignore[arg-type]
            if chosen is not None:
                return str(chosen)
        return None

    def href(self, node: Node, from_page: str, suffix: str = ".html") -> str | None:
        """A relative link from the page at ``from_page`` to ``node`` (absolute if external)."""
        if not isinstance(node, URIRef):
            return None
        path = self.pages.get(node)
        if path is not None:
            return self.rel(from_page, path + suffix)
        text = str(node)
        if text.startswith(("http://", "https://")) and not text.startswith(self.base):
            return text
        return None

    @staticmethod
    def rel(from_page: str, target: str) -> str:
        return _relpath(target, from_page.rpartition("/")[0])

    def value(self, node: Node, from_page: str, depth: int = 0) -> Value:
        if isinstance(node, Literal):
            note = f"@{node.language}" if node.language else (
                self.qname(str(node.datatype)) if node.datatype else None)
            return Value(text=str(node), note=note)
        if isinstance(node, BNode):
            rows = self.rows(node, from_page, depth + 1) if depth < 4 else []
            return Value(text="(blank node)", rows=rows)
        return Value(text=self.label(node), href=self.href(node, from_page), iri=str(node))

    def rows(self, subject: Node, from_page: str, depth: int = 0) -> list[Row]:
        grouped: dict[URIRef, list[Node]] = defaultdict(list)
        for p, o in self.graph.predicate_objects(subject):  # type: ignore[arg-type]
            grouped[p].append(o)  # type: ignore[index]
        rows = []
        order = {p: i for i, p in enumerate((RDF.type, *LABEL_PREDICATES,
                                              *DESCRIPTION_PREDICATES))}
        for predicate in sorted(grouped, key=lambda p: (order.get(p, 99), self.label(p))):
            values = sorted(grouped[predicate], key=lambda o: (self.label(o), str(o)))
            rows.append(Row(self.label(predicate), self.href(predicate, from_page),
                            str(predicate), [self.value(v, from_page, depth) for v in values]))
        return rows

    def value_markup(self, node: Node, from_page: str) -> Markup:
        """:meth:`value_html` for the page ``from_page``, ready for a template."""
        return Markup(self.value_html(node, from_page.rpartition("/")[0]))  # noqa: S704

    def links_markup(self, nodes: list[Node] | set[Node], from_page: str) -> Markup:
        """What macros.html's ``values(links(nodes, from_page))`` writes, made without it."""
        folder = from_page.rpartition("/")[0]
        return Markup(", ".join([  # noqa: S704 - value_html escapes every text
            self.value_html(n, folder)
            for n in sorted(nodes, key=lambda n: (self.label(n), str(n)))]))

    def links(self, nodes: list[Node] | set[Node], from_page: str) -> list[Value]:
        return [self.value(n, from_page)
                for n in sorted(nodes, key=lambda n: (self.label(n), str(n)))]

    # -- writing ---------------------------------------------------------------------------

    def _page_context(self, path: str) -> dict[str, object]:
        root = self.rel(path, "index.html").removesuffix("index.html") or "./"
        nav = [(title, self.rel(path, target)) for title, target in (
            ("Home", "index.html"), ("Case studies", "case-studies.html"),
            ("Areas", "areas.html"), ("Mechanisms", "mechanisms.html"),
            ("Themes", "themes.html"), ("Ontology", "docs/ontology.html"),
            ("Vocabularies", "docs/vocabularies.html"), ("Shapes", "docs/shapes.html"),
            ("Saved queries", "queries.html"), ("Query", "query.html"),
            ("VoID", "void.ttl"))]
        return {"root": root, "nav": nav, "version": __version__}

    def write(self, path: str, template: str, **context: object) -> None:
        html = self.env.get_template(template).render(**self._page_context(path), **context)
        target = self.out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
        self.written.append(target)

    def query_link(self, from_page: str, name: str) -> tuple[str, bool]:
        exists = any(q.name == name for q in self.queries)
        return self.rel(from_page, "queries.html") + (f"#{name}" if exists else ""), exists

    # -- resource pages --------------------------------------------------------------------

    # The resource pages are many (one per IRI of our namespace) and link to each other a
    # lot, so they are written without a template per value: each linked resource's HTML
    # fragment is made once (escaped label, IRI, file name) and only the relative folder
    # part of its link is added per page, from a small table of folder pairs. The HTML is
    # byte for byte what the macros of the other pages (macros.html) write for the same
    # values; tests/test_publish.py checks it.

    def _folder_to(self, folder: str, target_dir: str) -> str:
        """The relative prefix (``""``, ``"../area/"``...) from ``folder`` to ``target_dir``."""
        key = (folder, target_dir)
        found = self._folder_links.get(key)
        if found is None:
            found = _relpath(target_dir + "/x", folder)[:-1] if target_dir else \
                _relpath("x", folder)[:-1]
            self._folder_links[key] = found
        return found

    def _iri_parts(self, node: URIRef) -> tuple[str | None, str, str]:
        """(folder of its page or None, the rest of its value link, its predicate link)."""
        found = self._fragments.get(node)
        if found is None:
            if len(self._fragments) > 500_000:
                self._fragments.clear()  # bounded memory on large graphs; same output
            text = str(escape(self.label(node)))
            iri = str(escape(str(node)))
            path = self.pages.get(node)
            if path is not None:
                folder, _, name = path.rpartition("/")
                found = (folder, f'{name}.html" title="{iri}">{text}</a>',
                         f'{name}.html">{text}</a>')
            else:
                href = self.href(node, "")  # external (absolute) or None
                if href is not None:
                    href = str(escape(href))
                    found = (None, f'<a href="{href}" title="{iri}">{text}</a>',
                             f'<a href="{href}">{text}</a>')
                else:
                    found = (None, f'<span title="{iri}">{text}</span>', text)
            self._fragments[node] = found
        return found

    def _iri_html(self, node: URIRef, folder: str) -> str:
        target, rest, _ = self._iri_parts(node)
        if target is None:
            return rest
        return '<a href="' + self._folder_to(folder, target) + rest

    def _predicate_html(self, node: URIRef, folder: str) -> str:
        target, _, rest = self._iri_parts(node)
        if target is None:
            return rest
        return '<a href="' + self._folder_to(folder, target) + rest

    def value_html(self, node: Node, folder: str, depth: int = 0) -> str:
        """The HTML of ``node`` on a page in ``folder``: what macros.html's ``value`` writes
        for :meth:`value` (a link with the label, a literal with its language or datatype,
        a blank node's own properties as a nested table)."""
        if isinstance(node, URIRef):
            return self._iri_html(node, folder)
        if isinstance(node, Literal):
            text = str(escape(str(node)))
            note = f"@{node.language}" if node.language else (
                self.qname(str(node.datatype)) if node.datatype else None)
            return f'{text} <span class="note">{escape(note)}</span>' if note else text
        if depth < 4:
            rows = self._rows_html(node, folder, depth + 1, nested=True)
            if rows:
                return '<table class="nested">' + rows + "</table>"
        return "(blank node)"

    def _value_text(self, node: Node) -> str:
        """The text a :class:`Value` of ``node`` shows."""
        if isinstance(node, URIRef):
            return self.label(node)
        return str(node) if isinstance(node, Literal) else "(blank node)"

    def _sort_key(self, node: Node) -> tuple[str, str]:
        return (str(node) if isinstance(node, Literal) else self.label(node), str(node))

    def _rows_html(self, subject: Node, folder: str, depth: int = 0,
                   nested: bool = False) -> str:
        """:meth:`rows` as the HTML of the properties table (or a nested one)."""
        grouped: dict[Node, list[Node]] = {}
        for p, o in self.graph.predicate_objects(subject):  # type: ignore[arg-type]
            values = grouped.get(p)
            if values is None:
                grouped[p] = [o]
            else:
                values.append(o)
        out = []
        order = _ROW_ORDER
        for predicate in sorted(grouped, key=lambda p: (order.get(p, 99), self.label(p))):
            values = grouped[predicate]
            if len(values) > 1:
                values = sorted(values, key=self._sort_key)
            cell = "<br>".join([self.value_html(v, folder, depth) for v in values])
            link = self._predicate_html(predicate, folder)  # type: ignore[arg-type]
            if nested:
                out.append(f"<tr><th>{link}</th><td>{cell}</td></tr>")
            else:
                out.append(f'<tr><td>{link}<br><span class="note">{escape(str(predicate))}'
                           f"</span></td>\n<td>{cell}</td></tr>\n")
        return "".join(out)

    def _provenance_html(self, subject: Node, folder: str) -> str:
        """Where the facts about ``subject`` come from: one box per source locator, with the
        publication's title, publisher, date, pages and section."""
        out = []
        graph, ckg = self.graph, self.ckg
        for locator in sorted(graph.objects(subject, PROV.wasDerivedFrom)):  # type: ignore[arg-type]
            html = ['<div class="prov"><strong>Source:</strong>\n']
            publication = next(graph.objects(locator, DCTERMS.isPartOf), None)
            if publication is not None:
                title = _pick(list(graph.objects(publication, DCTERMS.title)))
                title_text = str(title) if title is not None else self.label(publication)
                html.append(self.value_html(publication, folder))
                if title_text and title_text != self._value_text(publication):
                    html.append(f" — <em>{escape(title_text)}</em>")
                publisher = next(graph.objects(publication, DCTERMS.publisher), None)
                if publisher is not None:
                    html.append(", published by " + self.value_html(publisher, folder))
                issued = next(graph.objects(publication, DCTERMS.issued), None)
                if issued is not None and str(issued):
                    html.append(f" ({escape(str(issued))})")
            start = next(graph.objects(locator, ckg.pageStart), None)
            end = next(graph.objects(locator, ckg.pageEnd), None)
            if start is not None:
                pages = f"{start}–{end}" if end is not None and end != start else f"{start}"
                if pages:
                    html.append(f", p. {escape(pages)}")
            section = next(graph.objects(locator, ckg.section), None)
            if section is not None and str(section):
                html.append(f", section “{escape(str(section))}”")
            html.append('<br><span class="note">locator: ' + self.value_html(locator, folder)
                        + "</span></div>\n")
            out.append("".join(html))
        return "".join(out)

    def _incoming_html(self, subject: URIRef, folder: str) -> str:
        incoming: dict[tuple[str, str], list[Node]] = defaultdict(list)
        for s, p in self.graph.subject_predicates(subject):
            incoming[(self.label(p), str(p))].append(s)
        if not incoming:
            return ""
        out = ["<h2>Referred to by</h2>\n<table>\n<tr><th>Property</th><th>From</th></tr>\n"]
        for (_, piri), sources in sorted(incoming.items()):
            predicate = URIRef(piri)
            more = len(sources) - self.incoming_limit
            if more > 0:  # nsmallest is sorted()[:n], ties in graph order
                sources = heapq.nsmallest(self.incoming_limit, sources, key=self._value_text)
            else:
                sources = sorted(sources, key=self._value_text)
            cell = "<br>".join([self.value_html(s, folder) for s in sources])
            if more > 0:
                cell += "<br>" + self._more_html(subject, predicate, len(sources) + more, folder)
            out.append(f"<tr><td>{self._predicate_html(predicate, folder)}</td>"
                       f"<td>{cell}</td></tr>\n")
        out.append("</table>\n")
        return "".join(out)

    def _more_html(self, subject: URIRef, predicate: URIRef, total: int, folder: str) -> str:
        """The line under a list cut at ``incoming_limit``: how many there are, and a link
        to the query page with the query that lists them all."""
        query = (f"SELECT ?from ?label WHERE {{\n  ?from <{predicate}> <{subject}> .\n"
                 f"  OPTIONAL {{ ?from <{RDFS.label}> ?label }}\n}} ORDER BY ?label ?from")
        href = self._folder_to(folder, "") + "query.html?query=" + quote(query, safe="")
        return (f'<span class="note">… the first {self.incoming_limit} of {total:,}: '
                f'<a href="{escape(href)}">list them all with a query</a> '
                "(or see the data dumps)</span>")

    def resource_html(self, subject: URIRef, path: str, jsonld: str) -> str:
        """The HTML page of ``subject`` (whose files are at ``path``) with its JSON-LD
        embedded: label, IRI, types, description, sources, properties and, for links to it,
        the first :data:`INCOMING_LIMIT` sources of each property with a link to the query
        that lists them all (a class or a theme has thousands)."""
        folder, _, name = path.rpartition("/")
        shell = self._shells.get(folder)
        if shell is None:
            shell = self._shells[folder] = self._shell(path)
        iri = str(subject)
        qname = self.qname(iri)
        head = "".join(
            f'<link rel="alternate" type="{media}" href="{name}.{ext}">\n'
            for ext, media in _ALTERNATES) + \
            f'<script type="application/ld+json">{script_json(jsonld)}</script>\n'
        iri_html = escape(iri)
        main = [f"<h1>{escape(self.label(subject))}</h1>\n<p class=\"iri\">{iri_html}"
                + (f" ({escape(qname)})" if qname != iri else "") + "</p>\n"]
        types = sorted(set(self.graph.objects(subject, RDF.type)), key=self._sort_key)
        if types:
            main.append("<p>Type: " + ", ".join([self.value_html(t, folder) for t in types])
                        + "</p>")
        description = self.description(subject)
        if description:
            main.append(f'<p class="description">{escape(description)}</p>')
        main.append(self._lifetime_html(subject, folder))
        main.append(self._provenance_html(subject, folder))
        main.append("<h2>Properties</h2>\n<table>\n<tr><th>Property</th><th>Value</th></tr>\n")
        main.append(self._rows_html(subject, folder))
        main.append("</table>\n")
        main.append(self._incoming_html(subject, folder))
        main.append("<p>This resource as data:\n" + " · ".join(
            f'<a href="{name}.{ext}">{ext.upper()}</a>' for ext, _ in _ALTERNATES) + "</p>\n")
        before, to_head, to_main, after = shell
        return (before + str(escape(self.label(subject))) + to_head + head + to_main
                + "".join(main) + after)

    def _lifetime_html(self, subject: URIRef, folder: str) -> str:
        """When an area or body existed (its ckg:period) and what replaced it or what it
        replaced (dcterms:isReplacedBy, either way round), or "" when the data says neither."""
        ckg = self.ckg
        parts = []
        for life in sorted(set(self.graph.objects(subject, ckg.period)), key=self._sort_key):
            start = next(iter(self.graph.objects(life, ckg.startDate)), None)
            end = next(iter(self.graph.objects(life, ckg.endDate)), None)
            if start is not None or end is not None:
                since = f"from {escape(str(start))}" if start is not None else "from (unknown)"
                until = f" to {escape(str(end))}" if end is not None else " (still existing)"
                parts.append(f"Existed {since}{until}.")
        replaced = DCTERMS.isReplacedBy
        for words, others in (("No longer exists; replaced by",
                               self.graph.objects(subject, replaced)),
                              ("Took the place of", self.graph.subjects(replaced, subject))):
            linked = sorted(set(others), key=self._sort_key)
            if linked:
                parts.append(f"{words} " + ", ".join(self.value_html(s, folder) for s in linked)
                             + ".")
        return f'<p class="lifetime">{" ".join(parts)}</p>\n' if parts else ""

    def _shell(self, path: str) -> tuple[str, str, str, str]:
        """base.html around a resource page in the folder of ``path``, cut where the title,
        the head block and the main block go."""
        html = self.env.get_template("resource.html").render(
            **self._page_context(path), title=Markup(_MARKS[0]),  # noqa: S704
            head=Markup(_MARKS[1]), main=Markup(_MARKS[2]))  # noqa: S704
        before, _, rest = html.partition(_MARKS[0])
        to_head, _, rest = rest.partition(_MARKS[1])
        to_main, _, after = rest.partition(_MARKS[2])
        return before, to_head, to_main, after

    # -- index pages -----------------------------------------------------------------------

    def instances(self, cls: URIRef) -> list[URIRef]:
        cached = self._instances.get(cls)
        if cached is None:
            found = {s for s in self.graph.subjects(RDF.type, cls) if isinstance(s, URIRef)}
            cached = self._instances[cls] = sorted(found, key=lambda s: (self.label(s), str(s)))
        return list(cached)

    def scheme_concepts(self, scheme: URIRef) -> list[URIRef]:
        found = {s for s in self.graph.subjects(SKOS.inScheme, scheme) if isinstance(s, URIRef)}
        return sorted(found, key=lambda s: (self.label(s), str(s)))

    def _index(self, path: str, key: str, title: str, intro: str, **context: object) -> None:
        query_href, query_exists = self.query_link(path, INDEX_QUERIES[key])
        self.write(path, "list.html", title=title, intro=intro, query_href=query_href,
                   query_name=INDEX_QUERIES[key], query_exists=query_exists, **context)

    def case_studies_page(self) -> None:
        path = "case-studies.html"
        ckg = self.ckg
        items = []
        for case in self.instances(ckg.CaseStudy):
            items.append({
                "item": self.value_markup(case, path),
                "cells": [
                    ("Area", self.links_markup(set(self.graph.objects(case, ckg.area)), path)),
                    ("Theme", self.links_markup(self.themes_of(case), path)),
                    ("Mechanisms", self.links_markup(set(self.graph.objects(case, ckg.mechanism)),
                                              path)),
                ]})
        self._index(path, "case-studies", "Case studies",
                    "Every case study in the graph, with its area, theme and mechanisms.",
                    groups=[("", items)], columns=["Case study", "Area", "Theme", "Mechanisms"],
                    svg=Markup(self.timeline(path)),  # noqa: S704 - our own escaped SVG
                    svg_caption="Dated events (circles) and measurements (squares).")

    def themes_of(self, node: Node) -> set[Node]:
        cached = self._themes.get(node)
        if cached is None:
            cached = self._themes[node] = self._themes_of(node)
        return set(cached)

    def _themes_of(self, node: Node) -> set[Node]:
        scheme = URIRef(self.base + "vocab/theme")
        themes = set()
        for o in self.graph.objects(node, None):  # type: ignore[arg-type]
            if (o, SKOS.inScheme, scheme) in self.graph:
                themes.add(o)
        for locator in self.graph.objects(node, PROV.wasDerivedFrom):  # type: ignore[arg-type]
            for o in self.graph.objects(locator, None):
                if (o, SKOS.inScheme, scheme) in self.graph:
                    themes.add(o)
        return themes

    def areas_page(self) -> None:
        path = "areas.html"
        ckg = self.ckg
        groups: dict[str, list[dict[str, object]]] = defaultdict(list)
        for area in self.instances(ckg.Area):
            kinds = sorted(self.label(t) for t in self.graph.objects(area, ckg.authorityType))
            groups[", ".join(kinds) or "(no type)"].append({
                "item": self.value_markup(area, path),
                "cells": [
                    ("GSS code", Markup(", ".join(str(escape(c)) for c in  # noqa: S704
                                                  self.graph.objects(area, ckg.gssCode)))),
                    ("Region", self.links_markup(set(self.graph.objects(area, ckg.region)),
                                                 path)),
                    ("Council", self.links_markup(set(self.graph.objects(area, ckg.governedBy)),
                                                  path)),
                    ("Case studies", self.links_markup(
                        {s for s in self.graph.subjects(ckg.area, area)
                         if (s, RDF.type, ckg.CaseStudy) in self.graph}, path)),
                ]})
        self._index(path, "areas", "Areas", "Areas grouped by the type of their local authority.",
                    groups=sorted(groups.items()),
                    columns=["Area", "GSS code", "Region", "Council", "Case studies"])

    def mechanisms_page(self) -> None:
        path = "mechanisms.html"
        ckg = self.ckg
        groups: dict[str, list[dict[str, object]]] = defaultdict(list)
        for mechanism in self.instances(ckg.Mechanism):
            kinds = sorted(self.label(t) for t in self.graph.objects(mechanism, ckg.mechanismType))
            cases = set(self.graph.subjects(ckg.mechanism, mechanism))
            groups[", ".join(kinds) or "(no type)"].append({
                "item": self.value_markup(mechanism, path),
                "cells": [
                    ("Case study", self.links_markup(cases, path)),
                    ("Operated by", self.links_markup(
                        set(self.graph.objects(mechanism, ckg.operatedBy)), path)),
                ]})
        self._index(path, "mechanisms", "Mechanisms",
                    "Partnership mechanisms grouped by type, and which areas use each type.",
                    groups=sorted(groups.items()),
                    columns=["Mechanism", "Case study", "Operated by"],
                    svg=Markup(self.matrix(path)),  # noqa: S704 - our own escaped SVG
                    svg_caption="Mechanism types (rows) by area (columns): a filled cell means "
                                "a case study of the area has a mechanism of that type.")

    def themes_page(self) -> None:
        path = "themes.html"
        scheme = URIRef(self.base + "vocab/theme")
        ckg = self.ckg
        items = []
        for theme in self.scheme_concepts(scheme):
            cases = {c for c in self.instances(ckg.CaseStudy) if theme in self.themes_of(c)}
            items.append({"item": self.value_markup(theme, path),
                          "cells": [("Definition", escape(self.description(theme) or "")),
                                    ("Case studies", self.links_markup(cases, path))]})
        self._index(path, "themes", "Themes",
                    "The themes of the booklet's sections, with the case studies under each.",
                    groups=[("", items)], columns=["Theme", "Definition", "Case studies"])

    def matrix(self, from_page: str) -> str:
        ckg = self.ckg
        pairs: set[tuple[Node, Node]] = set()
        for case in self.instances(ckg.CaseStudy):
            for area in self.graph.objects(case, ckg.area):
                for mechanism in self.graph.objects(case, ckg.mechanism):
                    for kind in self.graph.objects(mechanism, ckg.mechanismType):
                        pairs.add((kind, area))
        kinds = self.scheme_concepts(URIRef(self.base + "vocab/mechanism-type"))
        kinds += sorted({k for k, _ in pairs} - set(kinds), key=self.label)
        areas = sorted({a for _, a in pairs}, key=lambda a: self.label(a))
        rows = [Axis(self.label(k), self.href(k, from_page)) for k in kinds]
        columns = [Axis(self.label(a), self.href(a, from_page)) for a in areas]
        filled = {(kinds.index(k), areas.index(a)) for k, a in pairs}
        return matrix_svg(rows, columns, filled, title="Mechanism types by area")

    def timeline(self, from_page: str) -> str:
        ckg = self.ckg
        points = []
        for subject, date in self.graph.subject_objects(ckg.date):
            self._point(points, subject, date, from_page)
        for subject, period in self.graph.subject_objects(ckg.period):
            start = next(self.graph.objects(period, ckg.startDate), None)
            if start is not None:
                self._point(points, subject, start, from_page, note=self.label(period))
        return timeline_svg(points, title="Timeline of events and measurements")

    def _point(self, points: list[TimePoint], subject: Node, date: Node, from_page: str,
               note: str | None = None) -> None:
        when = parse_date(str(date))
        if when is None:
            return
        kind = "event" if (subject, RDF.type, self.ckg.Event) in self.graph else "measurement"
        label = self.label(subject)
        if kind == "measurement":
            value = next(self.graph.objects(subject, self.ckg.value), None)
            unit = next(self.graph.objects(subject, self.ckg.unit), None)
            if value is not None:
                label = f"{label}: {value}{' ' + self.label(unit) if unit is not None else ''}"
        points.append(TimePoint(when, note or str(date), label, kind,
                                self.href(subject, from_page)))

    # -- documentation pages ---------------------------------------------------------------

    def ontology_page(self) -> None:
        path = "docs/ontology.html"
        g = self.model

        def terms(kinds: tuple[URIRef, ...]) -> list[URIRef]:
            found = {s for kind in kinds for s in g.subjects(RDF.type, kind)
                     if isinstance(s, URIRef) and str(s).startswith(self.base)}
            return sorted(found, key=lambda s: str(s).lower())

        def entry(term: URIRef, extra: list[tuple[str, URIRef, bool]]) -> dict[str, object]:
            facts = []
            for title, predicate, inverse in extra:
                nodes = set(g.subjects(predicate, term) if inverse else g.objects(term, predicate))
                if nodes:
                    facts.append((title, self.links(nodes, path)))
            return {"term": self.value(term, path), "qname": self.qname(str(term)),
                    "anchor": str(term).rsplit("/", 1)[-1],
                    "definition": self.description(term), "facts": facts}

        classes = [entry(c, [("Subclass of", RDFS.subClassOf, False),
                             ("Superclass of", RDFS.subClassOf, True),
                             ("Domain of", RDFS.domain, True), ("Range of", RDFS.range, True)])
                   for c in terms((OWL.Class, RDFS.Class))]
        properties = [entry(p, [("Domain", RDFS.domain, False), ("Range", RDFS.range, False),
                                ("Subproperty of", RDFS.subPropertyOf, False),
                                ("Inverse of", OWL.inverseOf, False)])
                      for p in terms((OWL.ObjectProperty, OWL.DatatypeProperty,
                                      OWL.AnnotationProperty, RDF.Property))]
        ontology = next((o for o in g.subjects(RDF.type, OWL.Ontology)
                         if isinstance(o, URIRef) and str(o).startswith(self.base)), None)
        self.write(path, "ontology.html", title="Ontology",
                   ontology=self.value(ontology, path) if ontology is not None else None,
                   description=self.description(ontology) if ontology is not None else None,
                   classes=classes, properties=properties)

    def vocabulary_pages(self) -> None:
        schemes = sorted((s for s in self.model.subjects(RDF.type, SKOS.ConceptScheme)
                          if isinstance(s, URIRef)), key=lambda s: str(s))
        listing = []
        for scheme in schemes:
            slug = _SAFE.sub("_", str(scheme).rstrip("/").rsplit("/", 1)[-1])
            path = f"docs/vocabularies/{slug}.html"
            concepts = [{"concept": self.value(c, path), "anchor": str(c).rsplit("/", 1)[-1],
                         "definition": self.description(c),
                         "broader": self.links(set(self.graph.objects(c, SKOS.broader)), path)}
                        for c in self.scheme_concepts(scheme)]
            self.write(path, "vocabulary.html", title=self.label(scheme),
                       scheme=self.value(scheme, path), description=self.description(scheme),
                       concepts=concepts)
            listing.append((self.label(scheme), f"vocabularies/{slug}.html",
                            self.description(scheme), len(concepts)))
        self.write("docs/vocabularies.html", "vocabularies.html", title="Vocabularies",
                   schemes=listing)

    def shapes_page(self) -> None:
        path = "docs/shapes.html"
        g = self.model
        shapes = {s for kind in (SH.NodeShape, SH.PropertyShape)
                  for s in g.subjects(RDF.type, kind)}
        shapes |= set(g.subjects(SH.property, None))
        shapes |= set(g.objects(None, SH.property))
        entries = []
        for shape in sorted(shapes, key=lambda s: (isinstance(s, BNode), str(s))):
            messages = [str(m) for m in g.objects(shape, SH.message)]
            if isinstance(shape, BNode) and not messages:
                continue
            owner = next(g.subjects(SH.property, shape), None)
            severity = next(g.objects(shape, SH.severity), SH.Violation)
            entries.append({
                "shape": self.value(shape, path) if isinstance(shape, URIRef)
                else Value(f"property shape of {self.label(owner)}" if owner else "(shape)"),
                "messages": messages, "severity": self.qname(str(severity)),
                "targets": self.links({o for p in (SH.targetClass, SH.targetNode,
                                                   SH.targetSubjectsOf, SH.targetObjectsOf)
                                       for o in g.objects(shape, p)}, path),
                "paths": [self.label(o) for o in g.objects(shape, SH.path)],
                "owner": self.value(owner, path) if isinstance(owner, URIRef) else None,
            })
        self.write(path, "shapes.html", title="Shapes", shapes=entries)

    def query_parameters(self, query: SavedQuery) -> list[dict[str, object]]:
        """The ``#+ param:`` lines of a saved query for the query page's form: name, type,
        default, description, and the allowed values (IRI, label) when the default is a
        concept of a SKOS scheme (then every concept of that scheme may be chosen)."""
        out: list[dict[str, object]] = []
        for line in query.meta.get("param", []):
            fields = [part.strip() for part in line.split("|", 3)]
            if len(fields) != 4:
                continue  # the catalogue check (compact_kg.queries) reports it
            name, kind, default, description = fields
            choices: list[tuple[str, str]] = []
            if kind == "iri" and default:
                scheme = self.model.value(URIRef(default), SKOS.inScheme)
                if scheme is not None:
                    members = self.model.subjects(SKOS.inScheme, scheme)
                    choices = sorted(((str(c), self.label(c)) for c in members),
                                     key=lambda pair: pair[1].casefold())
            out.append({"name": name, "type": kind, "default": default,
                        "description": description, "choices": choices})
        return out

    def queries_page(self) -> None:
        self.write("queries.html", "queries.html", title="Saved queries", queries=self.queries)

    def query_page(self) -> None:
        catalogue = [{"name": q.name, "title": q.title, "description": q.description,
                      "text": q.text, "params": self.query_parameters(q)}
                     for q in self.queries]
        self.write("query.html", "query.html", title="Run a query",
                   catalogue=script_json(json.dumps(catalogue, ensure_ascii=False)),
                   base=self.base)
