"""The dataset as context for a submission: what already exists, what it is called, where.

A submission is checked *against* the dataset, never merged into it while it is checked:
references to areas, councils, organisations, concepts and source locators must resolve to
something the ontology, the vocabularies or ``data/`` already define, or that the submission
defines itself. :class:`DatasetContext` answers the questions that needs, quickly and without
running anything over the whole dataset:

- is this IRI known, and which file of ``data/`` defines it?
- what are the type, label and scheme triples of these few IRIs (the reference triples a
  SHACL run over the submission needs)?
- which known IRI did a misspelt one probably mean?

The ontology and vocabularies (small, trusted) are held in an rdflib graph; the data files
(trusted, possibly large) are loaded into an in-memory Oxigraph store, one named graph per
file, so that lookups are index look-ups rather than scans.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF, RDFS, SKOS, BNode, Graph, Literal, URIRef

from compact_kg.errors import InputError
from compact_kg.namespace import BASE, CKG, STANDARD_PREFIXES, bind_prefixes
from compact_kg.namespace import curie as _curie
from compact_kg.paths import ProjectPaths

__all__ = [
    "Concept",
    "DatasetContext",
    "bind_standard_prefixes",
    "curie",
]

_LABELS = (SKOS.prefLabel, RDFS.label, SKOS.altLabel)


def curie(iri: str | URIRef) -> str:
    """``area:merton`` for an IRI under a standard prefix, else ``<iri>``."""
    return _curie(str(iri)) or f"<{iri}>"


def bind_standard_prefixes(graph: Graph) -> Graph:
    """Bind the standard prefixes on ``graph`` (replacing rdflib's defaults) and return it."""
    return bind_prefixes(graph)


@dataclass(frozen=True)
class Concept:
    """One concept of a SKOS vocabulary: IRI, preferred label and alternative labels."""

    iri: URIRef
    label: str
    alt_labels: tuple[str, ...] = ()
    definition: str = ""

    @property
    def slug(self) -> str:
        return str(self.iri).rsplit("/", 1)[-1]


def _to_rdflib(term: object) -> URIRef | BNode | Literal:
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    assert isinstance(term, ox.Literal)
    if term.language:
        return Literal(term.value, lang=term.language)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def data_graph_name(path: Path) -> str:
    """The named graph that holds the triples of the data file ``path``: its file: URI."""
    return path.resolve().as_uri()


# The subject index of a persistent store (compact_kg.index): each data graph G has a companion
# graph G#subjects that lists its IRI subjects by "folder" (the IRI up to its last slash),
# and one shared graph lists the folders ever seen (a superset: folders are never removed).
# So "every subject under this namespace" is a few index look-ups instead of a scan of every
# triple (at 10^5 case studies, minutes). The in-memory store of the plain path has none.
_INDEX = "urn:compact-kg:index:"
_MEMBER = _INDEX + "subject"
_FOLDERS = _INDEX + "folders"


def subject_index_graph(graph: str) -> str:
    """The companion graph that indexes the subjects of the data graph ``graph``."""
    return graph + "#subjects"


def _folder(iri: str) -> str:
    return iri[:iri.rfind("/") + 1]


def _folder_node(folder: str) -> str:
    import hashlib

    return _INDEX + "folder:" + hashlib.blake2b(folder.encode("utf-8", "surrogatepass"),
                                                digest_size=16).hexdigest()


def subject_index_quads(graph: str, subjects: Iterable[str]) -> list:
    """The quads that index ``subjects`` (IRIs) of the data graph ``graph`` (pyoxigraph)."""
    import pyoxigraph as ox

    companion = ox.NamedNode(subject_index_graph(graph))
    member = ox.NamedNode(_MEMBER)
    folders: set[str] = set()
    quads = []
    for subject in subjects:
        folder = _folder(subject)
        folders.add(folder)
        quads.append(ox.Quad(ox.NamedNode(_folder_node(folder)), member,
                             ox.NamedNode(subject), companion))
    listing = ox.NamedNode(_FOLDERS)
    quads += [ox.Quad(listing, member, ox.Literal(folder), listing) for folder in folders]
    return quads


def load_model(paths: ProjectPaths) -> Graph:
    """The ontology and vocabularies of ``paths`` as one graph, with the standard prefixes."""
    model = Graph()
    for path in paths.model_files():
        model.parse(path, format="turtle")
    return bind_standard_prefixes(model)


def load_data_file(store: object, path: Path, graph: str | None = None) -> None:
    """Load the data file ``path`` into its named graph of ``store`` (a pyoxigraph Store).

    :raises InputError: the file is not valid Turtle.
    """
    import pyoxigraph as ox

    name = ox.NamedNode(graph or data_graph_name(path))
    try:
        store.load(path=str(path), format=ox.RdfFormat.TURTLE,  # type: ignore[attr-defined]
                   to_graph=name)
    except SyntaxError as error:
        raise InputError(f"the dataset file cannot be parsed ({error})", path=path,
                         hint="Fix the dataset first: compact-kg validate") from None


class DatasetContext:
    """The ontology, vocabularies and data files a submission is checked against."""

    def __init__(self, model: Graph, data_files: list[Path], data_dir: Path,
                 store: object | None = None) -> None:
        """``store``: the data files already loaded (see :mod:`compact_kg.index`); by
        default they are loaded here, into memory."""
        import pyoxigraph as ox

        self.model = model
        self.data_dir = data_dir
        self.data_files = data_files
        if store is None:
            store = ox.Store()
            for path in data_files:
                load_data_file(store, path)
        self._store = store
        self._model_subjects = {s for s in model.subjects() if isinstance(s, URIRef)}

    @classmethod
    def load(cls, paths: ProjectPaths, data_dir: Path | None = None) -> DatasetContext:
        """Load the model of ``paths`` and every ``*.ttl`` under ``data_dir`` (default data/)."""
        data_dir = (data_dir or paths.data_dir).resolve()
        files = sorted(data_dir.rglob("*.ttl")) if data_dir.is_dir() else []
        return cls(load_model(paths), files, data_dir)

    # -- lookups ---------------------------------------------------------------------------

    def _data_quads(self, subject: URIRef, predicate: URIRef | None = None) -> list:
        import pyoxigraph as ox

        pred = ox.NamedNode(str(predicate)) if predicate is not None else None
        return list(self._store.quads_for_pattern(ox.NamedNode(str(subject)), pred, None, None))

    def in_model(self, iri: URIRef) -> bool:
        """Whether the ontology or a vocabulary defines ``iri``."""
        return iri in self._model_subjects

    def defining_file(self, iri: URIRef) -> Path | None:
        """The data file in which ``iri`` is a subject, or None."""
        quads = self._data_quads(iri)
        if not quads:
            return None
        from urllib.parse import unquote, urlparse

        return Path(unquote(urlparse(quads[0].graph_name.value).path))

    def knows(self, iri: URIRef) -> bool:
        """Whether ``iri`` is defined by the model or by a data file."""
        return self.in_model(iri) or bool(self._data_quads(iri))

    def describe(self, iris: Iterable[URIRef]) -> Graph:
        """Every triple about ``iris`` (data and model), and about what they point to.

        This is what a SHACL run over a submission needs to know about the things the
        submission refers to: enough for ``sh:class`` and ``sh:in`` checks on references,
        without loading the rest of the dataset into the validation.
        """
        out = Graph()
        objects: set[URIRef] = set()
        for iri in iris:
            for quad in self._data_quads(iri):
                triple = (URIRef(quad.subject.value), URIRef(quad.predicate.value),
                          _to_rdflib(quad.object))
                out.add(triple)
                if isinstance(triple[2], URIRef):
                    objects.add(triple[2])
            for p, o in self.model.predicate_objects(iri):
                out.add((iri, p, o))
        for obj in objects:  # the second hop: the shapes look at most two links away
            for quad in self._data_quads(obj):
                out.add((URIRef(quad.subject.value), URIRef(quad.predicate.value),
                         _to_rdflib(quad.object)))
            for o in self.model.objects(obj, RDF.type):
                out.add((obj, RDF.type, o))
        return out

    def label(self, iri: URIRef) -> str | None:
        """The preferred label (or rdfs:label) of a known IRI."""
        for predicate in _LABELS:
            value = self.model.value(iri, predicate)
            if value is not None:
                return str(value)
            quads = self._data_quads(iri, predicate)
            if quads:
                return str(quads[0].object.value)
        return None

    def _data_select(self, query: str) -> list:
        return list(self._store.query(query, use_default_graph_as_union=True))

    def instances(self, cls: URIRef) -> list[tuple[URIRef, str]]:
        """(IRI, label) of every instance of ``cls`` in the data, sorted by label."""
        rows = self._data_select(
            "SELECT DISTINCT ?s (SAMPLE(?l) AS ?label) WHERE { ?s a <" + str(cls) + "> ."
            " OPTIONAL { ?s <" + str(RDFS.label) + "> ?l } } GROUP BY ?s")
        found = [(URIRef(row["s"].value), row["label"].value if row["label"] else "")
                 for row in rows]
        return sorted(found, key=lambda item: (item[1].lower(), str(item[0])))

    def subjects_under(self, namespace: str) -> list[URIRef]:
        """Every known subject IRI (data and model) that starts with ``namespace``."""
        import pyoxigraph as ox

        found = {s for s in self._model_subjects if str(s).startswith(namespace)}
        listing = ox.NamedNode(_FOLDERS)
        if not self._store.contains_named_graph(listing):  # the plain path: a scan
            for row in self._data_select(
                    "SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), "
                    + Literal(namespace).n3() + ")) }"):
                found.add(URIRef(row["s"].value))
            return sorted(found)
        member = ox.NamedNode(_MEMBER)
        for entry in self._store.quads_for_pattern(listing, member, None, listing):
            folder = entry.object.value
            if not (folder.startswith(namespace) or namespace.startswith(folder)):
                continue
            for quad in self._store.quads_for_pattern(ox.NamedNode(_folder_node(folder)),
                                                      member, None, None):
                if quad.object.value.startswith(namespace):
                    found.add(URIRef(quad.object.value))
        return sorted(found)

    def concepts(self, scheme: str) -> list[Concept]:
        """The concepts of ``vocab/{scheme}``, in the scheme's file order by label."""
        scheme_iri = URIRef(BASE + "vocab/" + scheme)
        found = []
        for iri in self.model.subjects(SKOS.inScheme, scheme_iri):
            if not isinstance(iri, URIRef):
                continue
            found.append(Concept(
                iri=iri,
                label=str(self.model.value(iri, SKOS.prefLabel) or iri.rsplit("/", 1)[-1]),
                alt_labels=tuple(sorted(str(a) for a in self.model.objects(iri, SKOS.altLabel))),
                definition=str(self.model.value(iri, SKOS.definition) or ""),
            ))
        return sorted(found, key=lambda c: str(c.iri))

    # -- areas -------------------------------------------------------------------------------

    def areas(self) -> list[tuple[URIRef, str]]:
        """(IRI, name) of every area in the data."""
        return self.instances(CKG.Area)

    def council_of(self, area: URIRef) -> URIRef | None:
        """The council that governs ``area``, from the data."""
        quads = self._data_quads(area, CKG.governedBy)
        return URIRef(quads[0].object.value) if quads else None

    def organisations_in(self, area: URIRef) -> list[tuple[URIRef, str]]:
        """(IRI, label) of the organisations of the data that work in or govern ``area``."""
        rows = self._data_select(
            "SELECT DISTINCT ?o (SAMPLE(?l) AS ?label) WHERE { "
            "{ ?o <" + str(CKG.operatesIn) + "> <" + str(area) + "> } UNION "
            "{ ?o <" + str(CKG.governs) + "> <" + str(area) + "> } "
            "OPTIONAL { ?o <" + str(RDFS.label) + "> ?l } } GROUP BY ?o")
        found = [(URIRef(row["o"].value), row["label"].value if row["label"] else "")
                 for row in rows]
        return sorted(found, key=lambda item: str(item[0]))

    def find_area(self, name: str) -> URIRef:
        """The area called ``name`` (label or slug, any case), or the region so called, for a
        case about a whole region; InputError with suggestions."""
        wanted = " ".join(name.split()).casefold()
        areas = self.areas() + self.instances(CKG.Region)
        for iri, label in areas:
            if wanted in (label.casefold(), iri.rsplit("/", 1)[-1].casefold()):
                return iri
        names = [label for _, label in areas]
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
        close += [n for n in names if wanted and wanted in n.casefold() and n not in close]
        hint = f"Did you mean {' or '.join(repr(c) for c in close[:3])}?" if close else (
            "Known areas and regions: " + ", ".join(names) + ".")
        raise InputError(
            f"there is no area called {name!r} in the dataset", hint=hint
            + " To describe a new area, leave out --area and fill in the area block.")

    # -- suggestions -------------------------------------------------------------------------

    def suggest(self, iri: URIRef, extra: Iterable[URIRef] = ()) -> list[URIRef]:
        """Known IRIs (or ``extra`` ones, e.g. the submission's own) close to a misspelt ``iri``."""
        text = str(iri)
        namespace = text.rsplit("/", 1)[0] + "/"
        candidates = set(self.subjects_under(namespace))
        candidates.update(e for e in extra if str(e).startswith(namespace))
        candidates.discard(iri)
        by_local = {str(c)[len(namespace):]: c for c in candidates}
        local = text[len(namespace):]
        matches = difflib.get_close_matches(local, list(by_local), n=3, cutoff=0.6)
        if not matches:
            # the slug may carry the right words in another order, or more of them
            words = set(local.split("-"))
            scored = sorted(by_local, key=lambda k: -len(words & set(k.split("-"))))
            matches = [k for k in scored[:3] if words & set(k.split("-"))]
        if not matches and namespace.endswith("/def/"):
            return []
        if not matches and "/id/" in namespace:
            # a wrong kind: area:merton written as organisation:merton
            # (the subjects named kind_ns + local: looked up, not listed)
            matches_all = [URIRef(kind_ns + local)
                           for kind_ns in {v for v in STANDARD_PREFIXES.values() if "/id/" in v}]
            return sorted(c for c in matches_all if self.knows(c))[:3]
        return [by_local[m] for m in matches]
