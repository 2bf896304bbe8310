"""The compact-kg vocabulary as a closed rdflib namespace.

Every term is declared in ``ontology/compact.ttl``; a test checks that this list and the
ontology agree, and ``_fail = True`` makes a misspelt term an error at import time."""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DefinedNamespace

__all__ = ["BASE", "CKG", "ID", "VOCAB"]

BASE = "https://w3id.org/compact-kg/"
ID = Namespace(BASE + "id/")
VOCAB = Namespace(BASE + "vocab/")


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
    participant: URIRef
    party: URIRef
    period: URIRef
    post: URIRef
    previousMeasurement: URIRef
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
    underOutcome: URIRef
    unit: URIRef
    value: URIRef
