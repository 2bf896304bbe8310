"""Ready-to-fill Turtle skeletons for new submissions (``compact-kg new case-study``).

The skeleton is valid Turtle from the start. Every value the submitter must supply holds a
placeholder containing ``TODO``; ``compact-kg validate`` reports each one left in place. The
comments explain each field in plain English and list the allowed concepts, so nobody has to
read the ontology or the shapes to fill it in.
"""

from __future__ import annotations

import datetime as _dt
import re
import textwrap

from compact_kg.context import DatasetContext, curie
from compact_kg.namespace import CKG, ID, OUR_PREFIXES, STANDARD_PREFIXES

__all__ = ["PLACEHOLDER", "case_study_template", "free_case_study_slug", "slugify"]

#: The marker every placeholder in a template contains.
PLACEHOLDER = "TODO"

_ONS = "http://statistics.data.gov.uk/id/statistical-geography/"


def slugify(text: str) -> str:
    """A readable, lower-case, hyphenated ASCII slug (the IRI policy of ontology/README.md)."""
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    ascii_text = ascii_text.replace("&", " and ").replace("'", "")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


#: The outside vocabularies a case study uses, declared in the skeleton after our own prefixes.
_TEMPLATE_W3C = ("dcterms", "foaf", "org", "prov", "rdfs", "skos", "xsd")


def _prefix_block() -> str:
    prefixes = {p: ns for p, ns in STANDARD_PREFIXES.items()
                if p in OUR_PREFIXES or p in _TEMPLATE_W3C}
    width = max(len(p) for p in prefixes) + 2
    return "\n".join(f"@prefix {(p + ':').ljust(width)}<{ns}> ." for p, ns in prefixes.items())


def _choices(context: DatasetContext, scheme: str, indent: str = "    #   ") -> str:
    lines = []
    for concept in context.concepts(scheme):
        label = concept.label
        if concept.alt_labels:
            label += " (also: " + ", ".join(concept.alt_labels) + ")"
        lines.append(f"{indent}{curie(concept.iri):<52} {label}")
    return "\n".join(lines)


def free_case_study_slug(context: DatasetContext, base: str, year: int) -> str:
    """``base``, or ``base-YEAR`` (then ``-2``, ``-3``...) if the case study already exists."""
    if not context.knows(ID["case-study/" + base]):
        return base
    slug = f"{base}-{year}"
    n = 2
    while context.knows(ID["case-study/" + slug]):
        slug = f"{base}-{year}-{n}"
        n += 1
    return slug


def _comment(text: str, indent: str = "") -> str:
    return "\n".join(indent + "# " + line
                     for line in textwrap.wrap(" ".join(text.split()), 96 - len(indent)))


def case_study_template(context: DatasetContext, area: str | None = None,
                        year: int | None = None) -> str:
    """The Turtle skeleton of a case study, for an area of the dataset or a new one.

    ``area`` is an area's name or slug as in the dataset (any case); an unknown name raises
    :class:`~compact_kg.errors.InputError` with the closest names. Without ``area`` the
    skeleton also has blocks for a new area and its council.
    """
    year = year or _dt.date.today().year
    if area is not None:
        area_iri = context.find_area(area)
        area_slug = area_iri.rsplit("/", 1)[-1]
        area_name = context.label(area_iri) or area
        council = context.council_of(area_iri)  # None for a region
        new_area = False
    else:
        area_slug = "TODO-area"
        area_iri = ID["area/" + area_slug]
        area_name = "TODO area name"
        council = ID["organisation/TODO-council-name"]
        new_area = True
    cs_slug = free_case_study_slug(context, area_slug, year)
    lc_iri = ID["local-compact/" + area_slug]
    lc_known = context.knows(lc_iri)

    a = curie(area_iri)
    council_c = curie(council) if council is not None else (
        "organisation:TODO-council" if new_area else
        f"organisation:{area_slug}-TODO-public-body-name")  # a region has no council
    cvs = f"organisation:{area_slug}-TODO-organisation-name"
    mech = f"mech:{area_slug}-TODO-mechanism-name"
    out = f"outcome:{area_slug}-TODO-outcome-name"
    ind = f"ind:{area_slug}-TODO-what-is-counted"
    meas = f"ind:{area_slug}-TODO-what-is-counted-{year}".replace("ind:", "meas:", 1)
    event = f"event:{area_slug}-TODO-what-happened-{year}"
    post = f"post:{area_slug}-TODO-post-name"
    pub = f"pub:TODO-newspaper-headline-{year}"
    src = f"src:TODO-newspaper-{area_slug}-{year}"

    known_areas = ", ".join(label for _, label in context.areas())
    regions = ", ".join(curie(i) for i, _ in context.instances(CKG.Region))
    known_orgs = "".join(
        f"\n#   {curie(iri):<52} {label}" for iri, label in context.organisations_in(area_iri)
    ) if not new_area else ""
    if known_orgs:
        known_orgs = ("\n# Organisations of this area already in the dataset: refer to them by "
                      "these identifiers\n# and do not describe them again:" + known_orgs)
    locators = [iri for iri, _ in context.instances(CKG.SourceLocator)
                if str(iri).endswith("-" + area_slug)] if not new_area else []

    parts: list[str] = []
    add = parts.append
    add(f"""\
# compact-kg submission: a case study of Local Compact practice in {area_name}.
#
# HOW TO FILL THIS IN
#  1. Replace every value containing "{PLACEHOLDER}" with your own. An identifier such as
#     {mech} becomes lower-case words joined by hyphens, starting with the area,
#     for example mech:{area_slug}-compact-champions. Use the same identifier everywhere it occurs.
#  2. Write descriptions in your own words. Facts and figures may come from your source
#     (a report, a newspaper article, minutes); sentences may not be copied from it.
#  3. Blocks marked OPTIONAL may be deleted. Everything else is needed.
#  4. Check it:   compact-kg validate THIS-FILE.ttl
#     Submit it:  compact-kg submit THIS-FILE.ttl
#
# Text values end in @en-GB (British English). Lines starting with # are comments.

{_prefix_block()}
""")  # noqa: S608 - Turtle text, not SQL

    add(f"""
# ---------------------------------------------------------------------------------------------
# THE CASE STUDY: one story of how the council and the voluntary and community sector worked
# together through the Local Compact.
# ---------------------------------------------------------------------------------------------
cs:{cs_slug} a ckg:CaseStudy ;
    # A short title: the area, a colon, and what the story is about.
    rdfs:label "{area_name}: {PLACEHOLDER} what the story is about"@en-GB ;
    # Two to four sentences in your own words: who did what, and what came of it.
    dcterms:description "{PLACEHOLDER} summary in your own words"@en-GB ;
    # The area the story happened in{'' if new_area else f' (already in the dataset: {area_name})'}.
    ckg:area {a} ;
    # The Local Compact of the area.
    ckg:localCompact {curie(lc_iri)} ;
    # One or more themes, separated by commas. Choose from:
{_choices(context, "theme")}
    ckg:theme theme:{PLACEHOLDER}-choose-a-theme ;
    # The organisations that took part: the council and the voluntary sector bodies.
    ckg:involves {council_c} , {cvs} ;
    # The partnership mechanisms, outcomes and events described below (add more, separated by
    # commas; delete the ckg:event line if you describe no event).
    ckg:mechanism {mech} ;
    ckg:outcome {out} ;
    ckg:event {event} ;
    # Where the facts come from: a source locator (a passage of a publication), below.
    prov:wasDerivedFrom {src} .
""")

    if new_area:
        add(f"""
# ---------------------------------------------------------------------------------------------
# THE AREA AND ITS COUNCIL. The dataset already has these areas: {known_areas}.
# If yours is one of them, run `compact-kg new case-study --area NAME` instead and delete this
# block. An area is the place; the council is the organisation that governs it.
# ---------------------------------------------------------------------------------------------
{a} a ckg:Area ;
    rdfs:label "{area_name}"@en-GB ;
    # The nine-character ONS code of the area, e.g. E09000024 (find it on the ONS website).
    ckg:gssCode "{PLACEHOLDER}-E00000000" ;
    # The ONS page of the area: the same code after statistical-geography/.
    ckg:statisticalGeography <{_ONS}{PLACEHOLDER}-E00000000> ;
    # The kind of area. Choose from:
{_choices(context, "authority-type")}
    ckg:authorityType atype:{PLACEHOLDER}-choose-a-type ;
    # The English region. Choose from: {regions}
    ckg:region region:{PLACEHOLDER}-choose-a-region ;
    ckg:governedBy {council_c} ;
    prov:wasDerivedFrom {src} .

# The council. Its identifier is its official name, e.g. organisation:london-borough-of-merton.
{council_c} a ckg:Council ;
    rdfs:label "{PLACEHOLDER} official name of the council"@en-GB ;
    ckg:governs {a} ;
    # The council's three-letter code in the Local Authorities for England register, e.g. "MRT".
    ckg:registerCode "{PLACEHOLDER}-XXX" ;
    ckg:sector sector:statutory ;
    prov:wasDerivedFrom {src} .
""")

    if not lc_known:
        add(f"""
# ---------------------------------------------------------------------------------------------
# THE LOCAL COMPACT of the area (the dataset does not have it yet).
# ---------------------------------------------------------------------------------------------
{curie(lc_iri)} a ckg:LocalCompact ;
    rdfs:label "{area_name} Local Compact"@en-GB ;
    ckg:compactArea {a} ;
    # The organisations that signed it (at least the council).
    ckg:party {council_c} ;
    # OPTIONAL: the year it was agreed, if your source says so, e.g.
    # dcterms:issued "2008"^^xsd:gYear ;
    prov:wasDerivedFrom {src} .
""")

    add(f"""
# ---------------------------------------------------------------------------------------------
# AN ORGANISATION of the voluntary and community sector that took part (copy the block for more).
# The council{'' if new_area else f' ({curie(council)})'} is already described.
# Its kind: ckg:CouncilForVoluntaryService (a CVS), ckg:InfrastructureBody (another body that
# supports local groups), ckg:VoluntaryOrganisation (a charity or community group), ckg:Network,
# ckg:Partnership, ckg:PrimaryCareTrust, ckg:PoliceService, ckg:FireAndRescueService.{known_orgs}
# ---------------------------------------------------------------------------------------------
{cvs} a ckg:CouncilForVoluntaryService ;
    rdfs:label "{PLACEHOLDER} name of the organisation"@en-GB ;
    # Which side it is on. Choose from:
{_choices(context, "sector")}
    ckg:sector sector:voluntary-and-community ;
    ckg:operatesIn {a} ;
    prov:wasDerivedFrom {src} .

# ---------------------------------------------------------------------------------------------
# A PARTNERSHIP MECHANISM: one concrete arrangement through which the two sectors work together
# (copy the block for more).
# ---------------------------------------------------------------------------------------------
{mech} a ckg:Mechanism ;
    rdfs:label "{PLACEHOLDER} name of the mechanism"@en-GB ;
    dcterms:description "{PLACEHOLDER} what it is and how it works, in your own words"@en-GB ;
    # The kind of mechanism. Choose from:
{_choices(context, "mechanism-type")}
    ckg:mechanismType mtype:{PLACEHOLDER}-choose-a-type ;
    ckg:area {a} ;
    # Who runs it (one or more organisations, separated by commas).
    ckg:operatedBy {council_c} , {cvs} ;
    # Where it stood when your source was written. Choose from:
{_choices(context, "status")}
    ckg:status status:in-place ;
    # OPTIONAL: a post the mechanism creates or relies on (the post below), e.g. a Compact officer.
    ckg:post {post} ;
    prov:wasDerivedFrom {src} .

# ---------------------------------------------------------------------------------------------
# OPTIONAL: A POST, such as a dedicated Compact officer (copy the block for more; delete it and
# the mechanism's ckg:post line if there is none).
# ---------------------------------------------------------------------------------------------
{post} a org:Post ;
    rdfs:label "{PLACEHOLDER} name of the post, e.g. {area_name} Compact officer"@en-GB ;
    dcterms:description "{PLACEHOLDER} what the post does, in your own words"@en-GB ;
    # The role it holds. Choose from:
{_choices(context, "role")}
    org:role role:{PLACEHOLDER}-choose-a-role ;
    # The organisation the post sits in.
    org:postIn {cvs} ;
    # OPTIONAL: who pays for it, if your source says, e.g. organisation:big-lottery-fund.
    # ckg:fundedBy organisation:... ;
    prov:wasDerivedFrom {src} .

# ---------------------------------------------------------------------------------------------
# OPTIONAL: AN EVENT, something that happened at a known date: a consultation, a decision, an
# award, a court judgment, a post ending (copy the block for more; delete it and the case
# study's ckg:event line if there is none).
# ---------------------------------------------------------------------------------------------
{event} a ckg:Event ;
    rdfs:label "{PLACEHOLDER} what happened, and when"@en-GB ;
    dcterms:description "{PLACEHOLDER} what happened, in your own words"@en-GB ;
    # The kind of event. Choose from:
{_choices(context, "event-type")}
    ckg:eventType etype:{PLACEHOLDER}-choose-a-type ;
    # When: a day "{year}-03-31"^^xsd:date, a month "{year}-03"^^xsd:gYearMonth or a year
    # "{year}"^^xsd:gYear, as exactly as your source gives it.
    ckg:date "{year}"^^xsd:gYear ;
    ckg:area {a} ;
    # Who held it or took the decision (delete the line if your source does not say).
    ckg:organisedBy {council_c} ;
    # For an award (etype:compact-award or etype:recognition): who received it and the award's
    # name or category, as printed. For a court judgment: ckg:organisedBy is the court and the
    # date a day. For a post ending (etype:post-ended): the post. Delete the lines you do not use.
    # ckg:awardedTo {cvs} ;
    # ckg:awardCategory "Compact Champion of the Year" ;
    # ckg:post {post} ;
    # OPTIONAL: if your source hedges a fact ("apparently"), say so and why:
    # ckg:uncertain true ;
    # rdfs:comment "The article says the award was apparently a local one."@en-GB ;
    prov:wasDerivedFrom {src} .

# ---------------------------------------------------------------------------------------------
# AN OUTCOME: what came of it (copy the block for more).
# ---------------------------------------------------------------------------------------------
{out} a ckg:Outcome ;
    rdfs:label "{PLACEHOLDER} the result in a few words"@en-GB ;
    dcterms:description "{PLACEHOLDER} what changed, in your own words"@en-GB ;
    # The kind of outcome. Choose from:
{_choices(context, "outcome-type")}
    ckg:outcomeType otype:{PLACEHOLDER}-choose-a-type ;
    # The mechanism (or event) your source credits with it.
    ckg:resultedFrom {mech} ;
    # OPTIONAL: a figure that shows it (the measurement below). Delete this line if you have none.
    ckg:measurement {meas} ;
    prov:wasDerivedFrom {src} .

# OPTIONAL: A FIGURE. The indicator is the thing counted; the measurement is one value of it at one
# date. A change over time is two measurements of one indicator: give the later one the line
#     ckg:previousMeasurement meas:...-EARLIER-YEAR ;
{ind} a ckg:Indicator ;
    rdfs:label "{PLACEHOLDER} what is counted, e.g. groups paid on time"@en-GB ;
    # What the figure is about: the area, an organisation or a mechanism.
    ckg:indicatorOf {a} .

{meas} a ckg:Measurement ;
    # A short name: what, where and when, e.g. "{area_name}: groups paid on time, {year}".
    rdfs:label "{PLACEHOLDER} what, where and when"@en-GB ;
    ckg:indicator {ind} ;
    # The number alone, with a decimal point: "£4 million" is 4000000.0, "58%" is 58.0.
    ckg:value 0.0 ;
    # The unit. Choose from:
{_choices(context, "unit")}
    ckg:unit unit:{PLACEHOLDER}-choose-a-unit ;
    # How exact your source is: "over 300" is qualifier:more-than, "around 7%" is
    # qualifier:approximately, a plain number is qualifier:exact. Choose from:
{_choices(context, "qualifier")}
    ckg:qualifier qualifier:exact ;
    # When it held: a year "2010"^^xsd:gYear, a month "2010-03"^^xsd:gYearMonth or a day
    # "2010-03-31"^^xsd:date.
    ckg:date "{year}"^^xsd:gYear ;
    prov:wasDerivedFrom {src} .
""")

    existing = ""
    if locators:
        existing = ("\n# If your story is already in a publication of the dataset, cite its "
                    "locator instead and delete\n# the two blocks below: "
                    + ", ".join(curie(i) for i in locators) + ".")
    add(f"""
# ---------------------------------------------------------------------------------------------
# THE SOURCE: the publication (a newspaper or web article, a blog post, a report, a court
# judgment, council minutes) and the passage in it that your facts come from.{existing}
# ---------------------------------------------------------------------------------------------
{pub} a ckg:Publication ;
    # The kind of publication. Choose from:
{_choices(context, "publication-type")}
    ckg:publicationType ptype:{PLACEHOLDER}-choose-a-type ;
    # The headline or title, as printed.
    dcterms:title "{PLACEHOLDER} headline or title"@en-GB ;
    rdfs:label "{PLACEHOLDER} short name, e.g. Anytown Gazette, 3 March {year}"@en-GB ;
    # Who published it: the newspaper, council or charity.
    dcterms:publisher "{PLACEHOLDER} publisher" ;
    # When: "{year}-03-03"^^xsd:date, or "{year}-03"^^xsd:gYearMonth, or "{year}"^^xsd:gYear.
    dcterms:issued "{year}"^^xsd:gYear ;
    # Its web address, if it is on the web (a web article, blog post, web page or judgment);
    # delete the line for a printed source.
    foaf:page <https://{PLACEHOLDER}.example/address-of-the-article> .

{src} a ckg:SourceLocator ;
    rdfs:label "{PLACEHOLDER} short name of the passage"@en-GB ;
    dcterms:isPartOf {pub} ;
    # For a printed source with numbered pages (a booklet, a report, a newspaper): the page it
    # starts on and the section or heading it sits under, as printed. A web article, blog post,
    # web page or judgment may be cited as a whole: then delete both lines (and the ";" before).
    ckg:pageStart "1"^^xsd:positiveInteger ;
    ckg:section "{PLACEHOLDER} section or heading" .
""")
    return "".join(parts)
