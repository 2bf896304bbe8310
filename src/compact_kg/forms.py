"""The spreadsheet route into compact-kg: a set of CSV forms, and their conversion to RDF.

``compact-kg new form DIR`` writes one CSV file per part of a case study (see
:data:`FORMS`), each with human column headers, a ``#`` help row and a ``#`` example row
(rows whose first cell starts with ``#`` are ignored), and a README.txt listing the values
the vocabulary columns accept. ``compact-kg convert DIR --out FILE.ttl`` turns the filled
forms into Turtle with :func:`convert_form`.

Vocabulary values are accepted as labels or slugs ("Compact champions" or
``compact-champions``); figures like "£4 million", "58%" or "over 300" are split into value,
unit and qualifier by :func:`parse_figure` when that is unambiguous. Every triple made from
a cell is remembered in a :class:`FormProvenance`, so that a validation message about it
can name the CSV file, row and column it came from.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import NoReturn

from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, PROV

from compact_kg.context import DatasetContext, bind_standard_prefixes, curie
from compact_kg.errors import InputError
from compact_kg.namespace import BASE, CKG, ID, VOCAB
from compact_kg.templates import slugify

__all__ = [
    "FORMS",
    "Cell",
    "CellProblem",
    "Column",
    "ConvertedForm",
    "Figure",
    "FormProvenance",
    "FormRow",
    "column_letters",
    "convert_form",
    "convert_rows",
    "header_columns",
    "is_form_dir",
    "parse_date",
    "parse_figure",
    "sheet_name",
    "write_form",
]

MAX_FORM_FILE_BYTES = 2_000_000
MAX_FORM_ROWS = 2_000
_LANG = "en-GB"


@dataclass(frozen=True)
class Column:
    """One column of a form: its header, whether it must be filled, help and an example."""

    header: str
    help: str
    example: str = ""
    required: bool = False
    scheme: str | None = None
    """The SKOS scheme whose concepts the column takes (a drop-down list in the workbook)."""
    several: bool = False
    """Whether a cell may hold several values separated by ``;``."""


#: The forms: file name -> columns, in order.
FORMS: dict[str, tuple[Column, ...]] = {
    "case-study.csv": (
        Column("ID", "Optional short identifier (lower-case-with-hyphens); made from the area "
               "if empty", ""),
        Column("Title", "The area, a colon, and what the story is about",
               "Thurrock: a Compact check before every budget cut", True),
        Column("Area", "An area of the dataset (e.g. Merton), or a new area (then fill the "
               "New area columns)", "Thurrock", True),
        Column("Summary", "Two to four sentences in your own words",
               "Before the council cut any grant, it now asks the CVS to check the plan "
               "against the Local Compact.", True),
        Column("Themes", "One or more themes (see README.txt), separated by ;",
               "Using the Compact to manage cuts", True, scheme="theme", several=True),
        Column("Source", "The ID of a row of sources.csv", "gazette-2024-budget", True),
        Column("Local Compact", "Optional name of the area's Local Compact", ""),
        Column("New area GSS code", "Only for a new area: its nine-character ONS code", ""),
        Column("New area type", "Only for a new area: county, unitary authority, ...", "",
               scheme="authority-type"),
        Column("New area region", "Only for a new area: its English region", ""),
    ),
    "organisations.csv": (
        Column("ID", "Optional short identifier; made from the name if empty", ""),
        Column("Name", "The organisation's name; an organisation already in the dataset "
               "(e.g. the council) is only linked, not redefined", "Thurrock CVS", True),
        Column("Kind", "council, CVS, infrastructure body, voluntary organisation, network, "
               "partnership, committee, department, primary care trust, police service, "
               "fire and rescue service, government body", "CVS", True),
        Column("Sector", "statutory, voluntary and community, or both sectors",
               "voluntary and community", True, scheme="sector"),
        Column("Area", "The area it works in; the case study's area if empty", ""),
        Column("Description", "Optional: what it does, in your own words", ""),
        Column("Source", "The ID of a row of sources.csv", "gazette-2024-budget", True),
    ),
    "mechanisms.csv": (
        Column("ID", "Optional short identifier; made from the area and name if empty", ""),
        Column("Name", "What the arrangement is called", "Compact check on budget cuts", True),
        Column("Type", "A mechanism type (see README.txt)", "Impact assessment", True,
               scheme="mechanism-type"),
        Column("Description", "What it is and how it works, in your own words",
               "Officers send each proposed grant cut to the CVS, which replies within "
               "two weeks.", True),
        Column("Operated by", "Who runs it: names from organisations.csv or the dataset, "
               "separated by ;", "Thurrock Council; Thurrock CVS", True, several=True),
        Column("Hosted by", "Optional: who gives it a home", ""),
        Column("Funded by", "Optional: who pays for it", ""),
        Column("Participants", "Optional: who takes part, separated by ;", "", several=True),
        Column("Status", "in place, under way, planned or completed", "in place",
               scheme="status"),
        Column("Posts", "Optional: posts of posts.csv it creates or relies on, names or IDs "
               "separated by ;", "", several=True),
        Column("Source", "The ID of a row of sources.csv", "gazette-2024-budget", True),
    ),
    "posts.csv": (
        Column("ID", "Optional short identifier; made from the area and name if empty", ""),
        Column("Name", "What the post is called", "Thurrock Compact officer", True),
        Column("Role", "The role it holds (see README.txt)", "Compact officer", True,
               scheme="role"),
        Column("In", "The organisation the post sits in (a name from organisations.csv or "
               "the dataset)", "Thurrock CVS"),
        Column("Funded by", "Optional: who pays for the post", ""),
        Column("Description", "Optional: what the post does, in your own words", ""),
        Column("Source", "The ID of a row of sources.csv", "gazette-2024-budget", True),
    ),
    "events.csv": (
        Column("ID", "Optional short identifier; made from the area and name if empty", ""),
        Column("Name", "What happened, in a few words", "Council agrees the Compact check",
               True),
        Column("Type", "An event type (see README.txt): consultation, funding decision, "
               "Compact award, court judgment, post ended, ...", "Budget decision", True,
               scheme="event-type"),
        Column("Description", "What happened, in your own words",
               "The cabinet agreed that every proposed grant cut goes to the CVS first.", True),
        Column("Date", "When: 2024, March 2024, 2024-03-05 (a court judgment needs the day)",
               "2024-03-05", True),
        Column("Organised by", "Optional: who held it or took the decision; for a court "
               "judgment, the court", "Thurrock Council"),
        Column("Awarded to", "For an award: who received it, separated by ;", "",
               several=True),
        Column("Award category", "For an award: its name or category, as printed", ""),
        Column("Post", "For a post ending or an appointment: the post (posts.csv)", "",
               several=True),
        Column("Source", "The ID of a row of sources.csv", "gazette-2024-budget", True),
    ),
    "outcomes.csv": (
        Column("ID", "Optional short identifier; made from the area and name if empty", ""),
        Column("Name", "The result in a few words", "Grant cuts phased over two years", True),
        Column("Type", "An outcome type (see README.txt)", "Impact of cuts lessened", True,
               scheme="outcome-type"),
        Column("Description", "What changed, in your own words",
               "Grants to twelve groups were reduced in two steps instead of ended.", True),
        Column("Resulted from", "The mechanism(s) it came from, names or IDs separated by ;",
               "Compact check on budget cuts", True, several=True),
        Column("Source", "The ID of a row of sources.csv", "gazette-2024-budget", True),
    ),
    "measurements.csv": (
        Column("About", "The outcome, mechanism or organisation the figure belongs to (name "
               "or ID)", "Grant cuts phased over two years", True),
        Column("Indicator", "What is counted or measured, in a few words",
               "groups whose grant was phased", True),
        Column("Value", "The figure as your source gives it: 58%, £4 million, over 300, 12",
               "12", True),
        Column("Unit", "Needed when the Value does not say it: people, organisations, posts, "
               "...", "organisations", scheme="unit"),
        Column("Qualifier", "Optional: exactly, more than, at least, approximately, less "
               "than, up to (taken from the Value if it says 'over', 'about', ...)", "",
               scheme="qualifier"),
        Column("Date", "When the figure held: 2024, March 2024, 2024-03-31, or a financial "
               "year 2023/24", "2024", True),
        Column("Source", "The ID of a row of sources.csv", "gazette-2024-budget", True),
    ),
    "sources.csv": (
        Column("ID", "A short identifier you choose; other files name it in their Source "
               "column", "gazette-2024-budget", True),
        Column("Publication", "The headline or title; or the ID of a publication already in "
               "the dataset", "Council agrees Compact check before cuts", True),
        Column("Type", "The kind of publication: newspaper article, web article, blog post, "
               "report, court judgment, ... (see README.txt)", "Newspaper article", True,
               scheme="publication-type"),
        Column("Publisher", "The newspaper, council or charity that published it",
               "Thurrock Gazette", True),
        Column("Published", "Its date: 2024-03-05, March 2024 or 2024", "2024-03-05", True),
        Column("Address", "Its web address (https://...), if it is on the web", ""),
        Column("Page", "The page the passage starts on; needed for a printed source with "
               "numbered pages (booklet, report, newspaper), empty for a web article, blog "
               "post or judgment cited as a whole", "1"),
        Column("Last page", "Optional: the last page, if it runs over", ""),
        Column("Section", "The section or heading, as printed; needed with a Page", "News"),
    ),
}

_KINDS: dict[str, URIRef] = {
    "council": CKG.Council,
    "cvs": CKG.CouncilForVoluntaryService,
    "council for voluntary service": CKG.CouncilForVoluntaryService,
    "infrastructure body": CKG.InfrastructureBody,
    "voluntary organisation": CKG.VoluntaryOrganisation,
    "voluntary and community organisation": CKG.VoluntaryOrganisation,
    "charity": CKG.VoluntaryOrganisation,
    "community group": CKG.VoluntaryOrganisation,
    "network": CKG.Network,
    "partnership": CKG.Partnership,
    "committee": CKG.Committee,
    "department": CKG.Department,
    "primary care trust": CKG.PrimaryCareTrust,
    "police service": CKG.PoliceService,
    "police": CKG.PoliceService,
    "fire and rescue service": CKG.FireAndRescueService,
    "government body": CKG.GovernmentBody,
}


# ---------------------------------------------------------------------------------------------
# Cells, problems and provenance
# ---------------------------------------------------------------------------------------------


def column_letters(number: int) -> str:
    """A spreadsheet's name for the 1-based column ``number``: 1 -> A, 27 -> AA."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


@dataclass(frozen=True)
class Cell:
    """Where a value came from: a CSV file, a 1-based row (the header is row 1) and column;
    or a workbook (``file``) and its ``sheet``, with the cell written ``Sheet!D4``."""

    file: str
    row: int
    column: int
    header: str
    sheet: str = ""

    @property
    def reference(self) -> str:
        """The spreadsheet reference of the cell, ``D4`` (column letters, row number)."""
        return f"{column_letters(self.column)}{self.row}"

    def location(self) -> tuple[str, int | None, int | None]:
        """(file, line, column) for a report: ``mine.xlsx Measurements!D4`` stands alone."""
        if self.sheet:
            return (f"{self.file} {self.sheet}!{self.reference}", None, None)
        return (self.file, self.row, self.column)

    def __str__(self) -> str:
        if self.sheet:
            return f"{self.location()[0]} ({self.header})"
        return f"{self.file}:{self.row}:{self.column} ({self.header})"


@dataclass(frozen=True)
class CellProblem:
    """A value in a form that cannot be converted, and what to do about it."""

    cell: Cell
    message: str
    value: str = ""


@dataclass
class FormProvenance:
    """Which cell each generated triple came from: ``(subject, predicate)`` -> Cell.

    ``(subject, None)`` is the row that made the subject (its first filled identifying cell).
    """

    cells: dict[tuple[URIRef, URIRef | None], Cell] = field(default_factory=dict)

    def record(self, subject: URIRef, predicate: URIRef | None, cell: Cell) -> None:
        self.cells.setdefault((subject, predicate), cell)

    def locate(self, focus: object, path: object | None) -> Cell | None:
        """The cell of ``focus`` + ``path``, else the row of ``focus``, else None."""
        if isinstance(focus, URIRef):
            if isinstance(path, URIRef) and (focus, path) in self.cells:
                return self.cells[(focus, path)]
            return self.cells.get((focus, None))
        return None


@dataclass
class ConvertedForm:
    """The graph made from a form folder, its provenance, and the cells that failed."""

    graph: Graph
    provenance: FormProvenance
    problems: list[CellProblem]
    folder: Path


# ---------------------------------------------------------------------------------------------
# Figures and dates
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A parsed figure: the number, and the unit and qualifier slugs it implies (or None)."""

    value: Decimal
    unit: str | None
    qualifier: str | None


_QUALIFIER_WORDS: tuple[tuple[str, str], ...] = (
    ("more than", "more-than"), ("over", "more-than"), ("above", "more-than"),
    ("in excess of", "more-than"), ("upwards of", "more-than"),
    ("at least", "at-least"), ("a minimum of", "at-least"), ("no fewer than", "at-least"),
    ("no less than", "at-least"),
    ("approximately", "approximately"), ("about", "approximately"),
    ("around", "approximately"), ("roughly", "approximately"), ("some", "approximately"),
    ("circa", "approximately"), ("c.", "approximately"), ("~", "approximately"),
    ("an estimated", "approximately"), ("estimated", "approximately"),
    ("less than", "less-than"), ("fewer than", "less-than"), ("under", "less-than"),
    ("below", "less-than"),
    ("up to", "up-to"), ("as many as", "up-to"), ("no more than", "up-to"),
    ("at most", "up-to"), ("a maximum of", "up-to"),
    ("exactly", "exact"),
)
_AMBIGUOUS_WORDS = ("almost", "nearly", "just over", "just under", "well over", "several",
                    "a few", "dozens", "hundreds", "thousands")
_MULTIPLIERS = {"thousand": Decimal(1000), "k": Decimal(1000), "million": Decimal(10) ** 6,
                "m": Decimal(10) ** 6, "mn": Decimal(10) ** 6, "billion": Decimal(10) ** 9,
                "bn": Decimal(10) ** 9}
_UNIT_WORDS = {"%": "percent", "per cent": "percent", "percent": "percent",
               "percentage points": "percentage-point", "percentage point": "percentage-point",
               "pounds": "pound-sterling", "gbp": "pound-sterling"}

_FIGURE = re.compile(
    r"^(?P<pound>£)?\s*(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)\s*"
    r"(?P<mult>thousand|million|billion|bn|mn|m|k)?\b\s*(?P<rest>.*)$", re.IGNORECASE)


class FigureError(ValueError):
    """A figure that cannot be read without guessing."""


def parse_figure(text: str, unit_words: dict[str, str] | None = None) -> Figure:
    """Split a figure as written ("over 300", "£4 million", "58%") into value, unit, qualifier.

    ``unit_words`` maps extra lower-case words (unit labels and slugs) to unit slugs. Raises
    :class:`FigureError` with what to write instead when the figure is ambiguous.
    """
    original = text
    text = " ".join(text.replace("\u00a0", " ").split()).strip()
    low = text.lower()
    if not text:
        raise FigureError("the figure is empty; write a number such as 58%, £4 million or 300")
    for word in _AMBIGUOUS_WORDS:
        if low.startswith(word):
            raise FigureError(
                f"{original!r} is not precise enough to store: '{word}' could mean several "
                "things; write the number and choose a Qualifier (more than, less than, "
                "approximately), e.g. 'about 300' or 'less than 300'")
    qualifier = None
    for word, slug in _QUALIFIER_WORDS:
        if low.startswith(word) and (len(low) == len(word) or not low[len(word)].isalpha()
                                     or word.endswith((".", "~"))):
            qualifier = slug
            text = text[len(word):].strip()
            low = text.lower()
            break
    if low.endswith("+"):
        if qualifier is not None:
            raise FigureError(f"{original!r} says how exact it is twice; write e.g. 'over 300'")
        qualifier, text = "more-than", text[:-1].strip()
    if re.search(r"\d\s*(-|–|to)\s*£?\d", text):
        raise FigureError(
            f"{original!r} is a range; store one figure, e.g. the lower end with Qualifier "
            "'at least', or the upper end with 'up to'")
    match = _FIGURE.match(text)
    if match is None:
        raise FigureError(
            f"{original!r} is not a figure compact-kg can read; write a number such as 58%, "
            "£4 million, over 300 or 1,200 (digits, not words)")
    try:
        value = Decimal(match["number"].replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise FigureError(f"{original!r} is not a number") from None
    if match["mult"]:
        mult = match["mult"].lower()
        if mult in ("m", "k", "bn", "mn") and not match["pound"]:
            # "4m" without a pound sign could be metres or months: accept it only for money
            raise FigureError(f"{original!r}: write the number in full, e.g. 4 million, "
                              "or £4m for money")
        value *= _MULTIPLIERS[mult]
    unit = "pound-sterling" if match["pound"] else None
    rest = match["rest"].strip().lower().rstrip(".")
    if rest:
        words = dict(_UNIT_WORDS)
        words.update(unit_words or {})
        found = words.get(rest)
        if found is None:
            raise FigureError(
                f"{original!r}: compact-kg does not know the unit {rest!r}; put the number "
                "alone in Value and choose a Unit (see README.txt)")
        if unit is not None and found != unit:
            raise FigureError(f"{original!r} has two units (£ and {rest!r})")
        unit = found
    return Figure(value=value, unit=unit, qualifier=qualifier)


_MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"], start=1)}
_MONTHS.update({name[:3]: i for name, i in list(_MONTHS.items())})


def parse_date(text: str) -> tuple[Literal | None, str | None]:
    """A date as written -> (literal, None) or, for a financial year "2009/10", (None, slug).

    Accepts 2010, 2010-03, March 2010, 2010-03-31, 31 March 2010, 31/03/2010 and
    2009/10 or FY 2009-10 (financial years, slug ``fy-2009-10``). Raises ValueError otherwise.
    """
    import datetime as dt

    t = " ".join(text.split()).strip().rstrip(".")
    low = t.lower()
    if re.fullmatch(r"\d{4}", t):
        return Literal(t, datatype=XSD.gYear), None
    fy = re.fullmatch(r"(?:fy\s*(\d{4})\s*[/-]|(\d{4})\s*/)\s*(\d{2})", low)
    if fy:
        first = fy[1] or fy[2]
        if (int(first) + 1) % 100 == int(fy[3]):
            return None, f"fy-{first}-{fy[3]}"
        raise ValueError(f"{text!r} is not a financial year; write e.g. 2009/10")
    m = re.fullmatch(r"(\d{4})-(\d{2})", t)
    if m and 1 <= int(m[2]) <= 12:
        return Literal(t, datatype=XSD.gYearMonth), None
    m = re.fullmatch(r"([a-z]+)\s+(\d{4})", low)
    if m and m[1] in _MONTHS:
        return Literal(f"{m[2]}-{_MONTHS[m[1]]:02d}", datatype=XSD.gYearMonth), None
    candidates = []
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", t)
    if m:
        candidates.append((int(m[1]), int(m[2]), int(m[3])))
    m = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\s+(\d{4})", low)
    if m and m[2] in _MONTHS:
        candidates.append((int(m[3]), _MONTHS[m[2]], int(m[1])))
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", t)
    if m:  # British order: day/month/year
        candidates.append((int(m[3]), int(m[2]), int(m[1])))
    for y, mo, d in candidates:
        try:
            return Literal(dt.date(y, mo, d).isoformat(), datatype=XSD.date), None
        except ValueError:
            raise ValueError(f"{text!r} is not a real date") from None
    raise ValueError(
        f"{text!r} is not a date compact-kg can read; write 2024, March 2024, 2024-03-31, "
        "31 March 2024, or a financial year as 2023/24")


# ---------------------------------------------------------------------------------------------
# Writing a blank form
# ---------------------------------------------------------------------------------------------


def _vocab_table(context: DatasetContext) -> str:
    lines = []
    for title, scheme in (("Themes", "theme"), ("Mechanism types", "mechanism-type"),
                          ("Outcome types", "outcome-type"), ("Sectors", "sector"),
                          ("Statuses", "status"), ("Units", "unit"),
                          ("Qualifiers", "qualifier"), ("Area types", "authority-type"),
                          ("Event types", "event-type"), ("Roles", "role"),
                          ("Publication types", "publication-type")):
        lines.append(f"\n{title} (write the label or the identifier):")
        for concept in context.concepts(scheme):
            alt = f"  (also: {', '.join(concept.alt_labels)})" if concept.alt_labels else ""
            lines.append(f"  {concept.label:<45} {concept.slug}{alt}")
    lines.append("\nRegions: " + ", ".join(label for _, label in context.instances(CKG.Region)))
    lines.append("Areas already in the dataset: "
                 + ", ".join(label for _, label in context.areas()))
    return "\n".join(lines) + "\n"


def write_form(folder: Path, context: DatasetContext) -> list[Path]:
    """Write the blank CSV forms and README.txt into ``folder``; refuse to overwrite."""
    folder.mkdir(parents=True, exist_ok=True)
    targets = [folder / name for name in FORMS] + [folder / "README.txt"]
    existing = [p.name for p in targets if p.exists()]
    if existing:
        raise InputError(f"the folder already holds {', '.join(existing)}", path=folder,
                         hint="Choose an empty folder; compact-kg never overwrites a form.")
    for name, columns in FORMS.items():
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow([c.header for c in columns])
        writer.writerow([("# " if i == 0 else "") + ("required: " if c.required else
                         "optional: ") + c.help for i, c in enumerate(columns)])
        writer.writerow([("# example: " if i == 0 else "") + c.example
                         for i, c in enumerate(columns)])
        (folder / name).write_text(buffer.getvalue(), encoding="utf-8")
    readme = (
        "compact-kg case study form\n"
        "==========================\n\n"
        "Fill in one row per thing in each CSV file (a spreadsheet program can open them;\n"
        "save as 'CSV UTF-8'). Rows whose first cell starts with # are ignored: the help and\n"
        "example rows may stay. case-study.csv has exactly one row. Several values in one cell\n"
        "are separated by ; (semicolon). Write descriptions in your own words.\n\n"
        "Then:  compact-kg validate THIS-FOLDER    (check; names file/row/column of each problem)\n"
        "       compact-kg convert THIS-FOLDER --out case-study.ttl\n"
        "       compact-kg submit case-study.ttl\n\n"
        "Columns:\n")
    for name, columns in FORMS.items():
        readme += f"\n{name}\n"
        for c in columns:
            readme += f"  {c.header:<18} {'required' if c.required else 'optional'}: {c.help}\n"
    readme += "\nAllowed values\n--------------" + _vocab_table(context)
    (folder / "README.txt").write_text(readme, encoding="utf-8")
    return targets


# ---------------------------------------------------------------------------------------------
# Reading a filled form
# ---------------------------------------------------------------------------------------------


def is_form_dir(path: Path) -> bool:
    """Whether ``path`` is a folder holding a case-study.csv form."""
    return path.is_dir() and (path / "case-study.csv").is_file()


@dataclass
class FormRow:
    """One filled row of a form: where it is, and its values by column header.

    ``form`` is the form's name in :data:`FORMS` (``measurements.csv``); ``file`` what
    messages call the file; ``sheet`` the workbook sheet, if it came from one.
    """

    file: str
    number: int
    values: dict[str, str]
    columns: dict[str, int]
    form: str = ""
    sheet: str = ""

    def get(self, header: str) -> str:
        return " ".join(self.values.get(header, "").split())

    def cell(self, header: str) -> Cell:
        return Cell(self.file, self.number, self.columns.get(header, 1), header, self.sheet)


_Row = FormRow


def _read_csv(path: Path, label: str) -> list[_Row]:
    try:
        size = path.stat().st_size
        if size > MAX_FORM_FILE_BYTES:
            raise InputError(f"the form file is {size} bytes, more than the limit of "
                             f"{MAX_FORM_FILE_BYTES}", path=label)
        raw = path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read the form file ({error.strerror})", path=label) from None
    if b"\x00" in raw:
        raise InputError("this is not a CSV text file (it holds binary data)", path=label,
                         hint="Save the sheet as 'CSV UTF-8'.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        raise InputError("the file is not UTF-8 text", path=label, line=line,
                         hint="In your spreadsheet program, save as 'CSV UTF-8'.") from None
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        rows = list(reader)
    except csv.Error as error:
        raise InputError(f"the CSV cannot be read ({error})", path=label) from None
    if not rows:
        return []
    def fail(message: str, column: int | None, hint: str) -> NoReturn:
        raise InputError(message, path=label, line=1, column=column, hint=hint)

    columns = header_columns(rows[0], path.name, fail,
                             "Start again from a blank form: compact-kg new form DIR")
    if len(rows) > MAX_FORM_ROWS:
        raise InputError(f"the form has {len(rows)} rows, more than {MAX_FORM_ROWS}", path=label)
    out = []
    for number, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells) or (cells and cells[0].lstrip().startswith("#")):
            continue
        values = {h: (cells[i - 1] if i - 1 < len(cells) else "") for h, i in columns.items()}
        out.append(_Row(path.name, number, values, columns, form=path.name))
    return out


def header_columns(headers: list[str], form: str,
                   fail: Callable[[str, int | None, str], NoReturn], remake: str) -> dict[str, int]:
    """The 1-based column of each known header of ``form`` in a header row.

    An unknown header (with a did-you-mean) or a missing required one is reported through
    ``fail(message, column or None, hint)``, which raises; ``remake`` is the hint for a
    header row that lacks required columns.
    """
    import difflib

    expected = FORMS[form]
    known = {c.header.casefold(): c.header for c in expected}
    columns: dict[str, int] = {}
    for index, raw in enumerate(headers, start=1):
        header = " ".join(raw.split())
        if not header:
            continue
        canonical = known.get(header.casefold())
        if canonical is None:
            close = difflib.get_close_matches(header, [c.header for c in expected], n=1)
            fail(f"unknown column {header!r}", index,
                 f"Did you mean {close[0]!r}?" if close else
                 "The columns are: " + ", ".join(c.header for c in expected) + ".")
        columns[canonical] = index
    missing = [c.header for c in expected if c.required and c.header not in columns]
    if missing:
        fail(f"the header row lacks the column(s) {', '.join(missing)}", None, remake)
    return columns


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


class _Converter:
    """Builds the graph of one form folder; collects every problem instead of stopping."""

    def __init__(self, folder: Path, context: DatasetContext,
                 rows: dict[str, list[FormRow]] | None = None) -> None:
        self.folder = folder
        self.context = context
        self._given = rows  # rows read elsewhere (a workbook), by form name
        self.graph = bind_standard_prefixes(Graph())
        self.provenance = FormProvenance()
        self.problems: list[CellProblem] = []
        self.area: URIRef | None = None
        self.area_slug = ""
        self.area_name = ""
        # names defined in the form -> IRI, per kind
        self.local: dict[str, dict[str, URIRef]] = {
            "organisation": {}, "mechanism": {}, "outcome": {}, "source": {}, "post": {},
            "event": {}}
        self._unit_words = {}
        for concept in context.concepts("unit"):
            for word in (concept.label, concept.slug, *concept.alt_labels):
                self._unit_words[word.lower()] = concept.slug

    # -- helpers ---------------------------------------------------------------------------

    def problem(self, row: _Row, header: str, message: str) -> None:
        self.problems.append(CellProblem(row.cell(header), message, row.get(header)))

    def add(self, row: _Row, header: str | None, s: URIRef, p: URIRef, o: object) -> None:
        self.graph.add((s, p, o))  # type: ignore[arg-type]
        if header is not None:
            self.provenance.record(s, p, row.cell(header))

    def text(self, row: _Row, header: str, s: URIRef, p: URIRef, *, lang: bool = True) -> None:
        value = row.get(header)
        if value:
            self.add(row, header, s, p, Literal(value, lang=_LANG) if lang else Literal(value))
        elif any(c.header == header and c.required for c in FORMS[row.form]):
            self.problem(row, header, f"the {header} column is empty; fill it in")

    def concept(self, row: _Row, header: str, scheme: str, *, required: bool = True,
                default: str | None = None) -> list[URIRef]:
        """Concepts of ``scheme`` named in a cell, by label, alt label, slug or IRI."""
        values = _split(row.get(header)) or ([default] if default else [])
        if not values:
            if required:
                self.problem(row, header, f"the {header} column is empty; choose a value "
                             "from README.txt")
            return []
        concepts = self.context.concepts(scheme)
        names: dict[str, URIRef] = {}
        for c in concepts:
            for word in (c.label, c.slug, *c.alt_labels, str(c.iri), curie(c.iri)):
                names[" ".join(word.casefold().replace("-", " ").split())] = c.iri
        found = []
        for value in values:
            key = " ".join(value.casefold().replace("-", " ").split())
            if key in names:
                found.append(names[key])
                continue
            import difflib

            labels = [c.label for c in concepts]
            close = difflib.get_close_matches(value, labels + [c.slug for c in concepts], n=2,
                                              cutoff=0.5)
            hint = (f"did you mean {' or '.join(repr(x) for x in close)}?" if close
                    else "allowed: " + "; ".join(labels))
            self.problem(row, header, f"{value!r} is not one of the allowed values; {hint}")
        return found

    def ident(self, row: _Row, kind: str, name: str, *, prefix_area: bool) -> URIRef | None:
        slug = row.get("ID") or slugify(name)
        if row.get("ID") and slugify(slug) != slug:
            self.problem(row, "ID", f"{slug!r} is not a valid identifier; use lower-case "
                         f"words joined by hyphens, e.g. {slugify(slug)!r}")
            return None
        if not slug:
            return None
        if prefix_area and not row.get("ID") and self.area_slug and not slug.startswith(
                self.area_slug + "-"):
            slug = f"{self.area_slug}-{slug}"
        return ID[f"{kind}/{slug}"]

    def resolve(self, row: _Row, header: str, kind: str, value: str) -> URIRef | None:
        """A name or ID in a cell -> IRI, among the form's own things and the dataset's."""
        key = value.casefold()
        if key in self.local[kind]:
            return self.local[kind][key]
        namespace = ID[f"{kind}/"]
        candidates = [URIRef(value)] if value.startswith(BASE) else []
        if ":" in value and not value.startswith("http"):
            from compact_kg.namespace import STANDARD_PREFIXES

            prefix, _, local = value.partition(":")
            if prefix in STANDARD_PREFIXES:
                candidates.append(URIRef(STANDARD_PREFIXES[prefix] + local))
        candidates.append(URIRef(f"{namespace}{slugify(value)}"))
        for iri in candidates:
            if iri in self.local[kind].values() or self.context.knows(iri):
                return iri
        cls = {"organisation": None, "mechanism": CKG.Mechanism, "outcome": CKG.Outcome,
               "source": CKG.SourceLocator, "post": ORG.Post, "event": CKG.Event}[kind]
        if cls is not None:
            for iri, label in self.context.instances(cls):
                if label.casefold() == key:
                    return iri
        else:
            iri = self._organisation_by_label(value)
            if iri is not None:
                return iri
        import difflib

        names = list(self.local[kind])
        close = difflib.get_close_matches(key, names, n=2, cutoff=0.6)
        close_iris = self.context.suggest(candidates[-1])
        hints = [repr(n) for n in close] + [curie(i) for i in close_iris]
        where = {"organisation": "organisations.csv", "mechanism": "mechanisms.csv",
                 "post": "posts.csv", "event": "events.csv",
                 "outcome": "outcomes.csv", "source": "sources.csv"}[kind]
        hint = (f"did you mean {' or '.join(hints[:3])}?" if hints
                else f"add it to {where} or use the name of one already in the dataset")
        self.problem(row, header, f"{value!r} is not in {where} nor in the dataset; {hint}")
        return None

    def _organisation_by_label(self, name: str) -> URIRef | None:
        key = name.casefold()
        for cls in (CKG.Council, CKG.CouncilForVoluntaryService, CKG.InfrastructureBody,
                    CKG.VoluntaryOrganisation, CKG.Network, CKG.Partnership, CKG.Committee,
                    CKG.Department, CKG.PrimaryCareTrust, CKG.PoliceService,
                    CKG.FireAndRescueService, CKG.GovernmentBody):
            for iri, label in self.context.instances(cls):
                if label.casefold() == key:
                    return iri
        return None

    def refs(self, row: _Row, header: str, kind: str, s: URIRef, p: URIRef,
             *, required: bool = False) -> list[URIRef]:
        values = _split(row.get(header))
        if not values and required:
            self.problem(row, header, f"the {header} column is empty; fill it in")
        found = []
        for value in values:
            iri = self.resolve(row, header, kind, value)
            if iri is not None:
                self.add(row, header, s, p, iri)
                found.append(iri)
        return found

    def source(self, row: _Row, s: URIRef) -> None:
        self.refs(row, "Source", "source", s, PROV.wasDerivedFrom, required=True)

    # -- the parts ---------------------------------------------------------------------------

    def run(self) -> None:
        rows = {name: self._rows(name) for name in FORMS}
        cs_rows = rows["case-study.csv"]
        if len(cs_rows) != 1:
            what = "the Case study sheet" if self._given is not None else "case-study.csv"
            raise InputError(f"{what} must have exactly one filled row, not "
                             f"{len(cs_rows)}", path=self._label("case-study.csv"),
                             hint="Describe one case study per form.")
        self._area(cs_rows[0])
        # define names first, so that rows may refer to rows below them
        for row in rows["sources.csv"]:
            self._declare(row, "source", "ID", prefix_area=False)
        for row in rows["organisations.csv"]:
            existing = self._organisation_by_label(row.get("Name"))
            slug_iri = ID["organisation/" + slugify(row.get("ID") or row.get("Name"))]
            if existing is None and self.context.knows(slug_iri):
                existing = slug_iri  # already in the dataset under this identifier: link it
            if existing is not None:
                self.local["organisation"][row.get("Name").casefold()] = existing
                if row.get("ID"):
                    self.local["organisation"][row.get("ID").casefold()] = existing
            else:
                self._declare(row, "organisation", "Name", prefix_area=False)
        for row in rows["mechanisms.csv"]:
            self._declare(row, "mechanism", "Name", prefix_area=True)
        for row in rows["outcomes.csv"]:
            self._declare(row, "outcome", "Name", prefix_area=True)
        for row in rows["posts.csv"]:
            self._declare(row, "post", "Name", prefix_area=True)
        for row in rows["events.csv"]:
            self._declare(row, "event", "Name", prefix_area=True)
        for row in rows["sources.csv"]:
            self._source(row)
        cs = self._case_study(cs_rows[0])
        for row in rows["organisations.csv"]:
            self._organisation(row, cs)
        for row in rows["mechanisms.csv"]:
            self._mechanism(row, cs)
        for row in rows["outcomes.csv"]:
            self._outcome(row, cs)
        for row in rows["posts.csv"]:
            self._post(row)
        for row in rows["events.csv"]:
            self._event(row)
        self._measurements(rows["measurements.csv"])

    def _label(self, name: str) -> str:
        if self._given is not None:
            return f"{self.folder} (sheet {sheet_name(name)})"
        return str(self.folder / name)

    def _rows(self, name: str) -> list[_Row]:
        if self._given is not None:
            return self._given.get(name, [])
        path = self.folder / name
        if not path.is_file():
            if name == "case-study.csv":
                raise InputError("the form folder has no case-study.csv", path=self.folder)
            return []
        rows = _read_csv(path, self._label(name))
        for row in rows:
            row.file = self._label(name)
        return rows

    def _declare(self, row: _Row, kind: str, header: str, *, prefix_area: bool) -> None:
        name = row.get(header)
        if not name:
            self.problem(row, header, f"the {header} column is empty; fill it in")
            return
        iri = self.ident(row, kind, name, prefix_area=prefix_area)
        if iri is None:
            return
        if iri in self.local[kind].values():
            self.problem(row, header, f"{name!r} makes the identifier {curie(iri)}, which an "
                         "earlier row already uses; give this row a different ID")
            return
        self.local[kind][name.casefold()] = iri
        if row.get("ID"):
            self.local[kind][row.get("ID").casefold()] = iri
        self.provenance.record(iri, None, row.cell(header))

    def _area(self, row: _Row) -> None:
        name = row.get("Area")
        if not name:
            self.problem(row, "Area", "the Area column is empty; name the area")
            return
        try:
            self.area = self.context.find_area(name)
            self.area_slug = self.area.rsplit("/", 1)[-1]
            self.area_name = self.context.label(self.area) or name
            return
        except InputError as error:
            if not row.get("New area GSS code"):
                self.problem(row, "Area", f"{error.reason}; {error.hint.split(' To ')[0]} "
                             "For a new area, fill the New area columns")
                return
        self.area_slug = slugify(name)
        self.area_name = name
        self.area = ID["area/" + self.area_slug]
        a = self.area
        self.provenance.record(a, None, row.cell("Area"))
        self.add(row, "Area", a, RDF.type, CKG.Area)
        self.add(row, "Area", a, RDFS.label, Literal(name, lang=_LANG))
        self.text(row, "New area GSS code", a, CKG.gssCode, lang=False)
        for t in self.concept(row, "New area type", "authority-type"):
            self.add(row, "New area type", a, CKG.authorityType, t)
        region = row.get("New area region")
        regions = {label.casefold(): iri for iri, label in self.context.instances(CKG.Region)}
        if region.casefold() in regions:
            self.add(row, "New area region", a, CKG.region, regions[region.casefold()])
        else:
            self.problem(row, "New area region", f"{region!r} is not an English region; "
                         "choose from: " + ", ".join(label for label in sorted(
                             label for _, label in self.context.instances(CKG.Region))))
        self.source(row, a)

    def _case_study(self, row: _Row) -> URIRef:
        if row.get("ID"):
            slug = slugify(row.get("ID"))
        else:
            import datetime as dt

            from compact_kg.templates import free_case_study_slug

            slug = free_case_study_slug(self.context, self.area_slug or "case-study",
                                        dt.date.today().year)
        cs = ID["case-study/" + slug]
        self.provenance.record(cs, None, row.cell("Title" if not row.get("ID") else "ID"))
        self.add(row, "Title", cs, RDF.type, CKG.CaseStudy)
        self.text(row, "Title", cs, RDFS.label)
        self.text(row, "Summary", cs, DCTERMS.description)
        if self.area is not None:
            self.add(row, "Area", cs, CKG.area, self.area)
        for theme in self.concept(row, "Themes", "theme"):
            self.add(row, "Themes", cs, CKG.theme, theme)
        self.source(row, cs)
        if self.area is not None:
            lc = ID["local-compact/" + self.area_slug]
            self.add(row, "Local Compact", cs, CKG.localCompact, lc)
            if not self.context.knows(lc):
                name = row.get("Local Compact") or f"{self.area_name} Local Compact"
                self.provenance.record(lc, None, row.cell("Local Compact"))
                self.add(row, "Local Compact", lc, RDF.type, CKG.LocalCompact)
                self.add(row, "Local Compact", lc, RDFS.label, Literal(name, lang=_LANG))
                self.add(row, "Area", lc, CKG.compactArea, self.area)
                council = self.context.council_of(self.area)
                if council is not None:
                    self.add(row, "Area", lc, CKG.party, council)
                self.source(row, lc)
        for kind, p in (("mechanism", CKG.mechanism), ("outcome", CKG.outcome),
                        ("event", CKG.event)):
            for iri in dict.fromkeys(self.local[kind].values()):
                self.graph.add((cs, p, iri))
        for iri in dict.fromkeys(self.local["organisation"].values()):
            self.graph.add((cs, CKG.involves, iri))
        if self.area is not None:
            council = self.context.council_of(self.area)
            if council is not None:
                self.graph.add((cs, CKG.involves, council))
        self.case_study = cs
        return cs

    def _source(self, row: _Row) -> None:
        src = self.local["source"].get(row.get("ID").casefold())
        if src is None:
            return
        self.add(row, "ID", src, RDF.type, CKG.SourceLocator)
        title = row.get("Publication")
        if not title:
            self.problem(row, "Publication", "the Publication column is empty; give the "
                         "headline or title")
            return
        pub = None
        kinds: list[URIRef] = []  # the type given for a new publication
        for candidate in (ID["publication/" + slugify(title)],):
            if self.context.knows(candidate):
                pub = candidate
        if pub is None:
            for iri, label in self.context.instances(CKG.Publication):
                if label.casefold() == title.casefold():
                    pub = iri
        if pub is None:
            date = row.get("Published")
            year = re.search(r"\d{4}", date)
            words = slugify(title).split("-")[:6]
            pub = ID["publication/" + "-".join(words + ([year[0]] if year else []))]
            self.provenance.record(pub, None, row.cell("Publication"))
            self.add(row, "Publication", pub, RDF.type, CKG.Publication)
            self.add(row, "Publication", pub, DCTERMS.title, Literal(title, lang=_LANG))
            publisher = row.get("Publisher")
            self.add(row, "Publication", pub, RDFS.label, Literal(
                f"{publisher}, {date}" if publisher else title, lang=_LANG))
            self.text(row, "Publisher", pub, DCTERMS.publisher, lang=False)
            kinds = self.concept(row, "Type", "publication-type")
            for kind in kinds:
                self.add(row, "Type", pub, CKG.publicationType, kind)
            address = row.get("Address")
            if address:
                if re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", address):
                    self.add(row, "Address", pub, FOAF.page, URIRef(address))
                else:
                    self.problem(row, "Address", f"{address!r} is not a web address; write "
                                 "it in full, starting with https:// or http://")
            if date:
                try:
                    literal, _fy = parse_date(date)
                    if literal is None:
                        raise ValueError(f"{date!r} is a financial year; give the day, month "
                                         "or year the publication came out")
                    self.add(row, "Published", pub, DCTERMS.issued, literal)
                except ValueError as error:
                    self.problem(row, "Published", str(error))
            else:
                self.problem(row, "Published", "the Published column is empty; give the date")
        self.add(row, "Publication", src, DCTERMS.isPartOf, pub)
        self.add(row, "ID", src, RDFS.label, Literal(
            f"{title}, {row.get('Section') or 'passage'}", lang=_LANG))
        # A page is needed in a publication with numbered pages (its type is ckg:paged), or
        # when its type is not known. A publication of the dataset has its type there.
        if not kinds and self.context.knows(pub):
            kinds = list(self.context.describe([pub]).objects(pub, CKG.publicationType))
        paged = not kinds or any(self.context.model.value(kind, CKG.paged) == Literal(True)
                                 for kind in kinds)
        for header, p in (("Page", CKG.pageStart), ("Last page", CKG.pageEnd)):
            value = row.get(header)
            if not value:
                if header == "Page" and paged:
                    self.problem(row, header, "the Page column is empty; a publication of "
                                 "this type has numbered pages: give the page the passage "
                                 "starts on")
                continue
            if not value.isdigit() or int(value) < 1:
                self.problem(row, header, f"{value!r} is not a page number; write a whole "
                             "number such as 1 or 12")
                continue
            self.add(row, header, src, p, Literal(int(value), datatype=XSD.positiveInteger))
        self.text(row, "Section", src, CKG.section, lang=False)

    def _organisation(self, row: _Row, cs: URIRef) -> None:
        name = row.get("Name")
        iri = self.local["organisation"].get(name.casefold())
        if iri is None or self.context.knows(iri):
            return  # an existing organisation is linked, not redefined
        kind = row.get("Kind").casefold()
        cls = _KINDS.get(kind) or _KINDS.get(kind.rstrip("s"))
        if cls is None:
            import difflib

            close = difflib.get_close_matches(kind, list(_KINDS), n=2)
            self.problem(row, "Kind", f"{row.get('Kind')!r} is not a kind of organisation "
                         "compact-kg knows; " + (f"did you mean {' or '.join(close)}?" if close
                                                 else "see README.txt"))
        else:
            self.add(row, "Kind", iri, RDF.type, cls)
        self.add(row, "Name", iri, RDFS.label, Literal(name, lang=_LANG))
        for sector in self.concept(row, "Sector", "sector"):
            self.add(row, "Sector", iri, CKG.sector, sector)
        area = row.get("Area")
        if area:
            try:
                self.add(row, "Area", iri, CKG.operatesIn, self.context.find_area(area))
            except InputError as error:
                if slugify(area) == self.area_slug:
                    self.add(row, "Area", iri, CKG.operatesIn, self.area)
                else:
                    self.problem(row, "Area", f"{error.reason}; {error.hint.split(' To ')[0]}")
        elif self.area is not None:
            self.add(row, "Name", iri, CKG.operatesIn, self.area)
        if cls is CKG.Council and self.area is not None and not self.context.knows(self.area):
            self.add(row, "Kind", iri, CKG.governs, self.area)
            self.add(row, "Kind", self.area, CKG.governedBy, iri)
        self.text(row, "Description", iri, DCTERMS.description)
        self.source(row, iri)

    def _named(self, row: _Row, kind: str, cls: URIRef, *,
               scheme: tuple[str, str, URIRef] | None = None,
               description_required: bool = True) -> URIRef | None:
        """The declared IRI of a row of ``kind`` with its class, label, description and, when
        ``scheme`` = (column, scheme, property) is given, its type; None if not declared."""
        iri = self.local[kind].get(row.get("Name").casefold())
        if iri is None:
            return None
        self.add(row, "Name", iri, RDF.type, cls)
        self.text(row, "Name", iri, RDFS.label)
        if description_required or row.get("Description"):
            self.text(row, "Description", iri, DCTERMS.description)
        if scheme is not None:
            column, name, p = scheme
            for concept in self.concept(row, column, name):
                self.add(row, column, iri, p, concept)
        return iri

    def _mechanism(self, row: _Row, cs: URIRef) -> None:
        iri = self._named(row, "mechanism", CKG.Mechanism,
                          scheme=("Type", "mechanism-type", CKG.mechanismType))
        if iri is None:
            return
        if self.area is not None:
            self.add(row, "Name", iri, CKG.area, self.area)
        self.refs(row, "Operated by", "organisation", iri, CKG.operatedBy, required=True)
        self.refs(row, "Hosted by", "organisation", iri, CKG.hostedBy)
        self.refs(row, "Funded by", "organisation", iri, CKG.fundedBy)
        self.refs(row, "Participants", "organisation", iri, CKG.participant)
        for s in self.concept(row, "Status", "status", required=False):
            self.add(row, "Status", iri, CKG.status, s)
        self.refs(row, "Posts", "post", iri, CKG.post)
        self.source(row, iri)

    def _post(self, row: _Row) -> None:
        iri = self._named(row, "post", ORG.Post, scheme=("Role", "role", ORG.role),
                          description_required=False)
        if iri is None:
            return
        self.refs(row, "In", "organisation", iri, ORG.postIn)
        self.refs(row, "Funded by", "organisation", iri, CKG.fundedBy)
        self.source(row, iri)

    def _event(self, row: _Row) -> None:
        iri = self._named(row, "event", CKG.Event,
                          scheme=("Type", "event-type", CKG.eventType))
        if iri is None:
            return
        date = row.get("Date")
        if not date:
            self.problem(row, "Date", "the Date column is empty; give the day, month or year "
                         "it happened")
        else:
            try:
                literal, period = parse_date(date)
                if literal is not None:
                    self.add(row, "Date", iri, CKG.date, literal)
                elif period is not None:
                    self._period(row, iri, period)
            except ValueError as error:
                self.problem(row, "Date", str(error))
        if self.area is not None:
            self.add(row, "Name", iri, CKG.area, self.area)
        self.refs(row, "Organised by", "organisation", iri, CKG.organisedBy)
        self.refs(row, "Awarded to", "organisation", iri, CKG.awardedTo)
        if row.get("Award category"):
            self.text(row, "Award category", iri, CKG.awardCategory, lang=False)
        self.refs(row, "Post", "post", iri, CKG.post)
        self.source(row, iri)

    def _outcome(self, row: _Row, cs: URIRef) -> None:
        iri = self._named(row, "outcome", CKG.Outcome,
                          scheme=("Type", "outcome-type", CKG.outcomeType))
        if iri is None:
            return
        self.refs(row, "Resulted from", "mechanism", iri, CKG.resultedFrom, required=True)
        self.source(row, iri)

    def _about(self, row: _Row) -> URIRef | None:
        value = row.get("About")
        if not value:
            self.problem(row, "About", "the About column is empty; name the outcome, mechanism "
                         "or organisation the figure belongs to")
            return None
        for kind in ("outcome", "mechanism", "organisation"):
            if value.casefold() in self.local[kind]:
                return self.local[kind][value.casefold()]
        saved = len(self.problems)
        for kind in ("outcome", "mechanism", "organisation"):
            iri = self.resolve(row, "About", kind, value)
            if iri is not None:
                del self.problems[saved:]
                return iri
        del self.problems[saved + 1:]
        return None

    def _measurements(self, rows: list[_Row]) -> None:
        by_indicator: dict[URIRef, list[tuple[str, URIRef]]] = {}
        for row in rows:
            about = self._about(row)
            name = row.get("Indicator")
            if not name:
                self.problem(row, "Indicator", "the Indicator column is empty; say in a few "
                             "words what is counted")
                continue
            owner = about.rsplit("/", 1)[-1] if about is not None else self.area_slug
            ind_slug = slugify(name)
            if self.area_slug and not ind_slug.startswith(self.area_slug + "-"):
                ind_slug = f"{self.area_slug}-{ind_slug}"
            ind = ID["indicator/" + ind_slug]
            if (ind, RDF.type, CKG.Indicator) not in self.graph and not self.context.knows(ind):
                self.provenance.record(ind, None, row.cell("Indicator"))
                self.add(row, "Indicator", ind, RDF.type, CKG.Indicator)
                self.add(row, "Indicator", ind, RDFS.label, Literal(name, lang=_LANG))
                self.add(row, "About", ind, CKG.indicatorOf, about or self.area)
            del owner
            date_text = row.get("Date")
            date_lit, fy = None, None
            if not date_text:
                self.problem(row, "Date", "the Date column is empty; give the year, month or "
                             "day the figure held")
            else:
                try:
                    date_lit, fy = parse_date(date_text)
                except ValueError as error:
                    self.problem(row, "Date", str(error))
            when = str(date_lit) if date_lit is not None else (fy or "undated")
            meas = ID[f"measurement/{ind_slug}-{when}"]
            if (meas, RDF.type, CKG.Measurement) in self.graph:
                self.problem(row, "Date", f"the indicator {name!r} already has a figure for "
                             f"{date_text}; one figure per indicator and date")
                continue
            self.provenance.record(meas, None, row.cell("Value"))
            self.add(row, "Indicator", meas, RDF.type, CKG.Measurement)
            self.add(row, "Indicator", meas, RDFS.label, Literal(
                f"{self.area_name}: {name}, {date_text}", lang=_LANG))
            self.add(row, "Indicator", meas, CKG.indicator, ind)
            if about is not None and not self.context.knows(about):
                # (a thing of the dataset is not described again; the indicator names it)
                self.add(row, "About", about, CKG.measurement, meas)
            if date_lit is not None:
                self.add(row, "Date", meas, CKG.date, date_lit)
            elif fy is not None:
                self._period(row, meas, fy)
            self._figure(row, meas)
            self.source(row, meas)
            by_indicator.setdefault(ind, []).append((when, meas))
        for series in by_indicator.values():
            series.sort(key=lambda item: item[0])
            for (_, earlier), (_, later) in itertools.pairwise(series):
                self.graph.add((later, CKG.previousMeasurement, earlier))

    def _period(self, row: _Row, subject: URIRef, slug: str) -> None:
        """``subject`` (a measurement or an event) falls in the financial year ``slug``; the
        period is described here when the dataset does not have it."""
        period = ID["period/" + slug]
        self.add(row, "Date", subject, CKG.period, period)
        if self.context.knows(period) or (period, RDF.type, CKG.Period) in self.graph:
            return
        start = int(slug[3:7])
        self.provenance.record(period, None, row.cell("Date"))
        self.add(row, "Date", period, RDF.type, CKG.Period)
        self.add(row, "Date", period, RDFS.label,
                 Literal(f"Financial year {start}/{slug[-2:]}", lang=_LANG))
        self.add(row, "Date", period, CKG.startDate,
                 Literal(f"{start}-04-01", datatype=XSD.date))
        self.add(row, "Date", period, CKG.endDate,
                 Literal(f"{start + 1}-03-31", datatype=XSD.date))

    def _figure(self, row: _Row, meas: URIRef) -> None:
        try:
            figure = parse_figure(row.get("Value"), self._unit_words)
        except FigureError as error:
            self.problem(row, "Value", str(error))
            return
        self.add(row, "Value", meas, CKG.value, Literal(figure.value, datatype=XSD.decimal))
        units = self.concept(row, "Unit", "unit", required=False)
        unit = units[0] if units else None
        if figure.unit is not None:
            implied = VOCAB["unit/" + figure.unit]
            if unit is not None and unit != implied:
                self.problem(row, "Unit", f"the Value {row.get('Value')!r} is in "
                             f"{curie(implied)} but the Unit says {curie(unit)}; make them agree")
                return
            unit = implied
            self.add(row, "Value", meas, CKG.unit, unit)
        elif unit is not None:
            self.add(row, "Unit", meas, CKG.unit, unit)
        elif not row.get("Unit"):
            self.problem(row, "Unit", f"the Value {row.get('Value')!r} does not say what is "
                         "counted; choose a Unit (people, organisations, posts, ...)")
        quals = self.concept(row, "Qualifier", "qualifier", required=False)
        if figure.qualifier is not None:
            implied = VOCAB["qualifier/" + figure.qualifier]
            if quals and quals[0] != implied:
                self.problem(row, "Qualifier", f"the Value {row.get('Value')!r} says "
                             f"{curie(implied)} but the Qualifier says {curie(quals[0])}; "
                             "make them agree")
                return
            self.add(row, "Value", meas, CKG.qualifier, implied)
        elif quals:
            self.add(row, "Qualifier", meas, CKG.qualifier, quals[0])
        elif not row.get("Qualifier"):
            self.add(row, "Value", meas, CKG.qualifier, VOCAB["qualifier/exact"])


def convert_form(folder: Path, context: DatasetContext) -> ConvertedForm:
    """Read the CSV forms in ``folder`` and build their graph, provenance and problems.

    Unreadable files raise :class:`InputError`; values that cannot be converted are
    collected as :class:`CellProblem` so that all of them are reported at once.
    """
    if not folder.is_dir():
        raise InputError("this is not a folder of CSV forms", path=folder,
                         hint="Make one with: compact-kg new form DIR")
    converter = _Converter(folder, context)
    converter.run()
    return ConvertedForm(converter.graph, converter.provenance, converter.problems, folder)


def sheet_name(form: str) -> str:
    """The workbook sheet of a form: ``measurements.csv`` -> ``Measurements``."""
    return form.removesuffix(".csv").replace("-", " ").capitalize()


def convert_rows(source: Path, rows: dict[str, list[FormRow]],
                 context: DatasetContext) -> ConvertedForm:
    """:func:`convert_form` for rows read from elsewhere (a workbook's sheets), by form name."""
    converter = _Converter(source, context, rows)
    converter.run()
    return ConvertedForm(converter.graph, converter.provenance, converter.problems, source)


def iter_cells(form: ConvertedForm) -> Iterator[tuple[tuple[URIRef, URIRef | None], Cell]]:
    """Every recorded (subject, predicate) and the cell it came from."""
    yield from form.provenance.cells.items()
