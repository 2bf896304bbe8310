"""The compact-kg vocabulary as a closed rdflib namespace.

Every term is declared in ``ontology/compact.ttl``; a test checks that this list and the
ontology agree, and ``_fail = True`` makes a misspelt term an error at import time."""

from __future__ import annotations

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DefinedNamespace

__all__ = [
    "BASE",
    "CKG",
    "ID",
    "OUR_PREFIXES",
    "STANDARD_PREFIXES",
    "VOCAB",
    "W3C_PREFIXES",
    "bind_prefixes",
    "curie",
    "standard_prefixes",
]

BASE = "https://w3id.org/compact-kg/"
ID = Namespace(BASE + "id/")
VOCAB = Namespace(BASE + "vocab/")

#: The standard prefix block of ontology/README.md: prefix -> namespace relative to the base.
OUR_PREFIXES: dict[str, str] = {
    "ckg": "def/", "area": "id/area/", "region": "id/region/",
    "organisation": "id/organisation/", "post": "id/post/", "lc": "id/local-compact/",
    "cs": "id/case-study/", "mech": "id/mechanism/", "outcome": "id/outcome/",
    "ind": "id/indicator/", "meas": "id/measurement/", "event": "id/event/",
    "period": "id/period/", "pub": "id/publication/", "src": "id/source/",
    "compact": "id/compact/", "co": "id/compact-outcome/", "commitment": "id/commitment/",
    "mtype": "vocab/mechanism-type/", "theme": "vocab/theme/", "unit": "vocab/unit/",
    "qualifier": "vocab/qualifier/", "atype": "vocab/authority-type/",
    "otype": "vocab/outcome-type/", "etype": "vocab/event-type/", "sector": "vocab/sector/",
    "status": "vocab/status/", "role": "vocab/role/", "ptype": "vocab/publication-type/",
    "person": "id/person/",
}

#: The W3C and other outside vocabularies the project's files use.
W3C_PREFIXES: dict[str, str] = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "org": "http://www.w3.org/ns/org#",
    "time": "http://www.w3.org/2006/time#",
    "vann": "http://purl.org/vocab/vann/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "void": "http://rdfs.org/ns/void#",
    "sh": "http://www.w3.org/ns/shacl#",
    "schema": "https://schema.org/",
    "spdx": "http://spdx.org/rdf/terms#",
    "foaf": "http://xmlns.com/foaf/0.1/",
}


def standard_prefixes(base: str = BASE) -> dict[str, str]:
    """Prefix -> namespace: our standard block under ``base``, then the W3C prefixes."""
    return {**{prefix: base + local for prefix, local in OUR_PREFIXES.items()}, **W3C_PREFIXES}


#: :func:`standard_prefixes` for the canonical base.
STANDARD_PREFIXES: dict[str, str] = standard_prefixes()

# Longest namespace first, so that vocab/mechanism-type/ wins over a shorter match.
_BY_LENGTH = sorted(STANDARD_PREFIXES.items(), key=lambda item: -len(item[1]))


def bind_prefixes(graph: Graph, prefixes: dict[str, str] | None = None) -> Graph:
    """Bind ``prefixes`` (the standard ones by default) on ``graph``, replacing any other
    binding of the same prefix or namespace, and return the graph."""
    for prefix, namespace in (STANDARD_PREFIXES if prefixes is None else prefixes).items():
        graph.bind(prefix, namespace, override=True, replace=True)
    return graph


def curie(iri: str) -> str | None:
    """``area:merton`` for an IRI under a standard prefix with a plain local name, else None."""
    for prefix, namespace in _BY_LENGTH:
        if iri.startswith(namespace):
            local = iri[len(namespace):]
            if local and all(ch.isalnum() or ch in "-_." for ch in local):
                return f"{prefix}:{local}"
    return None


class CKG(DefinedNamespace):
    """Classes and properties of the compact-kg ontology."""

    _NS = Namespace(BASE + "def/")
    _fail = True

    # classes
    Area: URIRef
    CaseStudy: URIRef
    CodeOfGoodPractice: URIRef
    Commitment: URIRef
    Committee: URIRef
    CompactDocument: URIRef
    CompactGuide: URIRef
    CompactOutcome: URIRef
    Council: URIRef
    CouncilForVoluntaryService: URIRef
    Department: URIRef
    Event: URIRef
    FireAndRescueService: URIRef
    FundingBody: URIRef
    GovernmentBody: URIRef
    Indicator: URIRef
    InfrastructureBody: URIRef
    LocalCompact: URIRef
    Measurement: URIRef
    Mechanism: URIRef
    NationalCompact: URIRef
    Network: URIRef
    Outcome: URIRef
    Partnership: URIRef
    Period: URIRef
    PoliceService: URIRef
    PrimaryCareTrust: URIRef
    Publication: URIRef
    Region: URIRef
    SourceLocator: URIRef
    StatutoryBody: URIRef
    VoluntaryOrganisation: URIRef

    # properties
    area: URIRef
    audience: URIRef
    awardCategory: URIRef
    awardedTo: URIRef
    authorityType: URIRef
    clause: URIRef
    compactArea: URIRef
    concernsCommitment: URIRef
    concernsOutcome: URIRef
    date: URIRef
    endDate: URIRef
    event: URIRef
    eventType: URIRef
    fundedBy: URIRef
    fundingDuration: URIRef
    governedBy: URIRef
    governs: URIRef
    gssCode: URIRef
    gssPrefix: URIRef
    hostedBy: URIRef
    indicator: URIRef
    indicatorOf: URIRef
    involves: URIRef
    linkedTo: URIRef
    localCompact: URIRef
    mandatory: URIRef
    measurement: URIRef
    mechanism: URIRef
    mechanismType: URIRef
    operatedBy: URIRef
    operatesIn: URIRef
    organisedBy: URIRef
    outcome: URIRef
    outcomeNumber: URIRef
    outcomeOf: URIRef
    outcomeType: URIRef
    pageEnd: URIRef
    pageStart: URIRef
    paged: URIRef
    participant: URIRef
    party: URIRef
    period: URIRef
    post: URIRef
    previousMeasurement: URIRef
    publicationType: URIRef
    qualifier: URIRef
    region: URIRef
    registerCode: URIRef
    replaces: URIRef
    respondsTo: URIRef
    resultedFrom: URIRef
    section: URIRef
    sectionPage: URIRef
    sectionTheme: URIRef
    sector: URIRef
    startDate: URIRef
    statedIn: URIRef
    statisticalGeography: URIRef
    status: URIRef
    supplements: URIRef
    theme: URIRef
    uncertain: URIRef
    underOutcome: URIRef
    unit: URIRef
    value: URIRef
