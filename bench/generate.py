"""A seeded generator of synthetic case studies, for benchmarks at national scale.

The output is laid out like ``data/``::

    OUT/reference/regions.ttl        the nine English regions (real IRIs and E12 codes)
    OUT/reference/areas.ttl          ~330 synthetic areas with their councils, councils for
                                     voluntary service, networks and Local Compacts
    OUT/reference/publications.ttl   one synthetic publication per year (2008-2025) and a register
    OUT/case-studies/NNNN/*.ttl      one file per case study, 1,000 files per shard folder

Every file follows ontology/README.md: the standard prefix block, the IRI patterns, an area
apart from its council, every claim derived from a ``ckg:SourceLocator`` in a publication,
measurements with one indicator, an ``xsd:decimal`` value, a unit, a qualifier and a date,
changes over time as two measurements linked by ``ckg:previousMeasurement``, and typed
mechanisms. Every instance slug starts with ``synthetic-`` so that it never clashes with a
real IRI; only the nine regions keep their real IRIs and codes, as the real reference data
states them.

The same ``seed`` and ``case_studies`` give byte-identical files. Text is written directly
(not through rdflib), so 10^5 case studies take a few minutes at most.

Run it as ``python -m bench.generate --case-studies 1000 --seed 1 --out bench/data/1000``.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "PREFIXES",
    "SHARD_SIZE",
    "VIOLATION_KINDS",
    "GeneratedDataset",
    "case_study_path",
    "generate",
    "main",
    "write_submission",
]

#: Case-study files per shard folder (``case-studies/0000/`` holds the first 1,000).
SHARD_SIZE = 1000

YEARS = tuple(range(2008, 2026))
AREA_COUNT = 330

PREFIXES = """\
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix org:     <http://www.w3.org/ns/org#> .
@prefix prov:    <http://www.w3.org/ns/prov#> .
@prefix rdfs:    <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos:    <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .
@prefix ckg:          <https://w3id.org/compact-kg/def/> .
@prefix area:         <https://w3id.org/compact-kg/id/area/> .
@prefix region:       <https://w3id.org/compact-kg/id/region/> .
@prefix organisation: <https://w3id.org/compact-kg/id/organisation/> .
@prefix post:         <https://w3id.org/compact-kg/id/post/> .
@prefix lc:           <https://w3id.org/compact-kg/id/local-compact/> .
@prefix cs:           <https://w3id.org/compact-kg/id/case-study/> .
@prefix mech:         <https://w3id.org/compact-kg/id/mechanism/> .
@prefix outcome:      <https://w3id.org/compact-kg/id/outcome/> .
@prefix ind:          <https://w3id.org/compact-kg/id/indicator/> .
@prefix meas:         <https://w3id.org/compact-kg/id/measurement/> .
@prefix event:        <https://w3id.org/compact-kg/id/event/> .
@prefix period:       <https://w3id.org/compact-kg/id/period/> .
@prefix pub:          <https://w3id.org/compact-kg/id/publication/> .
@prefix src:          <https://w3id.org/compact-kg/id/source/> .
@prefix compact:      <https://w3id.org/compact-kg/id/compact/> .
@prefix co:           <https://w3id.org/compact-kg/id/compact-outcome/> .
@prefix commitment:   <https://w3id.org/compact-kg/id/commitment/> .
@prefix mtype:        <https://w3id.org/compact-kg/vocab/mechanism-type/> .
@prefix theme:        <https://w3id.org/compact-kg/vocab/theme/> .
@prefix unit:         <https://w3id.org/compact-kg/vocab/unit/> .
@prefix qualifier:    <https://w3id.org/compact-kg/vocab/qualifier/> .
@prefix atype:        <https://w3id.org/compact-kg/vocab/authority-type/> .
@prefix otype:        <https://w3id.org/compact-kg/vocab/outcome-type/> .
@prefix etype:        <https://w3id.org/compact-kg/vocab/event-type/> .
@prefix sector:       <https://w3id.org/compact-kg/vocab/sector/> .
@prefix status:       <https://w3id.org/compact-kg/vocab/status/> .
@prefix role:         <https://w3id.org/compact-kg/vocab/role/> .
"""

# The nine regions of England: slug, name, E12 code (as in data/reference/areas.ttl).
REGIONS = (
    ("north-east", "North East", "E12000001"),
    ("north-west", "North West", "E12000002"),
    ("yorkshire-and-the-humber", "Yorkshire and The Humber", "E12000003"),
    ("east-midlands", "East Midlands", "E12000004"),
    ("west-midlands", "West Midlands", "E12000005"),
    ("east-of-england", "East of England", "E12000006"),
    ("london", "London", "E12000007"),
    ("south-east", "South East", "E12000008"),
    ("south-west", "South West", "E12000009"),
)
# Relative number of non-London areas per region (roughly England's pattern).
REGION_WEIGHTS = {
    "north-east": 4, "north-west": 9, "yorkshire-and-the-humber": 6, "east-midlands": 7,
    "west-midlands": 8, "east-of-england": 8, "south-east": 12, "south-west": 8,
}

# Authority types: slug, GSS prefix, share of the areas, how the council is named.
AUTHORITY_TYPES = (
    ("london-borough", "E09", 0.10, "London Borough of {name}"),
    ("metropolitan-district", "E08", 0.11, "{name} Metropolitan Borough Council"),
    ("county", "E10", 0.08, "{name} County Council"),
    ("unitary-authority", "E06", 0.71, "{name} Council"),
)
_ADMIN_PATH = {"london-borough": "lonb", "metropolitan-district": "md", "county": "cty",
               "unitary-authority": "ua"}

_NAME_HEADS = (
    "Ash", "Black", "Bram", "Brook", "Burn", "Cal", "Chel", "Clay", "Cold", "Crow", "Dun",
    "Elm", "Fair", "Fern", "Glen", "Gold", "Green", "Hal", "Hart", "Hol", "Kings", "Lang",
    "Lea", "Long", "Marl", "Mill", "Oak", "Pen", "Red", "Rose", "Sand", "Shep", "Stan",
    "Stock", "Stone", "Sut", "Thorn", "Wal", "Whit", "Wick", "Wood", "Wyn", "Ald", "Bex",
)
_NAME_TAILS = (
    "bridge", "bury", "by", "caster", "chester", "combe", "dale", "den", "don", "field",
    "ford", "gate", "ham", "hurst", "ley", "mere", "minster", "mouth", "ness", "port",
    "stead", "stow", "thorpe", "ton", "wick", "wold", "worth",
)

# Controlled values used in generated measurements and events (all in ontology/vocabularies).
_UNITS = (("percent", 0.0, 100.0), ("person", 5, 900), ("organisation", 3, 600),
          ("pound-sterling", 2000, 2_500_000), ("event", 1, 40), ("questionnaire", 20, 1500))
_QUALIFIERS = (("exact", 60), ("more-than", 12), ("approximately", 12), ("at-least", 6),
               ("up-to", 6), ("less-than", 4))
_STATUSES = (("in-place", 60), ("under-way", 20), ("planned", 10), ("completed", 10))
_ROLES_FOR_POSTS = ("compact-officer", "liaison-officer", "engagement-officer",
                    "compact-support-worker")
_AUDIENCES = ("elected-member", "commissioning-manager", "new-elected-member", "service-manager")

#: Kinds of deliberate mistakes ``generate(..., violations=...)`` can plant, one per file.
VIOLATION_KINDS = (
    "mechanism-without-type",
    "measurement-without-qualifier",
    "case-study-without-source",
    "measurement-value-not-decimal",
)


@dataclass(frozen=True)
class Area:
    """One synthetic area with the organisations of its reference data."""

    slug: str
    name: str
    atype: str
    gss: str
    region: str
    council: str
    council_name: str
    register_code: str
    compact_year: int

    @property
    def cvs(self) -> str:
        return f"{self.slug}-cvs"

    @property
    def network(self) -> str:
        return f"{self.slug}-voluntary-sector-network"


@dataclass
class GeneratedDataset:
    """What :func:`generate` wrote."""

    root: Path
    case_studies: int
    seed: int
    reference_files: list[Path] = field(default_factory=list)
    case_study_files: list[Path] = field(default_factory=list)
    violations: dict[str, str] = field(default_factory=dict)  # file name -> violation kind

    @property
    def files(self) -> list[Path]:
        return [*self.reference_files, *self.case_study_files]


@dataclass(frozen=True)
class Vocabularies:
    """Concept slugs of the schemes the generator draws from, in a stable order."""

    mechanism_types: tuple[str, ...]
    outcome_types: tuple[str, ...]
    event_types: tuple[str, ...]
    themes: tuple[str, ...]


def _concepts(path: Path) -> tuple[str, ...]:
    """Slugs of the ``skos:Concept`` subjects of one vocabulary file (a light text scan)."""
    slugs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(":") and " a skos:Concept" in line:
            slugs.append(line[1:].split()[0])
    if not slugs:
        raise ValueError(f"{path}: no skos:Concept found; is it a vocabulary file?")
    return tuple(slugs)


# Types whose shapes ask for specifics the generator does not make up (who received an award,
# which court and day, which post ended, how long the notice): left out of the synthetic data.
_EVENT_TYPES_WITH_SPECIFICS = frozenset({"compact-award", "recognition", "court-judgment",
                                         "post-ended"})
_OUTCOME_TYPES_WITH_SPECIFICS = frozenset({"notice-period-secured"})


def load_vocabularies(ontology_dir: Path) -> Vocabularies:
    """Read the concept lists from ``ontology/vocabularies`` so the data stays in step."""
    vocab = ontology_dir / "vocabularies"
    return Vocabularies(
        mechanism_types=_concepts(vocab / "mechanism-type.ttl"),
        outcome_types=tuple(t for t in _concepts(vocab / "outcome-type.ttl")
                            if t not in _OUTCOME_TYPES_WITH_SPECIFICS),
        event_types=tuple(t for t in _concepts(vocab / "event-type.ttl")
                          if t not in _EVENT_TYPES_WITH_SPECIFICS),
        themes=_concepts(vocab / "theme.ttl"),
    )


def _default_ontology_dir() -> Path:
    return Path(__file__).resolve().parents[1] / "ontology"


# ---------------------------------------------------------------------------------------
# Reference data
# ---------------------------------------------------------------------------------------


def make_areas(rng: random.Random, count: int = AREA_COUNT) -> list[Area]:
    """A national list of ``count`` synthetic areas with unique names, codes and councils."""
    names = sorted({h + t for h in _NAME_HEADS for t in _NAME_TAILS})
    rng.shuffle(names)
    names = names[:count]
    regions = list(REGION_WEIGHTS)
    weights = [REGION_WEIGHTS[r] for r in regions]
    areas: list[Area] = []
    serial = {prefix: 0 for _, prefix, _, _ in AUTHORITY_TYPES}
    cuts = []
    acc = 0.0
    for atype, prefix, share, pattern in AUTHORITY_TYPES:
        acc += share
        cuts.append((round(acc * count), atype, prefix, pattern))
    kind = 0
    for i, name in enumerate(names):
        while i >= cuts[kind][0] and kind < len(cuts) - 1:
            kind += 1
        _, atype, prefix, pattern = cuts[kind]
        serial[prefix] += 1
        # 9xxxxx: out of the range of real codes, so synthetic areas never share a real code.
        gss = f"{prefix}9{serial[prefix]:05d}"
        region = "london" if atype == "london-borough" else rng.choices(regions, weights)[0]
        council_name = pattern.format(name=name)
        slug = f"synthetic-{name.lower()}"
        code = "Z" + chr(65 + i // 26 % 26) + chr(65 + i % 26)
        areas.append(Area(slug=slug, name=name, atype=atype, gss=gss, region=region,
                          council=f"synthetic-{_slugify(council_name)}",
                          council_name=council_name, register_code=code,
                          compact_year=rng.randint(2000, 2010)))
    return areas


def _slugify(text: str) -> str:
    return "-".join(text.lower().split())


def _regions_ttl() -> str:
    out = [PREFIXES, "\n# The nine regions of England (real IRIs and codes), for synthetic data.\n"]
    out.append(
        "pub:synthetic-national-register a ckg:Publication ;\n"
        "    ckg:publicationType"
        " <https://w3id.org/compact-kg/vocab/publication-type/register> ;\n"
        '    rdfs:label "Synthetic national register of areas"@en-GB ;\n'
        '    dcterms:title "Synthetic national register of areas and councils"@en-GB ;\n'
        '    dcterms:publisher "compact-kg benchmarks" ;\n'
        '    dcterms:issued "2025"^^xsd:gYear ;\n'
        '    dcterms:description "A made-up register listing the synthetic areas used to'
        ' benchmark compact-kg at national scale."@en-GB .\n\n'
        "src:synthetic-national-register a ckg:SourceLocator ;\n"
        '    rdfs:label "Synthetic national register, whole list"@en-GB ;\n'
        "    dcterms:isPartOf pub:synthetic-national-register ;\n"
        '    ckg:pageStart "1"^^xsd:positiveInteger ;\n'
        '    ckg:section "Areas and councils" .\n'
    )
    for slug, name, code in REGIONS:
        out.append(
            f"\nregion:{slug} a ckg:Region ;\n"
            f'    rdfs:label "{name}"@en-GB ;\n'
            f'    skos:prefLabel "{name}"@en-GB ;\n'
            f'    ckg:gssCode "{code}" ;\n'
            f"    ckg:statisticalGeography"
            f" <http://statistics.data.gov.uk/id/statistical-geography/{code}> ;\n"
            f"    prov:wasDerivedFrom src:synthetic-national-register .\n"
        )
    return "".join(out)


def _areas_ttl(areas: Sequence[Area]) -> str:
    region_names = {slug: name for slug, name, _ in REGIONS}
    type_words = {"london-borough": "London borough", "metropolitan-district":
                  "metropolitan district", "county": "county",
                  "unitary-authority": "unitary authority"}
    out = [PREFIXES, "\n# Synthetic areas, their councils, CVSs, networks and Local Compacts.\n"]
    for a in areas:
        rname = region_names[a.region]
        out.append(
            f"\narea:{a.slug} a ckg:Area ;\n"
            f'    rdfs:label "{a.name}"@en-GB ;\n'
            f'    dcterms:description "A synthetic {type_words[a.atype]} in the {rname} region,'
            f' made up for benchmarks."@en-GB ;\n'
            f'    ckg:gssCode "{a.gss}" ;\n'
            f"    ckg:statisticalGeography"
            f" <http://statistics.data.gov.uk/id/statistical-geography/{a.gss}> ;\n"
            f"    ckg:authorityType atype:{a.atype} ;\n"
            f"    ckg:region region:{a.region} ;\n"
            f"    ckg:governedBy organisation:{a.council} ;\n"
            f"    prov:wasDerivedFrom src:synthetic-national-register .\n"
            f"\norganisation:{a.council} a ckg:Council ;\n"
            f'    rdfs:label "{a.council_name}"@en-GB ;\n'
            f'    skos:prefLabel "{a.council_name}"@en-GB ;\n'
            f'    dcterms:description "The local authority for {a.name} (synthetic)."@en-GB ;\n'
            f"    ckg:governs area:{a.slug} ;\n"
            f'    ckg:registerCode "{a.register_code}" ;\n'
            f'    dcterms:identifier "GB-LAE-{a.register_code}" ;\n'
            f"    ckg:sector sector:statutory ;\n"
            f"    prov:wasDerivedFrom src:synthetic-national-register .\n"
            f"\norganisation:{a.cvs} a ckg:CouncilForVoluntaryService ;\n"
            f'    rdfs:label "{a.name} CVS"@en-GB ;\n'
            f'    dcterms:description "The council for voluntary service of {a.name}'
            f' (synthetic)."@en-GB ;\n'
            f"    ckg:operatesIn area:{a.slug} ;\n"
            f"    ckg:sector sector:voluntary-and-community ;\n"
            f"    prov:wasDerivedFrom src:synthetic-national-register .\n"
            f"\norganisation:{a.network} a ckg:Network ;\n"
            f'    rdfs:label "{a.name} Voluntary Sector Network"@en-GB ;\n'
            f'    dcterms:description "A network of voluntary groups in {a.name}'
            f' (synthetic)."@en-GB ;\n'
            f"    ckg:operatesIn area:{a.slug} ;\n"
            f"    ckg:hostedBy organisation:{a.cvs} ;\n"
            f"    ckg:sector sector:voluntary-and-community ;\n"
            f"    prov:wasDerivedFrom src:synthetic-national-register .\n"
            f"\nlc:{a.slug} a ckg:LocalCompact ;\n"
            f'    rdfs:label "{a.name} Compact"@en-GB ;\n'
            f"    ckg:compactArea area:{a.slug} ;\n"
            f'    dcterms:issued "{a.compact_year}"^^xsd:gYear ;\n'
            f"    ckg:party organisation:{a.council} , organisation:{a.cvs} ;\n"
            f"    prov:wasDerivedFrom src:synthetic-national-register .\n"
        )
    return "".join(out)


def _publication_slug(year: int) -> str:
    return f"synthetic-compact-practice-review-{year}"


def _publications_ttl() -> str:
    out = [PREFIXES, "\n# One synthetic publication a year; case-study files hold the locators.\n"]
    for year in YEARS:
        out.append(
            f"\npub:{_publication_slug(year)} a ckg:Publication ;\n"
            "    ckg:publicationType"
            " <https://w3id.org/compact-kg/vocab/publication-type/report> ;\n"
            f'    rdfs:label "Compact Practice Review {year} (synthetic)"@en-GB ;\n'
            f'    dcterms:title "Compact Practice Review {year}"@en-GB ;\n'
            f'    dcterms:publisher "compact-kg benchmarks" ;\n'
            f'    dcterms:issued "{year}"^^xsd:gYear ;\n'
            f'    dcterms:description "A made-up annual review of Local Compact practice,'
            f' used only to benchmark compact-kg."@en-GB .\n'
        )
    return "".join(out)


# ---------------------------------------------------------------------------------------
# Case studies
# ---------------------------------------------------------------------------------------


def _zipf_weights(n: int, s: float = 1.1) -> list[float]:
    return [1.0 / (rank**s) for rank in range(1, n + 1)]


def _weighted_sample(rng: random.Random, items: Sequence[str], weights: Sequence[float],
                     k: int) -> list[str]:
    """``k`` distinct items, drawn with the given weights (Efraimidis-Spirakis keys)."""
    keyed = sorted(((rng.random() ** (1.0 / w), item) for item, w in zip(items, weights,
                                                                         strict=True)),
                   reverse=True)
    return [item for _, item in keyed[:k]]


def _pick(rng: random.Random, table: Sequence[tuple[str, int]]) -> str:
    return rng.choices([t[0] for t in table], [t[1] for t in table])[0]


@dataclass(frozen=True)
class _Plan:
    """Which area and year each case study belongs to, and its slug."""

    area: Area
    year: int
    slug: str


def _plan(rng: random.Random, areas: Sequence[Area], n: int) -> list[_Plan]:
    # Some areas are far more active than others: a Zipf-ish weight on a shuffled order.
    order = list(areas)
    rng.shuffle(order)
    weights = _zipf_weights(len(order), 0.8)
    counts: dict[tuple[str, int], int] = {}
    picks = []
    for _ in range(n):
        area = rng.choices(order, weights)[0]
        year = rng.choice(YEARS)
        key = (area.slug, year)
        counts[key] = counts.get(key, 0) + 1
        picks.append((area, year, counts[key]))
    return [_Plan(area, year, f"{area.slug}-{year}-{k:02d}") for area, year, k in picks]


def case_study_path(root: Path, index: int, slug: str) -> Path:
    """Where case study number ``index`` (0-based) is written."""
    return root / "case-studies" / f"{index // SHARD_SIZE:04d}" / f"{slug}.ttl"


def _case_study_ttl(rng: random.Random, plan: _Plan, vocab: Vocabularies,
                    mtype_weights: Sequence[float], violation: str | None) -> str:
    a, year, cs = plan.area, plan.year, plan.slug
    src = f"src:synthetic-cpr-{cs.removeprefix('synthetic-')}"
    page = rng.randint(2, 120)
    theme = rng.choice(vocab.themes)
    out = [PREFIXES, f"\n# Synthetic case study (benchmarks only): {a.name}, {year}.\n"]
    page_end = ""
    if rng.random() < 0.4:
        page_end = f'    ckg:pageEnd "{page + 1}"^^xsd:positiveInteger ;\n'
    out.append(
        f"\n{src} a ckg:SourceLocator ;\n"
        f'    rdfs:label "Compact Practice Review {year}, {a.name}"@en-GB ;\n'
        f"    dcterms:isPartOf pub:{_publication_slug(year)} ;\n"
        f'    ckg:pageStart "{page}"^^xsd:positiveInteger ;\n{page_end}'
        f'    ckg:section "{a.name}" ;\n'
        f"    ckg:sectionTheme theme:{theme} .\n"
    )

    n_mech = rng.choices((2, 3, 4, 5, 6), (40, 30, 15, 10, 5))[0]
    mtypes = _weighted_sample(rng, vocab.mechanism_types, mtype_weights, n_mech)
    otypes = rng.sample(vocab.outcome_types, rng.choices((1, 2, 3, 4), (45, 30, 15, 10))[0])
    n_meas = rng.choices((0, 1, 2, 3, 4), (45, 15, 25, 7, 8))[0]
    n_events = rng.choices((0, 1, 2, 3), (45, 30, 15, 10))[0]
    if violation and violation.startswith("measurement-"):
        n_meas = max(n_meas, 1)  # the planted mistake needs a measurement to sit in
    mechs = [f"{cs}-{m}" for m in mtypes]
    outcomes = [f"{cs}-{o}" for o in otypes]

    # Measurements: pairs form a change over time; a single one stands alone.
    blocks: list[str] = []
    meas_by_owner: dict[str, list[str]] = {}
    remaining = n_meas
    serial = 0
    while remaining > 0:
        serial += 1
        unit, low, high = rng.choice(_UNITS)
        quantity = f"{unit}-count-{serial}" if unit != "percent" else f"share-{serial}"
        ind = f"{cs}-{quantity}"
        owner_is_outcome = rng.random() < 0.6
        owner = rng.choice(outcomes) if owner_is_outcome else rng.choice(mechs)
        blocks.append(
            f"\nind:{ind} a ckg:Indicator ;\n"
            f'    rdfs:label "{a.name} {quantity.replace("-", " ")} ({year})"@en-GB ;\n'
            f"    ckg:indicatorOf area:{a.slug} ;\n"
            f"    prov:wasDerivedFrom {src} .\n"
        )
        take = 2 if remaining >= 2 else 1
        remaining -= take
        later_year = year - rng.randint(0, 1)
        years = [later_year - rng.randint(1, 3), later_year] if take == 2 else [later_year]
        previous = None
        for y in years:
            m = f"{ind}-{y}"
            value = rng.uniform(low, high)
            literal = f"{value:.1f}" if unit == "percent" else f"{round(value)}.0"
            qualifier = _pick(rng, _QUALIFIERS)
            if violation == "measurement-without-qualifier":
                qualifier_line = ""
                violation = None
            else:
                qualifier_line = f"    ckg:qualifier qualifier:{qualifier} ;\n"
            if violation == "measurement-value-not-decimal":
                literal = f'"{literal}"'
                violation = None
            prev_line = f"    ckg:previousMeasurement meas:{previous} ;\n" if previous else ""
            blocks.append(
                f"\nmeas:{m} a ckg:Measurement ;\n"
                f'    rdfs:label "{a.name} {quantity.replace("-", " ")}, {y}"@en-GB ;\n'
                f"    ckg:indicator ind:{ind} ;\n"
                f"    ckg:value {literal} ; ckg:unit unit:{unit} ;\n{qualifier_line}"
                f'    ckg:date "{y}"^^xsd:gYear ;\n{prev_line}'
                f"    prov:wasDerivedFrom {src} .\n"
            )
            meas_by_owner.setdefault(owner, []).append(m)
            previous = m

    events = []
    for k in range(n_events):
        etype = rng.choice(vocab.event_types)
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        ev = f"{cs}-{etype}-{year}-{k + 1}"
        events.append(ev)
        blocks.append(
            f"\nevent:{ev} a ckg:Event ;\n"
            f'    rdfs:label "{a.name} {etype.replace("-", " ")}, {year}"@en-GB ;\n'
            f"    ckg:eventType etype:{etype} ;\n"
            f'    ckg:date "{year}-{month:02d}-{day:02d}"^^xsd:date ;\n'
            f"    ckg:area area:{a.slug} ;\n"
            f"    ckg:organisedBy organisation:{rng.choice((a.council, a.cvs))} ;\n"
            f"    prov:wasDerivedFrom {src} .\n"
        )

    posts = []
    for mtype, mech in zip(mtypes, mechs, strict=True):
        lines = [
            f"\nmech:{mech} a ckg:Mechanism ;\n",
            f'    rdfs:label "{a.name} {mtype.replace("-", " ")} ({year})"@en-GB ;\n',
        ]
        if violation == "mechanism-without-type":
            violation = None
        else:
            lines.append(f"    ckg:mechanismType mtype:{mtype} ;\n")
        operator = rng.choice((a.council, a.cvs, a.cvs))
        lines.append(f"    ckg:operatedBy organisation:{operator} ;\n")
        if rng.random() < 0.3:
            lines.append(f"    ckg:participant organisation:{a.network} ;\n")
        if rng.random() < 0.2:
            lines.append(f"    ckg:fundedBy organisation:{a.council} ;\n"
                         f'    ckg:fundingDuration "P{rng.randint(1, 3)}Y"^^xsd:duration ;\n')
        if mtype in ("member-training", "compact-engagement-programme"):
            lines.append(f"    ckg:audience role:{rng.choice(_AUDIENCES)} ;\n"
                         f"    ckg:mandatory {rng.choice(('true', 'false'))} ;\n")
        if mtype == "compact-officer":
            post = f"{cs}-{mtype}"
            role = rng.choice(_ROLES_FOR_POSTS)
            posts.append(
                f"\npost:{post} a org:Post ;\n"
                f'    rdfs:label "{a.name} {role.replace("-", " ")} ({year})"@en-GB ;\n'
                f"    org:postIn organisation:{operator} ;\n"
                f"    org:role role:{role} ;\n"
                f"    prov:wasDerivedFrom {src} .\n"
            )
            lines.append(f"    ckg:post post:{post} ;\n")
        owned = meas_by_owner.get(mech)
        if owned:
            lines.append(f"    ckg:measurement {', '.join('meas:' + m for m in owned)} ;\n")
        lines.append(f"    ckg:status status:{_pick(rng, _STATUSES)} ;\n"
                     f"    prov:wasDerivedFrom {src} .\n")
        blocks.append("".join(lines))

    for otype, oc in zip(otypes, outcomes, strict=True):
        lines = [
            f"\noutcome:{oc} a ckg:Outcome ;\n",
            f'    rdfs:label "{a.name} {otype.replace("-", " ")} ({year})"@en-GB ;\n',
            f"    ckg:outcomeType otype:{otype} ;\n",
            f"    ckg:resultedFrom mech:{rng.choice(mechs)} ;\n",
        ]
        owned = meas_by_owner.get(oc)
        if owned:
            lines.append(f"    ckg:measurement {', '.join('meas:' + m for m in owned)} ;\n")
        lines.append(f"    prov:wasDerivedFrom {src} .\n")
        blocks.append("".join(lines))

    head = [
        f"\ncs:{cs} a ckg:CaseStudy ;\n",
        f'    rdfs:label "{a.name} {year}: {mtypes[0].replace("-", " ")}"@en-GB ;\n',
        f'    dcterms:description "A synthetic account of how the council and voluntary groups'
        f" of {a.name} used {len(mtypes)} partnership mechanisms in {year}.\"@en-GB ;\n",
        f"    ckg:area area:{a.slug} ;\n",
        f"    ckg:localCompact lc:{a.slug} ;\n",
        f"    ckg:theme theme:{theme} ;\n",
        f"    ckg:involves organisation:{a.council} , organisation:{a.cvs} ;\n",
        f"    ckg:mechanism {', '.join('mech:' + m for m in mechs)} ;\n",
        f"    ckg:outcome {', '.join('outcome:' + o for o in outcomes)} ;\n",
    ]
    if events:
        head.append(f"    ckg:event {', '.join('event:' + e for e in events)} ;\n")
    if violation == "case-study-without-source":
        head[-1] = head[-1][: -len(" ;\n")] + " .\n"
    else:
        head.append(f"    prov:wasDerivedFrom {src} .\n")
    out.append("".join(head))
    out.extend(blocks)
    out.extend(posts)
    return "".join(out)


def _violation_plan(n: int, violations: int, rng: random.Random) -> dict[int, str]:
    if violations <= 0:
        return {}
    indices = sorted(rng.sample(range(n), min(violations, n)))
    return {i: VIOLATION_KINDS[k % len(VIOLATION_KINDS)] for k, i in enumerate(indices)}


def _iter_case_studies(case_studies: int, seed: int, vocab: Vocabularies, areas: list[Area],
                       violations: int) -> Iterator[tuple[int, str, str, str | None]]:
    plan_rng = random.Random(f"{seed}:plan")
    plans = _plan(plan_rng, areas, case_studies)
    bad = _violation_plan(case_studies, violations, random.Random(f"{seed}:violations"))
    weights = _zipf_weights(len(vocab.mechanism_types))
    for i, plan in enumerate(plans):
        # One generator per file: any file can be regenerated alone, identically.
        rng = random.Random(f"{seed}:case:{i}")
        kind = bad.get(i)
        yield i, plan.slug, _case_study_ttl(rng, plan, vocab, weights, kind), kind


def generate(
    out: str | Path,
    case_studies: int,
    seed: int = 1,
    *,
    violations: int = 0,
    areas: int = AREA_COUNT,
    ontology_dir: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> GeneratedDataset:
    """Write ``case_studies`` synthetic case studies and their reference data under ``out``.

    ``violations`` case studies (chosen by the seed) each get one deliberate mistake of the
    kinds in :data:`VIOLATION_KINDS`; the rest conform. ``progress(done, total)`` is called
    now and then. ``areas`` sets the length of the national list of areas (330, about
    England's; fewer make small test datasets). Files of an earlier run are overwritten.
    """
    if case_studies < 0:
        raise ValueError("case_studies must be zero or more")
    root = Path(out)
    vocab = load_vocabularies(Path(ontology_dir) if ontology_dir else _default_ontology_dir())
    area_list = make_areas(random.Random(f"{seed}:areas"), areas)
    result = GeneratedDataset(root=root, case_studies=case_studies, seed=seed)

    (root / "reference").mkdir(parents=True, exist_ok=True)
    for name, text in (("regions.ttl", _regions_ttl()), ("areas.ttl", _areas_ttl(area_list)),
                       ("publications.ttl", _publications_ttl())):
        path = root / "reference" / name
        path.write_text(text, encoding="utf-8")
        result.reference_files.append(path)

    made_dirs: set[Path] = set()
    for i, slug, text, kind in _iter_case_studies(case_studies, seed, vocab, area_list,
                                                  violations):
        path = case_study_path(root, i, slug)
        if path.parent not in made_dirs:
            path.parent.mkdir(parents=True, exist_ok=True)
            made_dirs.add(path.parent)
        path.write_text(text, encoding="utf-8")
        result.case_study_files.append(path)
        if kind:
            result.violations[path.name] = kind
        if progress is not None and (i + 1) % 500 == 0:
            progress(i + 1, case_studies)
    if progress is not None:
        progress(case_studies, case_studies)
    return result


def write_submission(out: str | Path, seed: int = 1, *, index: int = 10**7,
                     areas: int = AREA_COUNT, ontology_dir: str | Path | None = None) -> Path:
    """Write one new, conforming case study (as a contributor would submit it) to ``out``.

    It uses the same reference areas as :func:`generate` with the same seed, and a slug that
    no generated dataset of fewer than ``index`` case studies uses.
    """
    vocab = load_vocabularies(Path(ontology_dir) if ontology_dir else _default_ontology_dir())
    rng = random.Random(f"{seed}:submission:{index}")
    area = rng.choice(make_areas(random.Random(f"{seed}:areas"), areas))
    plan = _Plan(area, 2025, f"{area.slug}-2025-submission-{index}")
    text = _case_study_ttl(rng, plan, vocab, _zipf_weights(len(vocab.mechanism_types)), None)
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.generate``: write a synthetic dataset."""
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case-studies", type=int, required=True, help="how many to write")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--violations", type=int, default=0,
                        help="plant this many deliberate shape violations (default 0)")
    parser.add_argument("--areas", type=int, default=AREA_COUNT,
                        help=f"areas in the national list (default {AREA_COUNT})")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)

    from compact_kg.progress import progress_bar

    with progress_bar("generating case studies", total=args.case_studies,
                      quiet=args.quiet) as advance:
        result = generate(args.out, args.case_studies, args.seed, violations=args.violations,
                          areas=args.areas, progress=advance)
    print(f"wrote {len(result.case_study_files)} case studies and "
          f"{len(result.reference_files)} reference files under {result.root}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
