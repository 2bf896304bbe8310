"""The Excel route into compact-kg: the CSV forms as one workbook, written and read safely.

``compact-kg new workbook FILE.xlsx`` writes a README sheet and one sheet per form of
:data:`compact_kg.forms.FORMS` (Case study, Organisations, Mechanisms, Posts, Events, Outcomes,
Measurements, Sources), each with its column headers, a help row and an example row (rows
whose first cell starts with ``#`` are ignored, as in the CSV forms), and a drop-down list
on every column that takes a vocabulary value (themes, mechanism types, units, qualifiers,
...), fed from a hidden Lists sheet made from the SKOS vocabularies. ``validate``,
``convert`` and ``submit`` accept the filled workbook as they accept a CSV folder, and name
each problem's cell as ``SHEET!CELL`` (``mine.xlsx Measurements!D4``).

A workbook is a zip of XML files, so reading one is bounded before openpyxl sees it
(:func:`read_workbook`): its size, the number and uncompressed size of its parts and their
compression ratio (a zip bomb is refused), no macros (``vbaProject.bin``), no external links
or data connections, no DTD in any part; then openpyxl reads it in read-only mode with
cached values only (no formula is evaluated, external links are dropped), through
defusedxml, and stops at the sheet, row and column limits.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import NoReturn

from compact_kg.errors import InputError, UnsafeInputError
from compact_kg.forms import FORMS, FormRow, column_letters, header_columns, sheet_name

__all__ = [
    "MAX_WORKBOOK_BYTES",
    "is_workbook",
    "read_workbook",
    "write_workbook",
]

MAX_WORKBOOK_BYTES = 5_000_000
"""The largest workbook file read (a filled case study is some tens of kB)."""
MAX_UNCOMPRESSED_BYTES = 50_000_000
MAX_PARTS = 300
MAX_RATIO = 200
MAX_SHEETS = 20
MAX_ROWS = 2_000
MAX_COLUMNS = 60
_REFUSED_PARTS = {
    "xl/vbaProject.bin": "macros",
    "xl/connections.xml": "a data connection",
}
_REFUSED_FOLDERS = {
    "xl/externalLinks/": "a link to another workbook",
    "xl/activeX/": "ActiveX controls",
    "xl/embeddings/": "embedded objects",
}
_LISTS_SHEET = "Lists"


def is_workbook(path: Path) -> bool:
    """Whether ``path`` names an Excel workbook (by its suffix)."""
    return path.suffix.lower() in (".xlsx", ".xlsm", ".xltx") and not path.is_dir()


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------

def write_workbook(path: Path, context: object) -> Path:
    """Write a blank workbook for a new case study at ``path``; never overwrites a file.

    ``context`` is the dataset's :class:`compact_kg.context.DatasetContext`, which gives the
    allowed values of every vocabulary column.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise InputError("a workbook's name must end in .xlsx", path=path,
                         hint="For example: compact-kg new workbook case-study.xlsx")
    if path.exists():
        raise InputError("the file already exists", path=path,
                         hint="Choose another name; compact-kg never overwrites a form.")
    book = Workbook()
    readme = book.active
    readme.title = "README"
    lists = book.create_sheet(_LISTS_SHEET)
    ranges = _write_lists(lists, context)
    lists.sheet_state = "hidden"
    _write_readme(readme, ranges)
    for form, columns in FORMS.items():
        sheet = book.create_sheet(sheet_name(form))
        for index, column in enumerate(columns, start=1):
            head = sheet.cell(1, index, column.header)
            head.font = Font(bold=True)
            help_text = ("# " if index == 1 else "") + (
                "required: " if column.required else "optional: ") + column.help
            sheet.cell(2, index, help_text).font = Font(italic=True, color="555555")
            sheet.cell(3, index, ("# example: " if index == 1 else "") + column.example)
            sheet.cell(2, index).alignment = Alignment(wrap_text=True, vertical="top")
            letter = sheet.cell(1, index).column_letter
            sheet.column_dimensions[letter].width = max(14, min(45, len(column.header) + 4))
            if column.scheme and column.scheme in ranges:
                rule = DataValidation(
                    type="list", formula1=ranges[column.scheme], allow_blank=True,
                    showErrorMessage=True,
                    # several values (a;b) or a slug are accepted too: warn, do not stop
                    errorStyle="warning" if column.several else "stop",
                    errorTitle="Not in the list",
                    error="Choose a value from the list (see the README sheet).",
                    promptTitle=column.header, prompt=column.help[:250], showInputMessage=True)
                rule.add(f"{letter}4:{letter}{MAX_ROWS}")
                sheet.add_data_validation(rule)
        sheet.freeze_panes = "A4"
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    try:
        book.save(temp)
        temp.replace(path)
    finally:
        temp.unlink(missing_ok=True)
    return path


_SCHEMES = (("Themes", "theme"), ("Mechanism types", "mechanism-type"),
            ("Outcome types", "outcome-type"), ("Sectors", "sector"), ("Statuses", "status"),
            ("Units", "unit"), ("Qualifiers", "qualifier"), ("Area types", "authority-type"))


def _write_lists(sheet: object, context: object) -> dict[str, str]:
    """One column of allowed labels per scheme; returns scheme -> range formula."""
    ranges: dict[str, str] = {}
    for index, (title, scheme) in enumerate(_SCHEMES, start=1):
        labels = [concept.label for concept in context.concepts(scheme)]  # type: ignore[attr-defined]
        sheet.cell(1, index, title)  # type: ignore[attr-defined]
        for row, label in enumerate(labels, start=2):
            sheet.cell(row, index, label)  # type: ignore[attr-defined]
        if labels:
            letter = sheet.cell(1, index).column_letter  # type: ignore[attr-defined]
            ranges[scheme] = f"{_LISTS_SHEET}!${letter}$2:${letter}${len(labels) + 1}"
    return ranges


def _write_readme(sheet: object, ranges: dict[str, str]) -> None:
    lines = [
        "compact-kg case study workbook",
        "",
        "Fill in one row per thing on each sheet, from row 4 (rows 2 and 3 are help and an "
        "example; rows whose first cell starts with # are ignored).",
        "The Case study sheet has exactly one row. Several values in one cell are separated "
        "by ; (semicolon). Write descriptions in your own words.",
        "Columns with a drop-down list take a value of the dataset's vocabularies; the label "
        "or the identifier both work.",
        "",
        "Then:  compact-kg validate THIS-FILE.xlsx   (names the sheet and cell of each problem)",
        "       compact-kg convert THIS-FILE.xlsx --out case-study.ttl",
        "       compact-kg submit case-study.ttl",
        "",
        "Sheets and columns:",
    ]
    for form, columns in FORMS.items():
        lines.append(f"  {sheet_name(form)}")
        for column in columns:
            need = "required" if column.required else "optional"
            listed = " (drop-down list)" if column.scheme in ranges else ""
            lines.append(f"    {column.header}: {need}: {column.help}{listed}")
    for row, text in enumerate(lines, start=1):
        sheet.cell(row, 1, text)  # type: ignore[attr-defined]
    sheet.column_dimensions["A"].width = 120  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------

def _refuse(path: Path, what: str, hint: str) -> None:
    raise UnsafeInputError(f"refused: the workbook holds {what}", path=path, hint=hint)


def _check_package(path: Path) -> None:
    """The zip-level bounds, checked before any XML of the workbook is parsed."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise InputError(f"cannot read the workbook ({error.strerror or error})",
                         path=path) from None
    if size > MAX_WORKBOOK_BYTES:
        raise UnsafeInputError(f"the workbook is {size:,} bytes, more than the limit of "
                               f"{MAX_WORKBOOK_BYTES:,}", path=path,
                               hint="A case study fits in far less; remove pictures and "
                               "other sheets.")
    if path.suffix.lower() == ".xlsm":
        _refuse(path, "macros (an .xlsm file)", "Save it as an Excel Workbook (.xlsx).")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise InputError("this is not an Excel workbook (.xlsx)", path=path,
                         hint="Save it from your spreadsheet program as 'Excel Workbook "
                         "(.xlsx)', or make a new one with: compact-kg new workbook") from None
    with archive:
        parts = archive.infolist()
        if len(parts) > MAX_PARTS:
            _refuse(path, f"{len(parts)} parts, more than {MAX_PARTS}",
                    "Start again from: compact-kg new workbook")
        total = 0
        for part in parts:
            name = part.filename
            total += part.file_size
            if total > MAX_UNCOMPRESSED_BYTES or (
                    part.file_size > 1_000_000
                    and part.file_size > MAX_RATIO * max(1, part.compress_size)):
                _refuse(path, "parts that unpack to far more than the file's size (a zip "
                        "bomb)", "Start again from: compact-kg new workbook")
            if name in _REFUSED_PARTS or name.endswith("vbaProject.bin"):
                _refuse(path, _REFUSED_PARTS.get(name, "macros"),
                        "Save a copy as 'Excel Workbook (.xlsx)' without macros or "
                        "connections, and send that.")
            for folder, what in _REFUSED_FOLDERS.items():
                if name.startswith(folder):
                    _refuse(path, what, "Break the links (Data > Edit Links > Break Link), "
                            "remove embedded objects, save and send that copy.")
            if name.endswith((".xml", ".rels")):
                head = archive.read(name)
                if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
                    _refuse(path, f"a document type declaration in {name}",
                            "Save it again from your spreadsheet program.")


def _text(value: object) -> str:
    """A cell value as the text a CSV form would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        exact = Decimal(repr(value))
        return str(int(exact)) if exact == exact.to_integral_value() else format(exact, "f")
    return str(value)


def read_workbook(path: Path) -> dict[str, list[FormRow]]:
    """The filled rows of each form sheet of the workbook at ``path``, by form name.

    Raises :class:`InputError` (or :class:`UnsafeInputError`, for what is refused) with
    ``SHEET!CELL`` where it can.
    """
    path = Path(path)
    _check_package(path)
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True, keep_links=False,
                             keep_vba=False)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        reason = " ".join(str(error).split())[:200] or type(error).__name__
        raise InputError(f"the workbook cannot be read ({reason})", path=path,
                         hint="Save it again as 'Excel Workbook (.xlsx)'.") from None
    try:
        if len(book.sheetnames) > MAX_SHEETS:
            _refuse(path, f"{len(book.sheetnames)} sheets, more than {MAX_SHEETS}",
                    "Keep the sheets of: compact-kg new workbook")
        by_name = {name.casefold(): name for name in book.sheetnames}
        out: dict[str, list[FormRow]] = {}
        for form in FORMS:
            title = sheet_name(form)
            actual = by_name.get(title.casefold())
            if actual is None:
                if form == "case-study.csv":
                    raise InputError(f"the workbook has no sheet called {title!r}", path=path,
                                     hint="Start from: compact-kg new workbook FILE.xlsx")
                continue
            out[form] = _read_sheet(path, book[actual], form, actual)
        return out
    finally:
        book.close()


def _read_sheet(path: Path, sheet: object, form: str, title: str) -> list[FormRow]:
    def fail(message: str, column: int | None, hint: str) -> NoReturn:
        where = f"{title}!{column_letters(column)}1" if column else f"the sheet {title}"
        raise InputError(f"{where}: {message}", path=path, hint=hint)

    columns: dict[str, int] = {}
    rows: list[FormRow] = []
    for number, cells in enumerate(
            sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):  # type: ignore[attr-defined]
        if number > MAX_ROWS:
            _refuse(path, f"more than {MAX_ROWS} rows on the sheet {title}",
                    "One case study per workbook; remove the rows below.")
        texts = [_text(value) for value in cells]
        if number == 1:
            columns = header_columns(texts, form, fail, "Start again from: compact-kg new workbook")
            continue
        if not any(t.strip() for t in texts) or (texts and texts[0].lstrip().startswith("#")):
            continue
        values = {h: (texts[i - 1] if i - 1 < len(texts) else "") for h, i in columns.items()}
        rows.append(FormRow(str(path), number, values, columns, form=form, sheet=title))
    return rows

